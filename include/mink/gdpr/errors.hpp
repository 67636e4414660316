// mink/gdpr/errors.hpp — the GDPR area's error codes and typed errors.
//
//   kSubjectIDRequired       an export request without a subject ID
//   kNoExportSources         no streams, no filter and no subject resolver
//   kExportScanNotSupported  a filter scan on an adapter without a global feed
//   kInvalidTimeRange        from_time after to_time
//   kExportPartialFootprint  ExportStream refused: the resolver's footprint is incomplete
//   kExportFailed            ExportError: the export stopped; Cause() says why (a corrupt
//                            row, a filter or handler that threw, a storage failure,
//                            cancellation)
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kSubjectIDRequired{ErrorArea::kGdpr, 1, "SubjectIDRequired"};
inline constexpr ErrorCode kNoExportSources{ErrorArea::kGdpr, 2, "NoExportSources"};
inline constexpr ErrorCode kExportScanNotSupported{ErrorArea::kGdpr, 3, "ExportScanNotSupported"};
inline constexpr ErrorCode kInvalidTimeRange{ErrorArea::kGdpr, 4, "InvalidTimeRange"};
inline constexpr ErrorCode kExportPartialFootprint{ErrorArea::kGdpr, 5, "ExportPartialFootprint"};
inline constexpr ErrorCode kExportFailed{ErrorArea::kGdpr, 6, "ExportFailed"};
}  // namespace errc

// An export stopped before its end. Nothing it produced is complete.
class MINK_API ExportError : public Error {
 public:
  ExportError(std::string subject_id, std::exception_ptr cause)
      : Error(errc::kExportFailed,
              "export for subject \"" + subject_id + "\" failed: " + ErrorMessage(cause), cause),
        subject_id_(std::move(subject_id)) {}
  const std::string& SubjectID() const noexcept { return subject_id_; }

 private:
  std::string subject_id_;
};

}  // namespace mink
