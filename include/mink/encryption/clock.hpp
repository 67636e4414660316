// mink/encryption/clock.hpp — the clock the encryption area reads (grace periods, cache
// lifetimes, data-key age); tests inject one that moves on demand.
#pragma once

#include <chrono>
#include <functional>

namespace mink {

using EncryptionClock = std::function<std::chrono::system_clock::time_point()>;

}  // namespace mink
