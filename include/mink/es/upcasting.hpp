// mink/es/upcasting.hpp — event schema versions and upcasting.
//
// Events are stamped with "$schema_version" in their metadata when an UpcasterChain is
// configured (missing means version 1). On load, the chain upgrades stored JSON step by step
// (v1 -> v2 -> v3 ...) to the latest version before the payload is decoded, so old events decode
// into today's struct.
//
//   auto chain = std::make_shared<mink::UpcasterChain>();
//   chain->Register(mink::MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json d) {
//     d["customer_id"] = d["customer"]; d.erase("customer"); return d; }));
//   mink::EventStore store(adapter, {.upcasters = chain});
//
// Register rejects a step that is not From -> From+1, a From < 1, or a duplicate From. A stored
// version with no path to the latest version throws UpcastError(kSchemaVersionGap); an
// upcaster that throws surfaces as UpcastError(kUpcastFailed). A stored version above the latest
// passes through unchanged. Thread safe.
#pragma once

#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/es/errors.hpp"
#include "mink/es/metadata.hpp"

namespace mink {

inline constexpr int kDefaultSchemaVersion = 1;

// The schema version recorded in metadata; 1 when missing, unparsable or below 1.
inline int GetSchemaVersion(const Metadata& metadata) {
  const std::string* raw = metadata.Custom(kSchemaVersionKey);
  if (raw == nullptr) return kDefaultSchemaVersion;
  int v = 0;
  auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || ptr != raw->data() + raw->size() || v < 1) return kDefaultSchemaVersion;
  return v;
}

inline void SetSchemaVersion(Metadata& metadata, int version) {
  metadata.SetReserved(kSchemaVersionKey, std::to_string(version));
}

class Upcaster {
 public:
  virtual ~Upcaster() = default;
  virtual std::string EventType() const = 0;
  virtual int FromVersion() const = 0;
  virtual int ToVersion() const = 0;
  virtual nlohmann::json Upcast(nlohmann::json data, const Metadata& metadata) const = 0;
};

// An Upcaster from a function: fn(json) or fn(json, const Metadata&).
template <class Fn>
std::shared_ptr<const Upcaster> MakeUpcaster(std::string event_type, int from, int to, Fn fn) {
  class FnUpcaster final : public Upcaster {
   public:
    FnUpcaster(std::string type, int from, int to, Fn fn)
        : type_(std::move(type)), from_(from), to_(to), fn_(std::move(fn)) {}
    std::string EventType() const override { return type_; }
    int FromVersion() const override { return from_; }
    int ToVersion() const override { return to_; }
    nlohmann::json Upcast(nlohmann::json data, const Metadata& metadata) const override {
      if constexpr (std::is_invocable_v<const Fn&, nlohmann::json, const Metadata&>) {
        return fn_(std::move(data), metadata);
      } else {
        return fn_(std::move(data));
      }
    }

   private:
    std::string type_;
    int from_, to_;
    Fn fn_;
  };
  return std::make_shared<FnUpcaster>(std::move(event_type), from, to, std::move(fn));
}

class UpcasterChain {
 public:
  void Register(std::shared_ptr<const Upcaster> upcaster) {
    if (!upcaster) throw Error(errc::kInvalidUpcaster, "upcaster is null");
    const std::string type = upcaster->EventType();
    const int from = upcaster->FromVersion();
    const int to = upcaster->ToVersion();
    if (from < 1 || to != from + 1) {
      throw Error(errc::kInvalidUpcaster, "upcaster for \"" + type +
                                              "\" must go from v(N>=1) to v(N+1), got v" +
                                              std::to_string(from) + " -> v" + std::to_string(to));
    }
    std::unique_lock lock(mutex_);
    auto [it, inserted] = by_type_[type].try_emplace(from, std::move(upcaster));
    if (!inserted) {
      throw Error(errc::kInvalidUpcaster,
                  "duplicate upcaster for \"" + type + "\" from v" + std::to_string(from));
    }
  }

  // Throws UpcastError(kSchemaVersionGap) when some type's chain does not start at v1 or has a
  // missing step.
  void Validate() const {
    std::shared_lock lock(mutex_);
    for (const auto& [type, steps] : by_type_) {
      int expect = 1;
      for (const auto& [from, up] : steps) {
        if (from != expect) {
          throw UpcastError(errc::kSchemaVersionGap, type, expect,
                            "no upcaster from v" + std::to_string(expect));
        }
        expect = up->ToVersion();
      }
    }
  }

  bool HasUpcasters(const std::string& type) const {
    std::shared_lock lock(mutex_);
    return by_type_.contains(type);
  }

  // The version new events of `type` are written with (1 for types without upcasters).
  int LatestVersion(const std::string& type) const {
    std::shared_lock lock(mutex_);
    return LatestLocked(type);
  }

  std::vector<std::string> RegisteredEventTypes() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [type, steps] : by_type_) out.push_back(type);
    return out;
  }

  // Upgrades `data` of `type` from `from_version` to the latest version. Returns the upgraded
  // JSON and its version.
  std::pair<nlohmann::json, int> Upcast(const std::string& type, int from_version,
                                        nlohmann::json data, const Metadata& metadata) const {
    std::shared_lock lock(mutex_);
    auto it = by_type_.find(type);
    if (it == by_type_.end()) return {std::move(data), from_version};
    const int latest = LatestLocked(type);
    int current = from_version;
    while (current < latest) {
      auto step = it->second.find(current);
      if (step == it->second.end()) {
        throw UpcastError(errc::kSchemaVersionGap, type, current,
                          "no upcaster from v" + std::to_string(current) + " (latest is v" +
                              std::to_string(latest) + ")");
      }
      try {
        data = step->second->Upcast(std::move(data), metadata);
      } catch (const std::exception& e) {
        throw UpcastError(errc::kUpcastFailed, type, current, e.what());
      }
      current = step->second->ToVersion();
    }
    return {std::move(data), current};
  }

 private:
  int LatestLocked(const std::string& type) const {
    auto it = by_type_.find(type);
    if (it == by_type_.end() || it->second.empty()) return kDefaultSchemaVersion;
    return it->second.rbegin()->second->ToVersion();
  }

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::map<int, std::shared_ptr<const Upcaster>>, std::less<>> by_type_;
};

}  // namespace mink
