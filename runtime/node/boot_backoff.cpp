#include "runtime/node/boot_backoff.hpp"

#include <algorithm>
#include <memory>
#include <random>

#include "runtime/common/assert.hpp"

namespace pact::node {

boot_backoff::boot_backoff(millis base, millis max, jitter_source jitter,
                           millis floor)
  : base_(base), max_(max), floor_(floor), jitter_(std::move(jitter)) {
  PACT_ASSERT(floor_.count() > 0 && floor_ <= base_ && base_ <= max_,
              "back-off bounds: 0 < floor <= base <= max");
  PACT_ASSERT(static_cast<bool>(jitter_), "back-off needs a jitter source");
}

boot_backoff::millis boot_backoff::current_cap() const {
  // base · 2^n without overflow: stop doubling once past max.
  auto cap = base_;
  for (uint32_t i = 0; i < failures_ && cap < max_; ++i)
    cap *= 2;
  return std::min(cap, max_);
}

boot_backoff::millis boot_backoff::next_delay() {
  auto cap = current_cap();
  auto span = static_cast<uint64_t>((cap - floor_).count());
  auto drawn = std::min(jitter_(span), span);
  if (failures_ < 64)
    ++failures_;
  return floor_ + millis(static_cast<int64_t>(drawn));
}

boot_backoff::jitter_source seeded_jitter(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](uint64_t bound) {
    return std::uniform_int_distribution<uint64_t>(0, bound)(*engine);
  };
}

} // namespace pact::node
