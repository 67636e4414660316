// mink/error.hpp — the error model: codes owned by areas, mink::Error with a cause chain.
//
// Every failure mink reports is an exception derived from mink::Error. Each carries an
// ErrorCode so callers can branch the way Go code uses errors.Is:
//
//   try { store.Append(ctx, "Order-1", events, 3); }
//   catch (const mink::Error& e) { if (e.Is(mink::errc::kConcurrencyConflict)) ... }
//
// An ErrorCode is a value: a number (area << 8 | n) and a stable name. Each area declares its
// own codes next to its code (mink/es/errors.hpp, mink/cqrs/errors.hpp, ...) in the open
// namespace mink::errc, so adding a module never edits a central list. This header holds the
// ground-floor codes every area uses.
//
// An Error may have a cause (the exception it wraps). Is(code) and ErrorIs(e, code) walk the
// chain, so an idempotency failure caused by a lost connection answers yes to both
// kIdempotencyFailed and kConnectionFailed. Messages are prefixed "mink: " like go-mink's.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mink/detail/config.hpp"

namespace mink {

// Who owns a code. Values are stable: they are part of the code's number.
enum class ErrorArea : std::uint16_t {
  kCore = 0,
  kEventStore = 1,
  kCqrs = 2,
  kIdempotency = 3,
  kSaga = 4,
  kOutbox = 5,
  kEncryption = 6,
  kGdpr = 7,
  kPostgres = 0x10,
  kHttp = 0x11,
  kAws = 0x12,
  kKafka = 0x13,
  kVault = 0x14,
};

class ErrorCode {
 public:
  constexpr ErrorCode() noexcept = default;  // kUnknown
  constexpr ErrorCode(ErrorArea area, std::uint8_t n, std::string_view name) noexcept
      : value_(static_cast<std::uint32_t>(area) << 8 | n), name_(name) {}

  constexpr std::uint32_t value() const noexcept { return value_; }
  constexpr ErrorArea area() const noexcept { return static_cast<ErrorArea>(value_ >> 8); }
  // Stable, human-readable name ("ConcurrencyConflict").
  constexpr std::string_view name() const noexcept { return name_; }

  friend constexpr bool operator==(ErrorCode a, ErrorCode b) noexcept {
    return a.value_ == b.value_;
  }
  friend std::ostream& operator<<(std::ostream& os, ErrorCode code) { return os << code.name_; }

 private:
  std::uint32_t value_ = 0;
  std::string_view name_ = "Unknown";
};

constexpr std::string_view ErrorCodeName(ErrorCode code) noexcept { return code.name(); }

namespace errc {
inline constexpr ErrorCode kUnknown{ErrorArea::kCore, 0, "Unknown"};
inline constexpr ErrorCode kInvalidArgument{ErrorArea::kCore, 1, "InvalidArgument"};
inline constexpr ErrorCode kCancelled{ErrorArea::kCore, 2, "Cancelled"};
inline constexpr ErrorCode kDeadlineExceeded{ErrorArea::kCore, 3, "DeadlineExceeded"};
// Shared by every store adapter (event, idempotency, saga, outbox stores).
inline constexpr ErrorCode kConnectionFailed{ErrorArea::kCore, 4, "ConnectionFailed"};
inline constexpr ErrorCode kStorageFailed{ErrorArea::kCore, 5, "StorageFailed"};
inline constexpr ErrorCode kAdapterClosed{ErrorArea::kCore, 6, "AdapterClosed"};
inline constexpr ErrorCode kInvalidSchemaName{ErrorArea::kCore, 7, "InvalidSchemaName"};
inline constexpr ErrorCode kCryptoFailed{ErrorArea::kCore, 8, "CryptoFailed"};
// A write was sent and the connection broke before its reply arrived: it may or may not have
// taken effect. Deliberately not kConnectionFailed (which means "nothing was done"), so a
// retry policy keyed on lost connections does not blindly repeat it. See OutcomeUnknownError
// (mink/es/errors.hpp) for appends and how to resolve one.
inline constexpr ErrorCode kOutcomeUnknown{ErrorArea::kCore, 9, "OutcomeUnknown"};
}  // namespace errc

// True when `error` or any exception in its cause chain is a mink::Error with `code` (Go's
// errors.Is). False for no exception.
MINK_API bool ErrorIs(const std::exception& error, ErrorCode code) noexcept;
MINK_API bool ErrorIs(const std::exception_ptr& error, ErrorCode code) noexcept;

// Root of every exception mink throws.
class MINK_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::exception_ptr cause = nullptr)
      : std::runtime_error("mink: " + message), code_(code), cause_(std::move(cause)) {}

  ErrorCode code() const noexcept { return code_; }
  // The wrapped exception, or null.
  const std::exception_ptr& Cause() const noexcept { return cause_; }
  // This error's code or, walking Cause(), any cause's.
  bool Is(ErrorCode code) const noexcept { return ErrorIs(*this, code); }

 private:
  ErrorCode code_;
  std::exception_ptr cause_;
};

// The mink ErrorCode of an exception (kUnknown for a non-mink one), nullopt for no exception.
MINK_API std::optional<ErrorCode> ErrorCodeOf(const std::exception_ptr& error) noexcept;

// what() of an exception, "unknown exception" for a non-std one, "" for no exception.
MINK_API std::string ErrorMessage(const std::exception_ptr& error);

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/error-inl.hpp"
#endif
