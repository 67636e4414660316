// The definitions of mink/gdpr/export_filter.hpp (small; inline in both shapes).
#pragma once

#include <algorithm>

#include <nlohmann/json.hpp>

#include "mink/gdpr/export_filter.hpp"

namespace mink {

inline ExportFilter FilterByTenantID(std::string tenant_id) {
  EventScanFilter s;
  s.tenant_id = std::move(tenant_id);
  return ExportFilter::FromScan(std::move(s));
}
inline ExportFilter FilterByUserID(std::string user_id) {
  EventScanFilter s;
  s.user_id = std::move(user_id);
  return ExportFilter::FromScan(std::move(s));
}
inline ExportFilter FilterByStreamPrefix(std::string prefix) {
  EventScanFilter s;
  s.stream_prefix = std::move(prefix);
  return ExportFilter::FromScan(std::move(s));
}
inline ExportFilter FilterByMetadata(std::string key, std::string value) {
  EventScanFilter s;
  s.custom.emplace_back(std::move(key), std::move(value));
  return ExportFilter::FromScan(std::move(s));
}
inline ExportFilter FilterByEventTypes(std::vector<std::string> types) {
  EventScanFilter s;
  s.event_types = std::move(types);
  if (s.event_types.empty()) {  // "one of no types": nothing
    ExportFilter f = ExportFilter::FromScan(std::move(s));
    return CombineFilters(std::move(f), [](const StoredEvent&) { return false; });
  }
  return ExportFilter::FromScan(std::move(s));
}

inline ExportFilter SubjectFilter(std::string subject_id) {
  return ExportFilter([subject = std::move(subject_id)](const StoredEvent& e) {
    const std::string* tags = e.metadata.Custom("$subjects");
    if (!tags) return false;
    const nlohmann::json parsed = nlohmann::json::parse(*tags, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_array()) return false;
    return std::any_of(parsed.begin(), parsed.end(), [&](const nlohmann::json& t) {
      return t.is_string() && t.get_ref<const std::string&>() == subject;
    });
  });
}

namespace detail {
// Both set and different: the AND of the two can match nothing.
template <class T>
bool MergeEqual(std::optional<T>& into, const std::optional<T>& other) {
  if (!other) return true;
  if (!into) {
    into = other;
    return true;
  }
  return *into == *other;
}
}  // namespace detail

inline ExportFilter CombineFilters(std::vector<ExportFilter> filters) {
  ExportFilter out;
  for (ExportFilter& f : filters) {
    if (!f.set_) continue;
    out.set_ = true;
    out.never_ = out.never_ || f.never_;
    EventScanFilter& s = out.scan_;
    const EventScanFilter& o = f.scan_;
    bool ok =
        detail::MergeEqual(s.tenant_id, o.tenant_id) && detail::MergeEqual(s.user_id, o.user_id);
    if (o.stream_prefix) {  // keep the longer prefix when one extends the other
      if (!s.stream_prefix || o.stream_prefix->starts_with(*s.stream_prefix)) {
        s.stream_prefix = o.stream_prefix;
      } else if (!s.stream_prefix->starts_with(*o.stream_prefix)) {
        ok = false;
      }
    }
    if (!o.event_types.empty()) {
      if (s.event_types.empty()) {
        s.event_types = o.event_types;
      } else {  // intersection
        std::vector<std::string> both;
        for (const std::string& t : s.event_types) {
          if (std::find(o.event_types.begin(), o.event_types.end(), t) != o.event_types.end()) {
            both.push_back(t);
          }
        }
        if (both.empty()) ok = false;
        s.event_types = std::move(both);
      }
    }
    s.custom.insert(s.custom.end(), o.custom.begin(), o.custom.end());
    if (o.from_time && (!s.from_time || *o.from_time > *s.from_time)) s.from_time = o.from_time;
    if (o.to_time && (!s.to_time || *o.to_time < *s.to_time)) s.to_time = o.to_time;
    if (!ok) out.never_ = true;
    for (auto& p : f.predicates_) out.predicates_.push_back(std::move(p));
  }
  return out;
}

}  // namespace mink
