#include "mink/webhook/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <charconv>
#include <memory>
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

// OpenSSL 3 looks "HMAC" and "SHA256" up by name, under a lock, on every one-shot HMAC()
// call, and keying costs two more SHA-256 blocks: both are done once per key here, and each
// signature starts from a copy of the keyed context (a read-only source, safe to share).
struct SigningKey::Template {
  EVP_MAC_CTX* ctx = nullptr;
  ~Template() { EVP_MAC_CTX_free(ctx); }
};

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
  auto tmpl = std::make_shared<Template>();
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  tmpl->ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);  // the context keeps its own reference
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  if (tmpl->ctx == nullptr ||
      EVP_MAC_init(tmpl->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    OPENSSL_cleanse(key.data(), key.size());
    throw Error(errc::kCryptoFailed, "webhook: HMAC-SHA256 is not available");
  }
  OPENSSL_cleanse(key.data(), key.size());
  return SigningKey(std::move(tmpl));
}

std::string SigningKey::Mac(std::string_view id, std::string_view ts, std::string_view body) const {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_dup(mac_->ctx),
                                                                &EVP_MAC_CTX_free);
  unsigned char out[32];
  std::size_t len = 0;
  auto update = [&](std::string_view part) {
    return EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                          part.size()) == 1;
  };
  if (!ctx || !update(id) || !update(".") || !update(ts) || !update(".") || !update(body) ||
      EVP_MAC_final(ctx.get(), out, &len, sizeof out) != 1 || len != sizeof out) {
    throw Error(errc::kCryptoFailed, "webhook: HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string SigningKey::Sign(std::string_view id, std::int64_t timestamp,
                             std::string_view body) const {
  return "v1," + Base64Encode(Mac(id, std::to_string(timestamp), body));
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
  const std::string expected = Base64Encode(Mac(id, timestamp, body));
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
