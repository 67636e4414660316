// Redaction of connection secrets and server-quoted data (redact.hpp).
#include "redact.hpp"

#include <cctype>

namespace mink::postgres::internal {
namespace {

constexpr std::string_view kMask = "***";

bool IsUriSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

// "scheme://user:PASSWORD@host": masks PASSWORD of every URI in `text`.
std::string RedactUriPasswords(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t sep = text.find("://", i);
    if (sep == std::string_view::npos || sep == 0 || !IsUriSchemeChar(text[sep - 1])) {
      if (sep == std::string_view::npos) break;
      out.append(text.substr(i, sep + 3 - i));
      i = sep + 3;
      continue;
    }
    const std::size_t start = sep + 3;
    out.append(text.substr(i, start - i));
    // The URI ends at whitespace or a quote. Its userinfo ends at the last '@' (a malformed URI
    // may have an unencoded '/' or '@' in the password): masking too much beats leaking.
    std::size_t end = start;
    while (end < text.size() &&
           std::string_view(" \t\r\n\"'").find(text[end]) == std::string_view::npos) {
      ++end;
    }
    const std::string_view authority = text.substr(start, end - start);
    const std::size_t at = authority.rfind('@');
    const std::size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out.append(authority.substr(0, colon + 1));
      out.append(kMask);
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    i = end;
  }
  if (i < text.size()) out.append(text.substr(i));
  return out;
}

// "password=VALUE", "password = 'VA\'LUE'", "?password=VALUE&...": masks VALUE.
std::string RedactPasswordParameters(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  for (;;) {
    std::size_t hit = std::string::npos;
    for (std::size_t p = i; p + 8 <= text.size(); ++p) {
      bool match = true;
      for (std::size_t k = 0; k < 8 && match; ++k) {
        match = std::tolower(static_cast<unsigned char>(text[p + k])) == "password"[k];
      }
      if (match) {
        hit = p;
        break;
      }
    }
    if (hit == std::string::npos) break;
    std::size_t j = hit + 8;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    if (j >= text.size() || text[j] != '=') {
      out.append(text, i, hit + 8 - i);
      i = hit + 8;
      continue;
    }
    ++j;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    out.append(text, i, j - i);
    out.append(kMask);
    if (j < text.size() && text[j] == '\'') {
      for (++j; j < text.size() && text[j] != '\''; ++j) {
        if (text[j] == '\\') ++j;
      }
      if (j < text.size()) ++j;
    } else {
      while (j < text.size() &&
             std::string_view(" \t\r\n&#\"'").find(text[j]) == std::string_view::npos) {
        ++j;
      }
    }
    i = j;
  }
  out.append(text, std::min(i, text.size()), std::string::npos);
  return out;
}

}  // namespace

std::string RedactSecrets(std::string_view text) {
  return RedactPasswordParameters(RedactUriPasswords(text));
}

std::string ServerMessage(std::string_view what, std::string_view sqlstate) {
  std::string_view line = what.substr(0, what.find('\n'));
  if (sqlstate.substr(0, 2) == "22" || sqlstate.substr(0, 2) == "23") {
    if (const auto quote = line.find(": \""); quote != std::string_view::npos) {
      line = line.substr(0, quote);
    }
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  return RedactSecrets(line);
}

}  // namespace mink::postgres::internal
