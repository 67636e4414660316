// mink/saga/state-inl.hpp — definitions for state.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/saga/state.hpp"
#endif

#include <cstdio>
#include <ctime>
#include <exception>

namespace mink {

namespace detail {

MINK_INLINE SagaStatus SagaStatusFromJson(const nlohmann::json& j) {
  auto s = SagaStatusFromInt(j.get<int>());
  if (!s) throw Error(errc::kInvalidArgument, "unknown saga status " + j.dump());
  return *s;
}

MINK_INLINE SagaStepStatus StepStatusFromJson(const nlohmann::json& j) {
  const int n = j.get<int>();
  if (n < 0 || n > 4) throw Error(errc::kInvalidArgument, "unknown step status " + j.dump());
  return static_cast<SagaStepStatus>(n);
}

}  // namespace detail

MINK_INLINE std::string FormatSagaTime(Timestamp t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  auto secs = us / 1000000;
  auto frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

MINK_INLINE Timestamp ParseSagaTime(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    throw Error(errc::kInvalidArgument, "not an RFC 3339 time: \"" + s + "\"");
  }
  std::size_t i = 19;
  long long micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) throw Error(errc::kInvalidArgument, "not an RFC 3339 time: \"" + s + "\"");
    for (int d = digits; d < 6; ++d) micros *= 10;
  }
  const std::string_view zone = std::string_view(s).substr(i);
  if (zone != "Z" && zone != "+00:00") {
    throw Error(errc::kInvalidArgument, "saga times are UTC (\"Z\"): \"" + s + "\"");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t secs = timegm(&tm);
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(
      std::chrono::microseconds(static_cast<long long>(secs) * 1000000 + micros)));
}

MINK_INLINE nlohmann::json SagaStepToJson(const SagaStep& step) {
  nlohmann::json j = {
      {"name", step.name}, {"index", step.index}, {"status", static_cast<int>(step.status)}};
  if (!step.command.empty()) j["command"] = step.command;
  if (!step.error.empty()) j["error"] = step.error;
  if (step.completed_at) j["completedAt"] = FormatSagaTime(*step.completed_at);
  return j;
}

MINK_INLINE SagaStep SagaStepFromJson(const nlohmann::json& j) {
  SagaStep step;
  step.name = j.value("name", std::string());
  step.index = j.value("index", 0);
  if (j.contains("status")) step.status = detail::StepStatusFromJson(j.at("status"));
  step.command = j.value("command", std::string());
  step.error = j.value("error", std::string());
  if (j.contains("completedAt") && !j.at("completedAt").is_null()) {
    step.completed_at = ParseSagaTime(j.at("completedAt").get<std::string>());
  }
  return step;
}

MINK_INLINE nlohmann::json SagaStateToJsonValue(const SagaState& s) {
  nlohmann::json j = {{"id", s.id},
                      {"type", s.type},
                      {"status", static_cast<int>(s.status)},
                      {"currentStep", s.current_step},
                      {"startedAt", FormatSagaTime(s.started_at)},
                      {"updatedAt", FormatSagaTime(s.updated_at)},
                      {"version", s.version}};
  if (!s.correlation_id.empty()) j["correlationId"] = s.correlation_id;
  if (!s.data.is_null() && !(s.data.is_object() && s.data.empty())) j["data"] = s.data;
  if (!s.processed_events.empty()) j["processedEvents"] = s.processed_events;
  if (!s.steps.empty()) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : s.steps) steps.push_back(SagaStepToJson(step));
    j["steps"] = std::move(steps);
  }
  if (s.completed_at) j["completedAt"] = FormatSagaTime(*s.completed_at);
  if (!s.failure_reason.empty()) j["failureReason"] = s.failure_reason;
  return j;
}

MINK_INLINE std::string SagaStateToJson(const SagaState& state) {
  return SagaStateToJsonValue(state).dump();
}

MINK_INLINE SagaState SagaStateFromJsonValue(const nlohmann::json& j) {
  std::string id;
  if (j.is_object() && j.contains("id") && j.at("id").is_string())
    id = j.at("id").get<std::string>();
  try {
    if (!j.is_object()) throw Error(errc::kInvalidArgument, "not a JSON object");
    SagaState s;
    s.id = j.at("id").get<std::string>();
    s.type = j.at("type").get<std::string>();
    s.correlation_id = j.value("correlationId", std::string());
    s.status = detail::SagaStatusFromJson(j.at("status"));
    s.current_step = j.value("currentStep", 0);
    if (j.contains("data") && !j.at("data").is_null()) s.data = j.at("data");
    if (j.contains("processedEvents") && !j.at("processedEvents").is_null()) {
      s.processed_events = j.at("processedEvents").get<std::vector<std::string>>();
    }
    if (j.contains("steps") && !j.at("steps").is_null()) {
      for (const auto& step : j.at("steps")) s.steps.push_back(SagaStepFromJson(step));
    }
    s.started_at = ParseSagaTime(j.at("startedAt").get<std::string>());
    if (j.contains("updatedAt")) s.updated_at = ParseSagaTime(j.at("updatedAt").get<std::string>());
    if (j.contains("completedAt") && !j.at("completedAt").is_null()) {
      s.completed_at = ParseSagaTime(j.at("completedAt").get<std::string>());
    }
    s.failure_reason = j.value("failureReason", std::string());
    s.version = j.value("version", int64_t{0});
    return s;
  } catch (const CorruptSagaStateError&) {
    throw;
  } catch (const std::exception& e) {
    throw CorruptSagaStateError(id, e.what());
  }
}

MINK_INLINE SagaState SagaStateFromJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw CorruptSagaStateError("", "malformed JSON");
  return SagaStateFromJsonValue(j);
}

}  // namespace mink
