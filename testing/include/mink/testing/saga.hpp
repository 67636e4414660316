// mink/testing/saga.hpp — GoogleTest fixtures for sagas (the seed's "Testing Sagas").
//
//   OrderSaga saga("saga-1");
//   mink::testing::TestSaga(saga)
//       .GivenEvents(OrderCreated{...}, PaymentReceived{...}, InventoryReserved{...},
//                    ShipmentCreated{...})
//       .ThenCompleted()
//       .ThenCommands(RequestPayment{...}, ReserveInventory{...}, CreateShipment{...},
//                     CompleteOrder{...});
//
//   mink::testing::TestCompensation(saga)
//       .GivenFailureAfter(OrderCreated{...}, PaymentReceived{...},
//                          InventoryReservationFailed{...})
//       .ThenCompensates(RefundPayment{...}, FailOrder{...});
//
// The fixture drives the saga as SagaManager does, without a bus or a store: each event goes
// to HandleEvent (with a stored identity: ID "event-<n>", position n); every returned command
// counts as dispatched successfully (CurrentStep advances); IsComplete() completes the saga; a
// failure (an exception from HandleEvent) calls Compensate and records its commands. Commands
// compare by type and JSON form (CommandBase IDs are not part of it). A wrong expectation is
// a non-fatal GoogleTest failure (ADD_FAILURE) naming what differs, so several checks in a row
// all report.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "mink/saga/saga.hpp"

namespace mink::testing {

namespace detail {

inline std::string Describe(const AnyCommand& c) {
  return std::string(c.CommandType()) + (c.HasJson() ? " " + c.Json().dump() : std::string());
}

inline void ExpectCommands(const char* what, const Commands& actual, const Commands& expected) {
  bool same = actual.size() == expected.size();
  for (std::size_t i = 0; same && i < actual.size(); ++i) {
    same = actual[i].CommandType() == expected[i].CommandType() &&
           actual[i].Json() == expected[i].Json();
  }
  if (same) return;
  std::string message = std::string(what) + " differ:\n  expected:";
  for (const auto& c : expected) message += "\n    " + Describe(c);
  message += "\n  actual:";
  for (const auto& c : actual) message += "\n    " + Describe(c);
  ADD_FAILURE() << message;
}

}  // namespace detail

class SagaTestFixture {
 public:
  explicit SagaTestFixture(Saga& saga) : saga_(saga) {}

  // Feeds the events in order (each a typed event or a mink::Event).
  template <class... Es>
  SagaTestFixture& GivenEvents(Es&&... events) {
    (Feed(Event(std::forward<Es>(events))), ...);
    return *this;
  }

  SagaTestFixture& ThenCompleted() {
    if (saga_.Status() != SagaStatus::kCompleted) {
      ADD_FAILURE() << "saga \"" << saga_.SagaID() << "\" is " << ToString(saga_.Status())
                    << ", expected completed" << FailureText();
    }
    return *this;
  }

  SagaTestFixture& ThenNotCompleted() {
    if (saga_.Status() == SagaStatus::kCompleted) {
      ADD_FAILURE() << "saga \"" << saga_.SagaID() << "\" completed, expected it not to";
    }
    return *this;
  }

  SagaTestFixture& ThenStatus(SagaStatus expected) {
    if (saga_.Status() != expected) {
      ADD_FAILURE() << "saga \"" << saga_.SagaID() << "\" is " << ToString(saga_.Status())
                    << ", expected " << ToString(expected) << FailureText();
    }
    return *this;
  }

  // The commands HandleEvent returned, in order (compensation commands not included).
  template <class... Cs>
  SagaTestFixture& ThenCommands(Cs&&... expected) {
    Commands want;
    (want.push_back(AnyCommand(std::forward<Cs>(expected))), ...);
    detail::ExpectCommands("saga commands", commands_, want);
    return *this;
  }

  SagaTestFixture& ThenNoCommands() {
    detail::ExpectCommands("saga commands", commands_, {});
    return *this;
  }

  const Commands& AllCommands() const noexcept { return commands_; }
  const Commands& CompensationCommands() const noexcept { return compensations_; }
  const std::exception_ptr& Failure() const noexcept { return failure_; }

 protected:
  void Feed(Event event) {
    ++events_;
    StoredEvent identity;
    identity.id = "event-" + std::to_string(events_);
    identity.stream_id = saga_.CorrelationID().empty() ? "test" : saga_.CorrelationID();
    identity.type = event.Type();
    identity.global_position = static_cast<uint64_t>(events_);
    identity.version = events_;
    event.WithStoredIdentity(identity);
    if (IsTerminal(saga_.Status())) return;  // as the manager: ignored
    saga_.SetStatus(SagaStatus::kRunning);
    int failed_step = saga_.CurrentStep();
    try {
      Commands out = saga_.HandleEvent(Context{}, event);
      for (auto& c : out) {
        commands_.push_back(std::move(c));
        saga_.SetCurrentStep(saga_.CurrentStep() + 1);
      }
      if (saga_.IsComplete()) {
        saga_.SetStatus(SagaStatus::kCompleted);
        saga_.SetCompletedAt(std::chrono::system_clock::now());
      }
      return;
    } catch (const SagaFailedError& e) {
      failed_step = e.Step();
      failure_ = std::current_exception();
    } catch (...) {
      failure_ = std::current_exception();
    }
    saga_.SetStatus(SagaStatus::kCompensating);
    try {
      for (auto& c : saga_.Compensate(Context{}, failed_step, failure_)) {
        compensations_.push_back(std::move(c));
      }
      saga_.SetStatus(SagaStatus::kCompensated);
    } catch (...) {
      compensate_error_ = std::current_exception();
      saga_.SetStatus(SagaStatus::kFailed);
    }
    saga_.SetCompletedAt(std::chrono::system_clock::now());
  }

  std::string FailureText() const {
    if (!failure_) return "";
    return " (failure: " + ErrorMessage(failure_) + ")";
  }

  Saga& saga_;
  int events_ = 0;
  Commands commands_;
  Commands compensations_;
  std::exception_ptr failure_;
  std::exception_ptr compensate_error_;
};

class CompensationTestFixture : public SagaTestFixture {
 public:
  using SagaTestFixture::SagaTestFixture;

  // Feeds the events; the last of them must make the saga fail.
  template <class... Es>
  CompensationTestFixture& GivenFailureAfter(Es&&... events) {
    GivenEvents(std::forward<Es>(events)...);
    if (!failure_) {
      ADD_FAILURE() << "saga \"" << saga_.SagaID() << "\" did not fail after the given events"
                    << " (status " << ToString(saga_.Status()) << ")";
    }
    return *this;
  }

  // The commands Compensate returned, in order.
  template <class... Cs>
  CompensationTestFixture& ThenCompensates(Cs&&... expected) {
    Commands want;
    (want.push_back(AnyCommand(std::forward<Cs>(expected))), ...);
    if (compensate_error_) {
      ADD_FAILURE() << "Compensate threw: " << ErrorMessage(compensate_error_);
      return *this;
    }
    detail::ExpectCommands("compensation commands", compensations_, want);
    return *this;
  }

  // Compensate itself threw (the manager marks such a saga failed).
  CompensationTestFixture& ThenCompensationFails() {
    if (!compensate_error_) ADD_FAILURE() << "Compensate did not throw";
    return *this;
  }
};

inline SagaTestFixture TestSaga(Saga& saga) { return SagaTestFixture(saga); }
inline CompensationTestFixture TestCompensation(Saga& saga) {
  return CompensationTestFixture(saga);
}

}  // namespace mink::testing
