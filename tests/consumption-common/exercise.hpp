// What every consumption test's program does with mink (find_package, add_subdirectory and
// header-only consumers): real calls into the core, so a definition missing from the shape under
// test is a link error and a broken exported type is a failed check, not a silent pass.
//
// Everything here is inline: the header-only consumer includes it from two translation units.
#pragma once

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <mink/memory/adapter.hpp>
#include <mink/mink.hpp>

namespace consumer {

struct Pinged {
  static constexpr std::string_view kEventType = "Pinged";
  int n = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Pinged, n)
};

struct Ping : mink::CommandBase {
  static constexpr std::string_view kCommandType = "Ping";
  int n = 0;
  void Validate() const {
    if (n < 0) throw mink::ValidationError("Ping", "n", "must not be negative");
  }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Ping, n)
};

// A command whose handler throws something that is not a mink::Error.
struct Crash : mink::CommandBase {
  static constexpr std::string_view kCommandType = "Crash";
  void Validate() const {}
};

// A command nobody handles.
struct Orphan : mink::CommandBase {
  static constexpr std::string_view kCommandType = "Orphan";
  void Validate() const {}
};

inline void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("check failed: " + what);
}

// Calls `f`, which must throw E with `code`; anything else fails the check. Catching by the
// exact type is the point: a typeinfo that is not shared between libmink and this program
// (a hidden class in a shared libmink) makes the catch miss.
template <class E, class F>
void ExpectThrow(F&& f, mink::ErrorCode code, const std::string& what) {
  try {
    f();
  } catch (const E& e) {
    Check(e.code() == code, what + ": code " + std::string(e.code().name()));
    return;
  } catch (const std::exception& e) {
    throw std::runtime_error(what + ": caught by the wrong type: " + e.what());
  }
  throw std::runtime_error(what + ": nothing thrown");
}

// Append and load on the in-memory store.
inline void ExerciseEventStore() {
  mink::EventStore store(std::make_shared<mink::memory::Adapter>());
  store.RegisterEvents<Pinged>();
  mink::Context ctx;
  store.Append(ctx, "Ping-1", {Pinged{1}, Pinged{2}}, mink::NoStream);
  auto events = store.Load(ctx, "Ping-1");
  Check(events.size() == 2, "two events loaded");
  Check(events[1].As<Pinged>().n == 2 && events[1].Version() == 2, "second event decoded");
  ExpectThrow<mink::Error>([&] { store.Append(ctx, "Ping-1", {Pinged{3}}, mink::NoStream); },
                           mink::errc::kConcurrencyConflict, "append to an existing stream");
}

// Dispatch through the bus with built-in middleware; the errors the bus and the middleware
// throw are caught here by their types.
inline void ExerciseCommandBus() {
  using namespace std::chrono_literals;
  mink::CommandBus bus;
  bus.Use(mink::RecoveryMiddleware(), mink::ValidationMiddleware(), mink::TimeoutMiddleware(10s));
  bus.Register(mink::NewGenericHandler<Ping>([](const mink::Context&, const Ping& ping) {
    return mink::NewSuccessResult("Ping-" + std::to_string(ping.n), ping.n);
  }));
  bus.RegisterFunc("Crash",
                   [](const mink::Context&, const mink::AnyCommand&) -> mink::CommandResult {
                     throw std::logic_error("boom");
                   });
  mink::CommandResult result = bus.Dispatch(mink::Context{}, Ping{.n = 7});
  Check(result.IsSuccess() && result.aggregate_id == "Ping-7" && result.version == 7,
        "Ping dispatched");

  ExpectThrow<mink::ValidationError>([&] { bus.Dispatch(mink::Context{}, Ping{.n = -1}); },
                                     mink::errc::kValidationFailed, "ValidationMiddleware");
  ExpectThrow<mink::PanicError>([&] { bus.Dispatch(mink::Context{}, Crash{}); },
                                mink::errc::kHandlerFailed, "RecoveryMiddleware");
  ExpectThrow<mink::HandlerNotFoundError>([&] { bus.Dispatch(mink::Context{}, Orphan{}); },
                                          mink::errc::kHandlerNotFound, "unhandled command");
  ExpectThrow<mink::Error>([&] { bus.Register(nullptr); }, mink::errc::kInvalidArgument,
                           "Register(nullptr)");
  ExpectThrow<mink::Error>([] { mink::TimeoutMiddleware(0s); }, mink::errc::kInvalidArgument,
                           "TimeoutMiddleware(0s)");
}

// An Error made here and inspected by mink's error functions (compiled into libmink): they
// catch it by type and dynamic_cast along its cause chain.
inline void ExerciseErrorChain() {
  auto cause = std::make_exception_ptr(mink::Error(mink::errc::kConnectionFailed, "lost"));
  mink::Error outer(mink::errc::kStorageFailed, "write failed", cause);
  Check(mink::ErrorIs(outer, mink::errc::kConnectionFailed), "ErrorIs walks the cause chain");
  Check(outer.Is(mink::errc::kStorageFailed), "Error::Is");
  auto code = mink::ErrorCodeOf(std::make_exception_ptr(outer));
  Check(code && *code == mink::errc::kStorageFailed, "ErrorCodeOf catches a mink::Error");
  Check(mink::ErrorMessage(cause) == "mink: lost", "ErrorMessage");
}

// Runs everything; prints "consumer ok (<shape>)" and returns 0, or says what failed.
inline int RunAll(const char* shape) {
  try {
    ExerciseEventStore();
    ExerciseCommandBus();
    ExerciseErrorChain();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer (%s) failed: %s\n", shape, e.what());
    return 1;
  }
  std::printf("consumer ok (%s)\n", shape);
  return 0;
}

}  // namespace consumer
