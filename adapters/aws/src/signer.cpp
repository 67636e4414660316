// SigV4 signing. See mink/aws/signer.hpp for the rules; OpenSSL does every primitive.
#include "mink/aws/signer.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace mink::aws {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

bool Unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trim, and collapse every inner run of blanks / line breaks into one space.
std::string NormalizeValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (IsBlank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string HexLower(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexLower[bytes[i] >> 4];
    out[2 * i + 1] = kHexLower[bytes[i] & 0x0F];
  }
  return out;
}

// OpenSSL 3 looks algorithms up by name, under a lock, on every EVP_sha256() / HMAC() call;
// that lookup cost more than the hashing itself here. The algorithms are fetched once and
// kept for the process (never freed: still reachable, like OpenSSL's own tables).
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw Error(errc::kCryptoFailed, "aws: SHA-256 is not available");
  return md;
}

// A HMAC-SHA256 context with its digest set; each HMAC starts from a copy of it, so the digest
// is not looked up again.
const EVP_MAC_CTX* HmacTemplate() {
  static EVP_MAC_CTX* tmpl = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);  // the context keeps its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params) != 1) {
      EVP_MAC_CTX_free(ctx);
      ctx = nullptr;
    }
    return ctx;
  }();
  if (tmpl == nullptr) throw Error(errc::kCryptoFailed, "aws: HMAC-SHA256 is not available");
  return tmpl;
}

std::array<std::uint8_t, 32> Hmac(std::string_view key, std::string_view data) {
  std::array<std::uint8_t, 32> out{};
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_dup(HmacTemplate()),
                                                                &EVP_MAC_CTX_free);
  std::size_t len = 0;
  if (!ctx ||
      EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    throw Error(errc::kCryptoFailed, "aws: HMAC-SHA256 failed");
  }
  return out;
}

std::string_view AsView(const std::array<std::uint8_t, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

// Headers the signer always sets itself.
bool SignerOwned(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "x-amz-date" ||
         lower_name == "x-amz-security-token" || lower_name == "x-amz-content-sha256";
}

struct UrlParts {
  std::string host_header;  // host[:port], the port only when not the default
  std::string path;
  std::string query;
};

UrlParts ParseUrl(std::string_view url) {
  std::size_t default_port = 0;
  if (url.starts_with("https://")) {
    default_port = 443;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    default_port = 80;
    url.remove_prefix(7);
  } else {
    throw Error(errc::kInvalidArgument, "aws: signing needs an http(s) URL");
  }
  url = url.substr(0, url.find('#'));
  const auto path_start = url.find_first_of("/?");
  std::string_view authority = url.substr(0, path_start);
  std::string_view rest = path_start == std::string_view::npos ? "" : url.substr(path_start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) throw Error(errc::kInvalidArgument, "aws: URL without a host");
  UrlParts parts;
  // Drop the port when it is the scheme's default: that is what a client sends as Host.
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port == std::to_string(default_port))
      authority = authority.substr(0, colon);
  }
  parts.host_header = Lower(authority);
  const auto q = rest.find('?');
  parts.path = std::string(rest.substr(0, q));
  if (parts.path.empty()) parts.path.push_back('/');  // not = "/": GCC 12 -O3 -Wrestrict
  if (q != std::string_view::npos) parts.query = std::string(rest.substr(q + 1));
  return parts;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHexUpper[c >> 4];
      out += kHexUpper[c & 0x0F];
    }
  }
  return out;
}

std::string UriDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string CanonicalUri(std::string_view wire_path, bool normalize_path) {
  if (wire_path.empty()) return "/";
  if (!normalize_path) return UriEncode(wire_path, true);
  // RFC 3986 remove_dot_segments, with empty segments ("//") dropped as well; a trailing '/'
  // stays when something is left (botocore's rule).
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= wire_path.size()) {
    const auto next = std::min(wire_path.find('/', pos), wire_path.size());
    const std::string_view seg = wire_path.substr(pos, next - pos);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = next + 1;
  }
  std::string path;
  for (const auto seg : segments) {
    path += '/';
    path += seg;
  }
  if (path.empty() || wire_path.back() == '/') path += '/';
  return UriEncode(path, true);
}

std::string CanonicalQuery(std::string_view wire_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t pos = 0;
  while (pos <= wire_query.size()) {
    const auto next = std::min(wire_query.find('&', pos), wire_query.size());
    const std::string_view item = wire_query.substr(pos, next - pos);
    if (!item.empty()) {
      const auto eq = item.find('=');
      pairs.emplace_back(UriEncode(UriDecode(item.substr(0, eq)), false),
                         eq == std::string_view::npos
                             ? std::string()
                             : UriEncode(UriDecode(item.substr(eq + 1)), false));
    }
    pos = next + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string FormatAmzDate(SystemTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, Sha256Md(), nullptr) != 1) {
    throw Error(errc::kCryptoFailed, "aws: SHA-256 failed");
  }
  return HexLower(digest, len);
}

std::array<std::uint8_t, 32> DeriveSigningKey(std::string_view secret, std::string_view date,
                                              std::string_view region, std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret += secret;
  const auto k_date = Hmac(k_secret, date);
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  const auto k_region = Hmac(AsView(k_date), region);
  const auto k_service = Hmac(AsView(k_region), service);
  return Hmac(AsView(k_service), "aws4_request");
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string sts = kAlgorithm;
  sts += '\n';
  sts += amz_date;
  sts += '\n';
  sts += scope;
  sts += '\n';
  sts += Sha256Hex(canonical_request);
  return sts;
}

std::string SignatureHex(const std::array<std::uint8_t, 32>& key, std::string_view string_to_sign) {
  const auto mac = Hmac(AsView(key), string_to_sign);
  return HexLower(mac.data(), mac.size());
}

struct Signer::KeyCache {
  std::mutex mu;
  std::string date;
  std::array<std::uint8_t, 32> key{};
  ~KeyCache() { OPENSSL_cleanse(key.data(), key.size()); }
};

std::array<std::uint8_t, 32> Signer::SigningKey(std::string_view date) const {
  {
    std::lock_guard lock(key_cache_->mu);
    if (key_cache_->date == date) return key_cache_->key;
  }
  const auto key =
      DeriveSigningKey(credentials_.secret_access_key, date, options_.region, options_.service);
  std::lock_guard lock(key_cache_->mu);
  key_cache_->date = std::string(date);
  key_cache_->key = key;
  return key;
}

Signer::Signer(Credentials credentials, SignerOptions options)
    : credentials_(std::move(credentials)),
      options_(std::move(options)),
      key_cache_(std::make_shared<KeyCache>()) {
  if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
    throw Error(errc::kAwsMissingCredentials,
                "aws: signing needs an access key id and a secret access key");
  }
  if (options_.region.empty()) throw Error(errc::kAwsMissingRegion, "aws: signing needs a region");
  if (options_.service.empty()) {
    throw Error(errc::kInvalidArgument, "aws: signing needs a service name");
  }
}

Signature Signer::Sign(const SigningRequest& request, SystemTime at) const {
  Signature sig;
  sig.amz_date = FormatAmzDate(at);
  const std::string_view date = std::string_view(sig.amz_date).substr(0, 8);
  sig.scope = std::string(date) + "/" + options_.region + "/" + options_.service + "/aws4_request";
  const std::string payload_hash = Sha256Hex(request.body);
  const bool sign_token = !credentials_.session_token.empty() && !options_.omit_session_token;

  std::vector<std::pair<std::string, std::string>> headers;
  bool has_host = false;
  if (request.headers != nullptr) {
    headers.reserve(request.headers->size() + 3);
    for (const auto& [name, value] : *request.headers) {
      std::string lower = Lower(name);
      if (SignerOwned(lower)) continue;
      has_host |= lower == "host";
      headers.emplace_back(std::move(lower), NormalizeValue(value));
    }
  }
  if (!has_host) throw Error(errc::kInvalidArgument, "aws: the request to sign has no Host header");
  headers.emplace_back("x-amz-date", sig.amz_date);
  if (sign_token) headers.emplace_back("x-amz-security-token", credentials_.session_token);
  if (options_.sign_body_hash) headers.emplace_back("x-amz-content-sha256", payload_hash);
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string& creq = sig.canonical_request;
  creq.reserve(256 + request.body.size() / 8);
  creq += request.method;
  creq += '\n';
  creq += CanonicalUri(request.path, options_.normalize_path);
  creq += '\n';
  creq += CanonicalQuery(request.query);
  creq += '\n';
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      creq.back() = ',';  // repeated name: values joined in request order
    } else {
      creq += headers[i].first;
      creq += ':';
      if (!sig.signed_headers.empty()) sig.signed_headers += ';';
      sig.signed_headers += headers[i].first;
    }
    creq += headers[i].second;
    creq += '\n';
  }
  creq += '\n';
  creq += sig.signed_headers;
  creq += '\n';
  creq += payload_hash;

  sig.string_to_sign = StringToSign(sig.amz_date, sig.scope, creq);
  auto key =
      DeriveSigningKey(credentials_.secret_access_key, date, options_.region, options_.service);
  sig.signature = SignatureHex(key, sig.string_to_sign);
  OPENSSL_cleanse(key.data(), key.size());
  sig.authorization = std::string(kAlgorithm) + " Credential=" + credentials_.access_key_id + "/" +
                      sig.scope + ", SignedHeaders=" + sig.signed_headers +
                      ", Signature=" + sig.signature;

  sig.headers.emplace_back("X-Amz-Date", sig.amz_date);
  if (!credentials_.session_token.empty()) {
    sig.headers.emplace_back("X-Amz-Security-Token", credentials_.session_token);
  }
  if (options_.sign_body_hash) sig.headers.emplace_back("x-amz-content-sha256", payload_hash);
  sig.headers.emplace_back("Authorization", sig.authorization);
  return sig;
}

void Signer::Sign(http::Request& request, SystemTime at) const {
  const UrlParts url = ParseUrl(request.url);
  std::erase_if(request.headers, [](const auto& h) { return SignerOwned(Lower(h.first)); });
  const bool has_host = http::FindHeader(request.headers, "Host").has_value();
  if (!has_host) request.headers.insert(request.headers.begin(), {"Host", url.host_header});

  http::Headers to_sign;
  to_sign.reserve(request.headers.size());
  for (const auto& h : request.headers) {
    const std::string lower = Lower(h.first);
    if (std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), lower) ==
        kUnsignedHeaders.end()) {
      to_sign.push_back(h);
    }
  }
  const Signature sig = Sign(SigningRequest{.method = request.method,
                                            .path = url.path,
                                            .query = url.query,
                                            .headers = &to_sign,
                                            .body = request.body},
                             at);
  request.headers.insert(request.headers.end(), sig.headers.begin(), sig.headers.end());
}

}  // namespace mink::aws
