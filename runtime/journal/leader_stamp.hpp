#pragma once

/// The leader stamps the time into a JournalCommand before proposing it
/// (DESIGN.md §4: applying never reads a clock, so the one clock reading
/// happens once, on the leader, and travels in the log). The stamper never
/// goes backwards, even if its wall clock does, and starts from the newest
/// entry it has applied. A new leader may not have applied its
/// predecessor's last entries yet, so its stamp can still be below
/// theirs by the clocks' skew: the state machine raises such a stamp to
/// the newest entry's when it applies the command
/// (config_state_machine::log_time), so entries' stamps never go back
/// along the sequences and TTL expiries computed from them stay ordered
/// like the log.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pact::journal {

class config_state_machine;

/// Largest command a replica proposes, in bytes. A request envelope is
/// bounded at 4 MiB (policy::max_request_bytes); one command gets 1 MiB of
/// the log, so that a handful of proposals cannot make one Raft batch or
/// snapshot unbounded (STYLE.md: a limit on everything).
inline constexpr size_t max_command_bytes = size_t{1} << 20;

/// "" when a command of `bytes` may be proposed, else the refusal (the
/// caller's mistake: INVALID_REQUEST), naming the size and the limit.
std::string command_size_refusal(size_t bytes);

class leader_stamper {
public:
  /// Returns `command` with `timestamp_unix_ms` set to
  /// max(now_ms, last stamp). Bytes that are not a JournalCommand are
  /// returned unchanged (the state machine refuses them deterministically).
  std::string stamp(std::string command, int64_t now_ms);

  /// stamp() on the leader applying to `sm`: first raises the floor to
  /// the newest applied entry's time, so that a new or restarted leader
  /// continues where the log left off even if its clock is behind.
  std::string stamp(std::string command, int64_t now_ms,
                    const config_state_machine& sm);

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
