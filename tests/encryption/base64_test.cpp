#include "mink/encryption/base64.hpp"

#include "mink/encryption/errors.hpp"

#include <gtest/gtest.h>

#include "support/error_code.hpp"

namespace mink {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, text] : vectors) {
    EXPECT_EQ(Base64Encode(plain), text);
    EXPECT_EQ(Base64Decode(text), plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(Base64, NonCanonicalOrInvalidTextIsRefused) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zm-_", "=Zm9",
                          "Zg==Zg==", "****"}) {
    std::string out = "x";
    EXPECT_FALSE(TryBase64Decode(bad, out)) << bad;
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(testing::CodeOf([&] { Base64Decode(bad); }), errc::kDecryptionFailed) << bad;
  }
}

}  // namespace
}  // namespace mink
