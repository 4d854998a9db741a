#pragma once

/// The time-bounded and paged selections of `pact log` (LogRequest fields
/// since_unix_ms, until_unix_ms, from_sequence, verify; docs/cli.md "pact
/// log"). They read entries one by one through the state machine's
/// entry_log, so they hold no copy of the journal beyond the page they
/// return, and each reads a bounded number of entries whatever the
/// journal's size (issue 10 item 2: nothing on the Raft loop grows with
/// the journal); an error is a store that could not be read.
///
/// Entries' timestamps are nondecreasing along sequences: the leader
/// stamps them (leader_stamp.hpp) and the state machine raises a stamp
/// below the newest entry's to it when it applies the command
/// (config_state_machine::apply), so a stamp from a new leader whose clock
/// is behind cannot step back. A time window's ends are therefore found by
/// bisection over sequences; each entry is still matched by its own stamp,
/// so a journal written before stamps were raised (where one may step back
/// by a clock's skew at a change of leader) gets no entry outside its
/// window.

#include <cstdint>
#include <optional>

#include <pact/protocol/api.pb.h>

#include "runtime/journal/config_state_machine.hpp"

namespace pact::journal {

/// Bytes of entries an export page carries at most (at least one entry):
/// pages stay small whatever the entries' sizes.
inline constexpr std::size_t max_log_page_bytes = std::size_t{4} << 20;

/// Entries one `pact log --verify` page checks at most (LogRequest.limit
/// lowers it): some 10,000 reads and SHA-256s, tens of ms on the replica.
inline constexpr uint32_t max_verify_page_entries = 10000;

/// True when `e` lies in the request's time window (bounds inclusive, 0
/// meaning unbounded).
bool in_window(const protocol::ConfigEntry& e, const protocol::LogRequest& req);

/// The first sequence whose entry is stamped at or after `ms` (after it
/// when `after`), last_sequence() + 1 when none: a bisection, about
/// log2(last_sequence()) reads.
expected<uint64_t> first_stamped(const config_state_machine& sm, int64_t ms,
                                 bool after = false);

/// The newest `n` entries in the window (and of `scope` when given),
/// newest first, appended to `out`. Reads the bisection's entries and at
/// most `n` more (through the scope index when scoped).
status select_window(const config_state_machine& sm,
                     const protocol::LogRequest& req,
                     const std::optional<protocol::Scope>& scope, uint32_t n,
                     protocol::LogReply& out);

/// One export page (req.from_sequence != 0): oldest first, contiguous, at
/// most `n` entries and `max_bytes` of them (at least one); sets out.more
/// when the run continues after it. With since_unix_ms the run starts at
/// the first entry stamped at or after it (by bisection), not before
/// from_sequence.
status select_page(const config_state_machine& sm,
                   const protocol::LogRequest& req, uint32_t n,
                   protocol::LogReply& out,
                   std::size_t max_bytes = max_log_page_bytes);

/// Emergencies scanned at most by one audit query, and entries read at
/// most after one emergency's start while looking for what was written
/// under it (an emergency lasts hours; the bound keeps one request's cost
/// known whatever the write rate).
inline constexpr uint32_t max_audited_emergencies = 100000;
inline constexpr uint32_t max_emergency_scan_entries = 200000;

/// The regulated audit of emergencies (`pact log --emergency`,
/// req.emergencies): the newest `n` emergencies started within the
/// request's time window (and touching `scope` when given: the vCluster's
/// own and its nodes', or the node's), each as its start entry, every
/// entry written under it (ConfigEntry.emergency_sequence) and its end
/// entry, oldest first within each emergency, the newest emergency first.
/// Sets out.more when an emergency's entries were cut at the scan bound.
status select_emergencies(const config_state_machine& sm,
                          const protocol::LogRequest& req,
                          const std::optional<protocol::Scope>& scope,
                          uint32_t n, protocol::LogReply& out);

/// One page of `pact log --verify` (req.verify with req.from_sequence =
/// S != 0): checks the chain of at most `n` entries from S — the link to
/// entry S - 1 included — and sets out.verified / out.verify_error ("entry
/// N: REASON"), out.entries to the last entry checked (where the next
/// page resumes: its sequence + 1) and out.more when entries follow it.
/// Reads at most `n` + 1 entries.
status verify_page(const config_state_machine& sm, uint64_t from, uint32_t n,
                   protocol::LogReply& out);

} // namespace pact::journal
