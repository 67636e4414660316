// mink/saga/saga-inl.hpp — definitions for saga.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/saga/saga.hpp"
#endif

namespace mink {

MINK_INLINE SagaState SagaToState(const Saga& saga) {
  SagaState s;
  s.id = saga.SagaID();
  s.type = saga.SagaType();
  s.correlation_id = saga.CorrelationID();
  s.status = saga.Status();
  s.current_step = saga.CurrentStep();
  s.data = saga.Data();
  if (s.data.is_null()) s.data = nlohmann::json::object();
  s.steps = saga.Steps();
  s.started_at = saga.StartedAt();
  s.completed_at = saga.CompletedAt();
  s.version = saga.Version();
  return s;
}

MINK_INLINE void SagaFromState(Saga& saga, const SagaState& state) {
  saga.SetCorrelationID(state.correlation_id);
  saga.SetStatus(state.status);
  saga.SetCurrentStep(state.current_step);
  saga.SetStartedAt(state.started_at);
  saga.SetCompletedAt(state.completed_at);
  saga.SetVersion(state.version);
  saga.SetSteps(state.steps);
  saga.SetData(state.data);
}

}  // namespace mink
