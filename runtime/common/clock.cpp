#include "runtime/common/clock.hpp"

#include <chrono>

namespace pact {

int64_t system_clock::now_unix_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace pact
