#pragma once

/// Reconnect delays of the agent's journal link: capped exponential
/// back-off with full jitter ("Exponential Backoff And Jitter", AWS
/// Architecture Blog, 2015): after the n-th consecutive failure (n = 0, 1,
/// …) the cap is min(max, base · 2^n) and the delay is drawn uniformly
/// from [floor, cap]. The jitter spreads thousands of agents that lost the
/// same journal over the whole interval instead of letting them return in
/// lock-step (the boot storm of issue 11 item 7). Pure: the random source
/// is injected, so tests pin every delay.

#include <chrono>
#include <cstdint>
#include <functional>

namespace pact::node {

class boot_backoff {
public:
  using millis = std::chrono::milliseconds;
  /// Returns a value uniformly distributed in [0, bound] (inclusive).
  using jitter_source = std::function<uint64_t(uint64_t bound)>;

  /// `base` is the first cap (1 s), `max` the largest
  /// (agent.journal.reconnect_max_seconds); `floor` the shortest delay, so
  /// that a string of failures never spins. Precondition: 0 < floor <= base
  /// <= max (asserted).
  boot_backoff(millis base, millis max, jitter_source jitter,
               millis floor = millis(100));

  /// The delay before the next attempt; counts a failure.
  millis next_delay();

  /// The cap the next delay is drawn under.
  millis current_cap() const;

  /// A connection succeeded: the next failure starts from `base` again.
  void reset() {
    failures_ = 0;
  }

  uint32_t failures() const {
    return failures_;
  }

private:
  millis base_;
  millis max_;
  millis floor_;
  jitter_source jitter_;
  uint32_t failures_ = 0;
};

/// A jitter source over a seeded std::mt19937_64 (the agent seeds it from
/// std::random_device; tests pass a fixed seed).
boot_backoff::jitter_source seeded_jitter(uint64_t seed);

} // namespace pact::node
