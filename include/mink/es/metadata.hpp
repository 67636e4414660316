// mink/es/metadata.hpp — per-event metadata: correlation, causation, user, tenant, custom keys.
//
// A value type; the With* builders return a modified copy. Custom keys starting with '$' are
// reserved for mink itself ($schema_version, and later the field-encryption markers); user
// code may read them (Custom, CustomMap) but SetCustom / WithCustom refuse to write them, and
// the map itself is private, so no path around the check exists.
// JSON form (go-mink compatible): {"correlationId","causationId","userId","tenantId","custom"},
// empty members omitted.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mink/es/errors.hpp"

namespace mink {

// Reserved custom keys.
inline constexpr std::string_view kSchemaVersionKey = "$schema_version";

class Metadata {
 public:
  using CustomMapType = std::map<std::string, std::string, std::less<>>;

  std::string correlation_id;
  std::string causation_id;
  std::string user_id;
  std::string tenant_id;

  bool IsEmpty() const noexcept {
    return correlation_id.empty() && causation_id.empty() && user_id.empty() && tenant_id.empty() &&
           custom_.empty();
  }

  Metadata WithCorrelationID(std::string id) const { return With(&Metadata::correlation_id, id); }
  Metadata WithCausationID(std::string id) const { return With(&Metadata::causation_id, id); }
  Metadata WithUserID(std::string id) const { return With(&Metadata::user_id, id); }
  Metadata WithTenantID(std::string id) const { return With(&Metadata::tenant_id, id); }
  Metadata WithCustom(std::string key, std::string value) const {
    Metadata m = *this;
    m.SetCustom(std::move(key), std::move(value));
    return m;
  }

  // Sets a user custom key (go-mink's `md.Custom[k] = v`). Throws kInvalidArgument for an
  // empty or '$'-prefixed key. The custom map is private so this check cannot be bypassed.
  void SetCustom(std::string key, std::string value) {
    if (key.empty() || key.front() == '$') {
      throw Error(errc::kInvalidArgument,
                  "metadata key \"" + key + "\" is empty or reserved ('$' prefix)");
    }
    custom_.insert_or_assign(std::move(key), std::move(value));
  }
  // Removes a user custom key (reserved keys are kept); true when it was there.
  bool EraseCustom(std::string_view key) {
    if (key.empty() || key.front() == '$') return false;
    auto it = custom_.find(key);
    if (it == custom_.end()) return false;
    custom_.erase(it);
    return true;
  }

  // Library-internal: writes a reserved key. Throws kInvalidArgument unless it starts with '$'.
  void SetReserved(std::string_view key, std::string value) {
    if (key.size() < 2 || key.front() != '$') {
      throw Error(errc::kInvalidArgument,
                  "metadata key \"" + std::string(key) + "\" is not a reserved ('$') key");
    }
    custom_.insert_or_assign(std::string(key), std::move(value));
  }

  // The value of a custom key (user or reserved), or null.
  const std::string* Custom(std::string_view key) const {
    auto it = custom_.find(key);
    return it == custom_.end() ? nullptr : &it->second;
  }
  // Every custom key, reserved ones included (read-only; go-mink's `md.Custom`).
  const CustomMapType& CustomMap() const noexcept { return custom_; }

  friend bool operator==(const Metadata&, const Metadata&) = default;

 private:
  friend void from_json(const nlohmann::json& j, Metadata& m);

  Metadata With(std::string Metadata::*field, std::string& value) const {
    Metadata m = *this;
    m.*field = std::move(value);
    return m;
  }

  CustomMapType custom_;
};

inline void to_json(nlohmann::json& j, const Metadata& m) {
  j = nlohmann::json::object();
  if (!m.correlation_id.empty()) j["correlationId"] = m.correlation_id;
  if (!m.causation_id.empty()) j["causationId"] = m.causation_id;
  if (!m.user_id.empty()) j["userId"] = m.user_id;
  if (!m.tenant_id.empty()) j["tenantId"] = m.tenant_id;
  if (!m.CustomMap().empty()) j["custom"] = m.CustomMap();
}

// Tolerant reader: unknown members are ignored and non-string custom values are kept as their
// JSON text (go-mink does the same for rows written by other tools). Stored '$' keys are read
// back as they were written (they are the library's own).
inline void from_json(const nlohmann::json& j, Metadata& m) {
  m = Metadata{};
  if (!j.is_object()) return;
  auto str = [&](const char* key, std::string& out) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) out = it->get<std::string>();
  };
  str("correlationId", m.correlation_id);
  str("causationId", m.causation_id);
  str("userId", m.user_id);
  str("tenantId", m.tenant_id);
  if (auto it = j.find("custom"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      m.custom_[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
}

}  // namespace mink
