#pragma once

/// The journal's configuration state machine (DESIGN.md §4, issue 4 item 1;
/// docs/journal.md). Applies JournalCommands stamped by the leader and
/// keeps config entries with gap-free sequences and a SHA-256 hash chain,
/// vCluster overlays with their policies, committed node deltas, node
/// states, blacklists and active emergencies. Entries live in the state
/// tables (entry_log, issue 10 item 1); memory holds the current state and
/// a bounded cache of the newest entries.
///
/// Determinism: applying reads only the command bytes and the state (no
/// clocks, no randomness, only ordered containers), so every replica that
/// applies the same log holds byte-identical snapshots. A refused command
/// is a deterministic CommandResult: it changes nothing and consumes no
/// sequence. CAF-free; single-threaded (the owning actor serializes calls).

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/journal/entry_log.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/replica/state_machine.hpp"

namespace pact::journal {

/// Lifetime bounds of a node delta (DESIGN.md §4).
inline constexpr uint32_t min_node_ttl_seconds = 900;
inline constexpr uint32_t max_node_ttl_seconds = 864000;
/// Bounds of one `pact extend` (the resulting window is further bounded by
/// the governing policy's emergency window).
inline constexpr uint32_t min_extend_seconds = 60;
inline constexpr uint32_t max_extend_seconds = 86400;
/// Deduplication of retried commands (Raft thesis §6.3): a command whose
/// (author, client request id) was applied within this window, measured in
/// leader timestamps, is answered with its first result and not applied
/// again. Clients retry within their own deadline (seconds), so ten minutes
/// covers every retry with a wide margin.
inline constexpr int64_t dedup_window_ms = 10 * 60 * 1000;
/// ... and at most this many results are remembered (oldest dropped first),
/// bounding memory and snapshot size whatever the write rate.
inline constexpr size_t max_remembered_requests = 100000;
/// Longest client request id accepted.
inline constexpr size_t max_client_request_id_bytes = 64;
/// How long decided approvals stay in the state (for `pact approve list`
/// and a waiting requester; the entries keep them for ever), and at most
/// how many (oldest dropped first).
inline constexpr int64_t approval_retention_ms = 7LL * 24 * 3600 * 1000;
inline constexpr size_t max_retained_approvals = 10000;
/// Longest deny reason, exec argv (all bytes) or service name accepted in
/// an approval.
inline constexpr size_t max_agent_action_bytes = 64 * 1024;
/// The principal the journal's own actors write as (approval expiry,
/// emergency window end).
inline constexpr const char* journal_principal = "pact-journal";

class config_state_machine final : public replica::state_machine {
public:
  /// Entries in tables of its own, in memory.
  config_state_machine() = default;
  /// Entries in `tables` (which must outlive the machine), at most
  /// `cache_bound` of them cached in memory.
  explicit config_state_machine(store::state_tables& tables,
                                std::size_t cache_bound = default_entry_cache)
    : entries_(&tables, cache_bound), durable_(true) {
  }
  config_state_machine(config_state_machine&&) = default;
  config_state_machine& operator=(config_state_machine&&) = default;

  // -- state_machine ---------------------------------------------------------

  /// Parses `command` as a JournalCommand and executes it; returns the
  /// deterministically encoded CommandResult. Bytes that do not parse give
  /// an INVALID_ARGUMENT result. A command carrying a client request id
  /// already applied for the same author within the deduplication window is
  /// not executed again: the first result is returned with `duplicate` set
  /// (without its `state_delta`, which the entry holds).
  /// Precondition: index > applied().
  std::string apply(uint64_t index, const std::string& command) override;
  void skip(uint64_t index) override;
  uint64_t applied() const override {
    return applied_;
  }
  /// The whole state as a deterministically encoded JournalState.
  std::string snapshot() const override;
  /// Replaces the state with a JournalState image (empty = initial state).
  /// Refuses an image that does not parse, whose hash chain is broken, or
  /// that names a vCluster, node or emergency twice; the state is
  /// unchanged then.
  status restore(const std::string& image) override;
  /// Hex SHA-256 over the applied index, the last entry's hash (which
  /// covers every entry through the chain) and the rest of the state.
  /// O(state): remembered for the applied index and last hash it was
  /// computed at, so polling /health or `pact status` on a quiet journal
  /// costs nothing after the first call.
  std::string digest() const override;
  /// True when built over external tables (the Raft store's).
  bool durable() const override {
    return durable_;
  }
  /// Rebuilds the machine from its tables: current-state records, the
  /// applied index, the newest entries (docs/journal.md "Durable state").
  /// Refuses corrupt records and keeps the state then.
  status load() override;
  store::state_write take_writes() override;
  void writes_persisted() override;

  // -- commands --------------------------------------------------------------

  /// Executes one command (what apply() does after parsing). Does not touch
  /// applied(); callers outside Raft (tests, tools) may use it directly.
  /// A command carrying the author's stamped roles (author_roles) is
  /// authorized first (policy::decide_at_apply, with a node's enrollment as
  /// of now): a denial is an UNAUTHORIZED result that changes nothing, and
  /// an allowed command is recorded with the role that authorizes it.
  protocol::CommandResult execute(const protocol::JournalCommand& cmd);

  // -- queries ---------------------------------------------------------------

  /// The entries (read side: by sequence, newest first, by scope, by
  /// type; docs/journal.md "Where entries live").
  const entry_log& entries() const {
    return entries_;
  }
  /// Sequence of the latest entry (0 when empty).
  uint64_t last_sequence() const {
    return entries_.last_sequence();
  }
  /// The latest entry, or null when there is none (always in memory).
  const protocol::ConfigEntry* last_entry() const {
    return entries_.last();
  }
  /// The entry with `sequence`, nullopt when there is none; an error when
  /// the tables cannot be read.
  expected<std::optional<protocol::ConfigEntry>> entry(uint64_t sequence) const;
  /// The most recent `n` entries, newest first (like `git log`); with
  /// `scope`, only entries of exactly that scope.
  expected<std::vector<protocol::ConfigEntry>>
  log(size_t n, const std::optional<protocol::Scope>& scope = {}) const;
  /// The overlay of `vcluster`, or null if it was never configured.
  const protocol::VClusterOverlay* overlay(const std::string& vcluster) const;
  /// Every overlay, by name.
  const std::map<std::string, protocol::VClusterOverlay>& overlays() const {
    return overlays_;
  }
  /// The policy of `vcluster` (defaults when never configured).
  protocol::VClusterPolicy policy(const std::string& vcluster) const;
  /// A node's record (state, vCluster, committed delta), or null.
  const protocol::NodeRecord* node(const std::string& node) const;
  /// Every node record, by name.
  const std::map<std::string, protocol::NodeRecord>& nodes() const {
    return nodes_;
  }
  /// Cluster-wide declared items and blacklist.
  const protocol::GlobalState& global() const {
    return global_;
  }
  /// The blacklist that applies to `scope`: the global list for global,
  /// the vCluster's policy list for a vCluster (empty if unknown).
  std::vector<std::string> blacklist(const protocol::Scope& scope) const;
  /// The active emergency of a node or vCluster, or null.
  const protocol::Emergency* emergency(const protocol::Scope& scope) const;
  /// Active emergencies, by scope key.
  const std::map<std::string, protocol::Emergency>& emergencies() const {
    return emergencies_;
  }
  /// The emergency active on `scope` or over it (a node's own, else its
  /// vCluster's), or null.
  const protocol::Emergency*
  covering_emergency(const protocol::Scope& scope) const;
  /// Approvals (pending, granted, and decided within approval_retention_ms),
  /// by id (config_approvals.cpp).
  const std::map<std::string, protocol::Approval>& approvals() const {
    return approvals_;
  }
  /// One approval, or null.
  const protocol::Approval* approval(const std::string& id) const;
  /// Admin operations (exec, shell, service and approval records,
  /// emergency start and end) with sequence > `after`, ascending, at most
  /// `limit`; read through the by-type index.
  expected<std::vector<protocol::AuditRecord>> audit(uint64_t after,
                                                     size_t limit) const;
  /// Results remembered for deduplication, oldest first.
  const std::deque<protocol::RecentRequest>& recent_requests() const {
    return recent_;
  }

private:
  using command_t = protocol::JournalCommand;
  using result_t = protocol::CommandResult;

  /// execute() before the changes are persisted: authorization, dispatch,
  /// and marking the records the command may have changed.
  result_t run(const command_t& cmd);
  /// Authorization by the stamped roles, then dispatch().
  result_t authorize(const command_t& cmd);
  /// execute() once authorized: common checks, then the kind's handler.
  result_t dispatch(const command_t& cmd);

  // Command handlers (config_commands.cpp, config_rollback.cpp). Each
  // validates everything before it changes anything.
  result_t do_commit(const command_t& cmd);
  result_t do_overlay_apply(const command_t& cmd);
  result_t do_policy_update(const command_t& cmd);
  result_t do_blacklist(const command_t& cmd, bool remove);
  result_t do_node_state(const command_t& cmd);
  result_t do_node_event(const command_t& cmd);
  result_t do_emergency_start(const command_t& cmd);
  /// The vCluster an emergency on `scope` belongs to: the vCluster itself,
  /// or the node's (recorded in its entries for notifications).
  std::string emergency_vcluster(const protocol::Scope& scope);
  result_t do_emergency_end(const command_t& cmd);
  /// Calls `f(record)` for the nodes an emergency on `scope` affects (the
  /// node; or the vCluster's enrolled nodes without an emergency of their
  /// own), marking those it changed (f returns true).
  template <class F>
  void for_emergency_nodes(const protocol::Scope& scope, F&& f);
  result_t do_enroll(const command_t& cmd);
  // Enrollment (config_enrollment.cpp, enrollment.hpp).
  result_t do_node_activate(const command_t& cmd);
  result_t do_node_revoke(const command_t& cmd);
  result_t do_record(const command_t& cmd);
  result_t do_extend(const command_t& cmd);
  result_t do_rollback(const command_t& cmd);

  // Two-person approval (config_approvals.cpp, docs/approval.md).

  /// `cmd` needs a second person on `vclusters`: record it as a pending
  /// approval (a pending-approval entry) instead of applying it.
  result_t hold_for_approval(const command_t& cmd,
                             const std::vector<std::string>& vclusters);
  result_t do_approval_decide(const command_t& cmd);
  result_t do_approval_expire(const command_t& cmd);
  result_t do_approval_request(const command_t& cmd);
  result_t do_approval_redeem(const command_t& cmd);

  // Delegated operations (config_delegation.cpp, docs/delegation.md).
  result_t do_delegation(const command_t& cmd);
  /// A delegation request authorized with `needs_approval` on `vclusters`
  /// (two-person): it needs a grant (else refused, approval required) or
  /// the author's own emergency; then do_delegation. Its outcome: as is.
  result_t authorize_delegation(const command_t& cmd, bool needs_approval,
                                const std::vector<std::string>& vclusters);
  /// Uses the grant a delegation request names (its grant_id): the
  /// agent-action approval of exactly this operation, once, by its
  /// requester (appends the approval-decision entry of the use).
  result_t redeem_delegation_grant(const command_t& cmd);
  /// The agent action a delegation's grant approves.
  static protocol::AgentAction delegation_action(const protocol::Delegation& d);
  /// A delegation's outcome (not its request): never held for approval.
  static bool delegation_outcome(const command_t& cmd);
  /// Applies an approved journal write as its requester, at `cmd`'s time.
  result_t apply_approved(const command_t& decision,
                          const protocol::Approval& a);
  /// Stores `a` (and drops decided approvals past their retention).
  void keep_approval(protocol::Approval a, int64_t now_ms);
  /// An approval-decision entry recording `a` as it is now.
  uint64_t append_decision(const command_t& cmd, const protocol::Approval& a);
  /// Refusal when an emergency owned by someone else covers what `cmd`
  /// writes (exit 4, naming the owner); else nullopt.
  std::optional<result_t> emergency_conflict(const command_t& cmd) const;
  /// The emergency `cmd`'s author owns over every scope it writes, or null.
  const protocol::Emergency* owned_emergency(const command_t& cmd) const;

  /// An entry of `type` for `scope` with the command's time, author and
  /// message; the caller adds the rest and passes it to append().
  protocol::ConfigEntry make_entry(const command_t& cmd,
                                   protocol::EntryType type,
                                   const protocol::Scope& scope) const;
  /// Stamps sequence, parent and the hash chain, stores the entry and
  /// returns its sequence.
  uint64_t append(protocol::ConfigEntry entry);
  /// The stamp `cmd` is applied with: its own, raised to the newest
  /// entry's when below, so that stamps never go back along the log (a new
  /// leader whose clock is behind may stamp below entries of its
  /// predecessor it had not applied yet, leader_stamp.hpp; time windows
  /// are found by bisection, log_selection.hpp). A missing stamp (0) stays
  /// for the common checks to refuse.
  int64_t log_time(const protocol::JournalCommand& cmd) const;
  /// Sets a node's state; while an emergency is active the new state is
  /// remembered for when it ends instead.
  static void set_node_state(protocol::NodeRecord& rec,
                             protocol::NodeState state);
  /// The node drifted (drift detected, window expired: `state` drifted) or
  /// converges (converging): node -> `state`, remembering the state to
  /// return to when the drift is resolved.
  static void enter_drift(protocol::NodeRecord& rec, protocol::NodeState state);
  /// The node's agent found its drift gone: back to the state before the
  /// drift (a drifted or converging node only: a commit already moved it),
  /// drift counters and the window's deadline cleared (an extension
  /// belongs to its episode's window). False when there was nothing to
  /// change.
  static bool resolve_drift(protocol::NodeRecord& rec);
  /// The record of `node`, created (observe-only, no vCluster) if absent.
  protocol::NodeRecord& node_record(const std::string& node);
  /// Recomputes an overlay's checksum and sets its version.
  static void seal(protocol::VClusterOverlay& overlay, uint64_t version);
  /// The policy governing `scope` (a node's vCluster, a vCluster, or the
  /// defaults).
  protocol::VClusterPolicy governing_policy(const protocol::Scope& scope) const;
  /// The remembered result of `cmd`'s client request id, or null.
  const protocol::CommandResult* remembered(const command_t& cmd) const;
  /// Remembers `result` for `cmd` and forgets what fell out of the window.
  void remember(const command_t& cmd, const result_t& result);
  /// Everything but the entries and applied index, for digest().
  protocol::JournalState derived_state() const;

  // Previous values, actions and conditions (config_expect.cpp, issue 8
  // item 12, issue 9 item 5).
  // The journal records what a change actually replaced, read here at
  // apply time, never what a client read earlier.

  /// What `scope` declares now: the global items, a vCluster's overlay
  /// items, for a node its vCluster's overlay items; null when there is
  /// no such overlay.
  const item_list* declared_items(const protocol::Scope& scope) const;
  /// The value (category, key) holds in `scope` now; nullopt when unset.
  /// For a node: its committed item (a committed REMOVE means unset), else
  /// the item its vCluster declares.
  std::optional<std::string> current_value(const protocol::Scope& scope,
                                           const item_key& key) const;
  /// Empty when every `expect_previous` condition of `cmd` holds in its
  /// scope; else the refusal message (naming key, current and expected).
  std::string unmet_expectation(const command_t& cmd) const;
  /// Turns every DELTA_ACTION_SET item of a commit into MODIFY when `scope`
  /// declares its key now (for a node: its vCluster's overlay), else ADD.
  void resolve_set(const protocol::Scope& scope,
                   protocol::StateDelta& delta) const;
  /// Sets every item's `previous` to the value it replaces in `scope`.
  void stamp_previous(const protocol::Scope& scope,
                      protocol::StateDelta& delta) const;
  /// An OK result naming `scope` as unchanged at `version`.
  static result_t unchanged(const protocol::Scope& scope, uint64_t version);
  /// Sequence of the latest entry of `scope` (0 when none).
  uint64_t last_in_scope(const protocol::Scope& scope) const;

  // Durable state (config_durable.cpp).

  /// Persists the changes so far unless the host does (standalone use: the
  /// machine writes its own tables after every command).
  void maybe_flush();
  void flush_writes();
  /// Records the current-state records `cmd` (or `scope`) may change.
  void mark_dirty(const command_t& cmd);
  void mark_dirty(const protocol::Scope& scope);
  /// Every record (a restore replaces the tables).
  void mark_all_dirty();
  void note_recent_dropped(uint64_t position);
  void note_recent_added(uint64_t position, const protocol::RecentRequest& r);
  void note_scope_sequence(const std::string& key, uint64_t seq);
  void mark_approval_dirty(const std::string& id);
  /// Start-up verification (docs/journal.md "Durable state"): checks the
  /// hash chain of the loaded entries from the checkpoint in the `meta`
  /// table (entry 0 when none) to the last entry. True when entries
  /// were checked (the checkpoint moves to the last one); an error names
  /// the first bad entry.
  expected<bool> verify_since_checkpoint() const;
  /// Moves the checkpoint to the newest entry, in the next write set.
  void note_verified();
  /// Entries the machine appends (chained by itself, so verified by
  /// construction) before the checkpoint follows them: a restart re-checks
  /// at most about this many plus what it did not write itself.
  static constexpr uint64_t checkpoint_interval = 10000;
  /// The encoding of the current-state record `key`; nullopt when absent.
  std::optional<std::string> current_record(const std::string& key) const;
  store::state_tables& tables() const {
    return entries_.tables();
  }

  uint64_t applied_ = 0;
  /// digest()'s last result and what it covered (applied index, last
  /// entry hash). Every change of state moves the applied index.
  struct digest_memo {
    uint64_t applied = 0;
    std::string last_hash;
    std::string digest;
  };
  mutable std::optional<digest_memo> digest_memo_;
  /// Entries: the tables plus a bounded cache of the newest.
  entry_log entries_;
  /// Built over external tables.
  bool durable_ = false;
  /// The host persists take_writes() (set by load()).
  bool host_persists_ = false;
  /// Current-state records changed since take_writes(), by key.
  std::set<std::string> dirty_;
  /// Changes recorded as they happen (dedup window, scope heads).
  store::state_write current_;
  /// Applied index of the last write set taken.
  uint64_t applied_taken_ = 0;
  /// Sequence of the chain checkpoint as last noted (note_verified).
  uint64_t checkpoint_seq_ = 0;
  /// Latest sequence per scope key: the `parent` of the next entry there.
  std::map<std::string, uint64_t> last_in_scope_;
  std::map<std::string, protocol::VClusterOverlay> overlays_;
  std::map<std::string, protocol::NodeRecord> nodes_;
  protocol::GlobalState global_;
  std::map<std::string, protocol::Emergency> emergencies_;
  std::map<std::string, protocol::Approval> approvals_;
  /// While an approved write is applied as its requester: it does not
  /// wait for approval again.
  bool approving_ = false;
  /// While a write whose approval was skipped (its author owns the active
  /// emergency) is dispatched: make_entry flags its entries.
  bool approval_skipped_ = false;
  /// Deduplication window, oldest first, and its index by key.
  std::deque<protocol::RecentRequest> recent_;
  std::map<std::string, size_t> recent_index_;
  /// Position in recent_ of recent_index_'s 0 (grows as the front drops).
  size_t recent_base_ = 0;
};

/// Builds a CommandResult that refuses with `code` and `message`.
protocol::CommandResult refuse(protocol::StatusCode code, std::string message);

/// Builds an OK CommandResult listing `sequences`.
protocol::CommandResult accept(const std::vector<uint64_t>& sequences);

} // namespace pact::journal
