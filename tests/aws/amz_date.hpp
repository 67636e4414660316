// Test support: parses an x-amz-date ("20150830T123600Z") into a time point; std::nullopt
// when it is not one. Shared by the signature verifier and the botocore cross-check's CLI.
#pragma once

#include <chrono>
#include <ctime>
#include <exception>
#include <optional>
#include <string>

#include "mink/aws/signer.hpp"

namespace mink::testing {

inline std::optional<aws::SystemTime> ParseAmzDate(const std::string& s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  std::tm tm{};
  try {
    tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
    tm.tm_mday = std::stoi(s.substr(6, 2));
    tm.tm_hour = std::stoi(s.substr(9, 2));
    tm.tm_min = std::stoi(s.substr(11, 2));
    tm.tm_sec = std::stoi(s.substr(13, 2));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace mink::testing
