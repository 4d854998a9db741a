#pragma once

/// The time-bounded and paged selections of `pact log` (LogRequest fields
/// since_unix_ms, until_unix_ms, from_sequence; docs/cli.md "pact log").
/// They read entries one by one through the state machine's entry_log, so
/// they hold no copy of the journal beyond the page they return; an error
/// is a store that could not be read.
///
/// Timestamps are stamped by the leader and never go backwards within one
/// leader's office (leader_stamp.hpp) but may across a change of leader,
/// so a time window is matched entry by entry rather than by bisection.

#include <cstdint>
#include <optional>

#include <pact/protocol/api.pb.h>

#include "runtime/journal/config_state_machine.hpp"

namespace pact::journal {

/// Bytes of entries an export page carries at most (at least one entry):
/// pages stay small whatever the entries' sizes.
inline constexpr std::size_t max_log_page_bytes = std::size_t{4} << 20;

/// True when `e` lies in the request's time window (bounds inclusive, 0
/// meaning unbounded).
bool in_window(const protocol::ConfigEntry& e, const protocol::LogRequest& req);

/// The newest `n` entries in the window (and of `scope` when given),
/// newest first, appended to `out`.
status select_window(const config_state_machine& sm,
                     const protocol::LogRequest& req,
                     const std::optional<protocol::Scope>& scope, uint32_t n,
                     protocol::LogReply& out);

/// One export page (req.from_sequence != 0): oldest first, contiguous, at
/// most `n` entries and `max_bytes` of them (at least one); sets out.more
/// when the run continues after it.
status select_page(const config_state_machine& sm,
                   const protocol::LogRequest& req, uint32_t n,
                   protocol::LogReply& out,
                   std::size_t max_bytes = max_log_page_bytes);

} // namespace pact::journal
