#pragma once

/// The leader stamps the time into a JournalCommand before proposing it
/// (DESIGN.md §4: applying never reads a clock, so the one clock reading
/// happens once, on the leader, and travels in the log). Timestamps never go
/// backwards within one leader's term of office, even if its wall clock
/// does: TTL expiries computed from them stay ordered like the log.

#include <algorithm>
#include <cstdint>
#include <string>

namespace pact::journal {

class leader_stamper {
public:
  /// Returns `command` with `timestamp_unix_ms` set to
  /// max(now_ms, last stamp). Bytes that are not a JournalCommand are
  /// returned unchanged (the state machine refuses them deterministically).
  std::string stamp(std::string command, int64_t now_ms);

  /// Never stamp below `ms` (the newest applied entry's time): a new
  /// leader, or a restarted one, continues where the log left off even if
  /// its clock is behind.
  void raise_floor(int64_t ms) {
    last_ms_ = std::max(last_ms_, ms);
  }

private:
  int64_t last_ms_ = 0;
};

} // namespace pact::journal
