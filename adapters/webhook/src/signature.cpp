#include "mink/webhook/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <vector>

namespace mink::webhook {

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) throw Error(errc::kInvalidArgument, "webhook: malformed base64");
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=';
    if (!ok) throw Error(errc::kInvalidArgument, "webhook: malformed base64");
  }
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) throw Error(errc::kInvalidArgument, "webhook: malformed base64");
  // EVP_DecodeBlock counts padding as zero bytes: drop one per '='.
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

SigningKey SigningKey::Parse(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) == kPrefix) secret.remove_prefix(kPrefix.size());
  std::string key;
  try {
    key = Base64Decode(secret);
  } catch (const Error&) {
    throw Error(errc::kWebhookInvalidSecret,
                "webhook: signing secret is not \"whsec_\" followed by base64");
  }
  if (key.size() < 24 || key.size() > 64) {
    throw Error(
        errc::kWebhookInvalidSecret,
        "webhook: signing secret must decode to 24..64 bytes, got " + std::to_string(key.size()));
  }
  return SigningKey(std::move(key));
}

namespace {

std::string Mac(const std::string& key, std::string_view id, std::string_view ts,
                std::string_view body) {
  std::string content;
  content.reserve(id.size() + ts.size() + body.size() + 2);
  content.append(id).append(".").append(ts).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac,
           &len) == nullptr) {
    throw Error(errc::kCryptoFailed, "webhook: HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace

std::string SigningKey::Sign(std::string_view id, std::int64_t timestamp,
                             std::string_view body) const {
  return "v1," + Base64Encode(Mac(key_, id, std::to_string(timestamp), body));
}

bool SigningKey::Verify(std::string_view id, std::string_view timestamp, std::string_view body,
                        std::string_view signature_header,
                        std::chrono::system_clock::time_point now,
                        std::chrono::seconds tolerance) const {
  std::int64_t ts = 0;
  const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc{} || end != timestamp.data() + timestamp.size()) return false;
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(ts));
  if (at > now + tolerance || at < now - tolerance) return false;
  const std::string expected = Base64Encode(Mac(key_, id, timestamp, body));
  bool match = false;
  std::size_t pos = 0;
  while (pos <= signature_header.size()) {
    auto stop = signature_header.find(' ', pos);
    if (stop == std::string_view::npos) stop = signature_header.size();
    const auto entry = signature_header.substr(pos, stop - pos);
    if (entry.substr(0, 3) == "v1,") {
      const auto sig = entry.substr(3);
      if (sig.size() == expected.size() &&
          CRYPTO_memcmp(sig.data(), expected.data(), sig.size()) == 0) {
        match = true;  // keep scanning: the time spent does not depend on which entry matched
      }
    }
    pos = stop + 1;
  }
  return match;
}

}  // namespace mink::webhook
