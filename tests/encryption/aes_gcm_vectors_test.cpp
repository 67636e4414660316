// mink's AES-256-GCM (mink/encryption/aes_gcm.hpp) against published known answers: Wycheproof's
// AES-GCM group with a 256-bit key, 96-bit IV and 128-bit tag, and NIST CAVP's GCM-256 cases
// (tests/encryption/vectors/SOURCES.md).
//
//   valid:   AesGcmSeal(key, iv, msg, aad) == ct ‖ tag, AesGcmOpen gives msg back, and the blob
//            form AesGcmDecrypt(key, iv ‖ ct ‖ tag, aad) does too;
//   invalid: AesGcmOpen and AesGcmDecrypt throw Error(kDecryptionFailed) (never plaintext).
// Every runner fails when it executed no case (a dangling parse silently runs zero).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "mink/encryption/aes_gcm.hpp"

namespace {

std::string Unhex(const std::string& hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

nlohmann::json Load(const std::string& name) {
  std::ifstream in(std::string(MINK_AES_GCM_VECTORS_DIR) + "/" + name);
  if (!in) throw std::runtime_error("cannot open " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

struct Counts {
  int valid = 0, invalid = 0, skipped = 0;
};

// Runs every test of `doc` with keySize 256, ivSize 96, tagSize 128.
Counts RunVectors(const nlohmann::json& doc) {
  Counts n;
  for (const auto& group : doc.at("testGroups")) {
    if (group.at("keySize") != 256 || group.at("ivSize") != 96 || group.at("tagSize") != 128) {
      n.skipped += static_cast<int>(group.at("tests").size());
      continue;
    }
    for (const auto& t : group.at("tests")) {
      SCOPED_TRACE("tcId " + std::to_string(t.at("tcId").get<int>()));
      const std::string key = Unhex(t.at("key"));
      const std::string iv = Unhex(t.at("iv"));
      const std::string aad = Unhex(t.at("aad"));
      const std::string msg = Unhex(t.at("msg"));
      const std::string ct_tag = Unhex(t.at("ct")) + Unhex(t.at("tag"));
      if (t.at("result") == "valid") {
        ++n.valid;
        EXPECT_EQ(mink::AesGcmSeal(key, iv, msg, aad), ct_tag);
        EXPECT_EQ(mink::AesGcmOpen(key, iv, ct_tag, aad), msg);
        EXPECT_EQ(mink::AesGcmDecrypt(key, iv + ct_tag, aad), msg);
      } else {
        ++n.invalid;
        for (const auto& f :
             {std::function<void()>([&] { mink::AesGcmOpen(key, iv, ct_tag, aad); }),
              std::function<void()>([&] { mink::AesGcmDecrypt(key, iv + ct_tag, aad); })}) {
          try {
            f();
            ADD_FAILURE() << "an invalid vector opened";
          } catch (const mink::Error& e) {
            EXPECT_EQ(e.code(), mink::errc::kDecryptionFailed) << e.what();
          }
        }
      }
    }
  }
  return n;
}

TEST(AesGcmVectors, Wycheproof256Iv96Tag128) {
  const nlohmann::json doc = Load("wycheproof_aes_gcm_test.k256_iv96.json");
  const Counts n = RunVectors(doc);
  EXPECT_EQ(n.valid + n.invalid, doc.at("numberOfTests").get<int>());
  EXPECT_EQ(n.valid, 39);
  EXPECT_EQ(n.invalid, 27);
  std::cout << n.valid + n.invalid << " vectors run, " << n.skipped << " skipped\n";
}

TEST(AesGcmVectors, NistCavpGcm256Iv96) {
  const nlohmann::json doc = Load("nist_cavp_gcm256_iv96.json");
  const Counts n = RunVectors(doc);
  EXPECT_EQ(n.valid + n.invalid, 28);
  EXPECT_EQ(n.invalid, 6);
}

// Every single-bit change of a valid vector's nonce, ciphertext or tag is refused, typed.
TEST(AesGcmVectors, EveryFlippedBitOfAValidSealIsRefused) {
  const nlohmann::json doc = Load("wycheproof_aes_gcm_test.k256_iv96.json");
  int checked = 0;
  for (const auto& t : doc.at("testGroups").at(0).at("tests")) {
    if (t.at("result") != "valid" || t.at("msg").get<std::string>().size() != 32) continue;
    const std::string key = Unhex(t.at("key"));
    const std::string aad = Unhex(t.at("aad"));
    const std::string sealed = Unhex(t.at("iv")) + Unhex(t.at("ct")) + Unhex(t.at("tag"));
    for (std::size_t bit = 0; bit < sealed.size() * 8; ++bit) {
      std::string bad = sealed;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      try {
        mink::AesGcmDecrypt(key, bad, aad);
        ADD_FAILURE() << "flipped bit " << bit << " opened";
      } catch (const mink::Error& e) {
        EXPECT_EQ(e.code(), mink::errc::kDecryptionFailed);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(AesGcmVectors, KeysOfTheWrongLengthAreRefused) {
  for (std::size_t len : {0, 16, 24, 31, 33, 64}) {
    const std::string key(len, 'k');
    const std::string nonce(12, 'n');
    try {
      mink::AesGcmSeal(key, nonce, "x", "");
      ADD_FAILURE() << len;
    } catch (const mink::Error& e) {
      EXPECT_EQ(e.code(), mink::errc::kInvalidKey);
    }
    try {
      mink::AesGcmOpen(key, nonce, std::string(20, 'c'), "");
      ADD_FAILURE() << len;
    } catch (const mink::Error& e) {
      EXPECT_EQ(e.code(), mink::errc::kInvalidKey);
    }
  }
}

}  // namespace
