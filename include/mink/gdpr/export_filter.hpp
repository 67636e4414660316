// mink/gdpr/export_filter.hpp — which events of a scan belong to an export.
//
//   request.filter = mink::CombineFilters(mink::FilterByTenantID("tenant-a"),
//                                         mink::FilterByEventTypes({"CustomerCreated"}));
//   request.filter = [](const mink::StoredEvent& e) { return e.stream_id.ends_with("-7"); };
//
// The built-in filters are data, not opaque functions, so an adapter that can filter where the
// events live (EventScanAdapter; PostgreSQL runs them in SQL) gets them pushed down; custom
// predicates run on the client. Combining is AND; contradictory built-ins (two different
// tenants) match nothing. Every filter, pushed down or not, is checked again on the client.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "mink/es/event_scan.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

class ExportFilter {
 public:
  using Predicate = std::function<bool(const StoredEvent&)>;

  ExportFilter() = default;  // no filter
  // A custom predicate (go-mink's ExportFilter func). Exceptions it throws stop the export
  // with an ExportError.
  template <class F>
  requires std::is_invocable_r_v<bool, const F&, const StoredEvent&> &&
      (!std::is_same_v<std::remove_cvref_t<F>, ExportFilter>)ExportFilter(F predicate)
      : set_(true) {  // NOLINT(google-explicit-constructor)
    predicates_.emplace_back(std::move(predicate));
  }

  // A filter of built-in predicates only.
  static ExportFilter FromScan(EventScanFilter scan) {
    ExportFilter f;
    f.set_ = true;
    f.scan_ = std::move(scan);
    return f;
  }

  bool IsSet() const noexcept { return set_; }
  // True when combined built-ins contradict each other: nothing can match.
  bool MatchesNothing() const noexcept { return never_; }
  // The part an adapter can evaluate (built-in predicates).
  const EventScanFilter& Pushable() const noexcept { return scan_; }
  bool HasCustomPredicates() const noexcept { return !predicates_.empty(); }

  bool Matches(const StoredEvent& e) const {
    if (never_ || !scan_.Matches(e)) return false;
    for (const Predicate& p : predicates_) {
      if (!p(e)) return false;
    }
    return true;
  }

  friend inline ExportFilter CombineFilters(std::vector<ExportFilter> filters);

 private:
  bool set_ = false;
  bool never_ = false;
  EventScanFilter scan_;
  std::vector<Predicate> predicates_;
};

// go-mink's built-in filters.
inline ExportFilter FilterByTenantID(std::string tenant_id);
inline ExportFilter FilterByUserID(std::string user_id);
inline ExportFilter FilterByStreamPrefix(std::string prefix);
inline ExportFilter FilterByMetadata(std::string key, std::string value);  // a custom metadata key
inline ExportFilter FilterByEventTypes(std::vector<std::string> types);
// Events tagged with `subject_id` in their "$subjects" metadata (a JSON array of subject IDs,
// as go-mink's subject tagger writes it). Client-side.
inline ExportFilter SubjectFilter(std::string subject_id);
// AND of every filter given (unset ones are ignored).
inline ExportFilter CombineFilters(std::vector<ExportFilter> filters);
template <class... F>
inline ExportFilter CombineFilters(F&&... filters) {
  std::vector<ExportFilter> all;
  (all.emplace_back(std::forward<F>(filters)), ...);
  return CombineFilters(std::move(all));
}

}  // namespace mink

#include "mink/gdpr/export_filter-inl.hpp"
