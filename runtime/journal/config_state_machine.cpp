#include "runtime/journal/config_state_machine.hpp"

#include <algorithm>

#include "runtime/common/assert.hpp"
#include "runtime/journal/config_detail.hpp"
#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_policy.hpp"
#include "runtime/policy/command_authz.hpp"

namespace pact::journal {

using protocol::CommandResult;
using protocol::ConfigEntry;
using protocol::JournalCommand;
using protocol::Scope;

CommandResult refuse(protocol::StatusCode code, std::string message) {
  CommandResult r;
  r.mutable_status()->set_code(code);
  r.mutable_status()->set_message(std::move(message));
  return r;
}

CommandResult accept(const std::vector<uint64_t>& sequences) {
  CommandResult r;
  r.mutable_status()->set_code(protocol::STATUS_CODE_OK);
  for (auto s : sequences)
    r.add_sequences(s);
  return r;
}

namespace detail {

std::string check_scope(const Scope& scope, unsigned mask, const char* what) {
  std::string prefix = std::string(what) + ": ";
  switch (scope.target_case()) {
    case Scope::kGlobal:
      if (mask & allow_global)
        return {};
      return prefix + "the global scope is not allowed";
    case Scope::kVcluster:
      if (!(mask & allow_vcluster))
        return prefix + "a vCluster scope is not allowed";
      if (!valid_name(scope.vcluster()))
        return prefix + "invalid vCluster name '"
               + scope.vcluster().substr(0, 80) + "'";
      return {};
    case Scope::kNode:
      if (!(mask & allow_node))
        return prefix + "a node scope is not allowed";
      if (!valid_name(scope.node()))
        return prefix + "invalid node name '" + scope.node().substr(0, 80)
               + "'";
      return {};
    case Scope::TARGET_NOT_SET:
      break;
  }
  return prefix + "no scope given";
}

std::string check_ttl(const Scope& scope, uint32_t ttl_seconds) {
  if (scope.target_case() != Scope::kNode) {
    if (ttl_seconds != 0)
      return "ttl_seconds applies only to node deltas";
    return {};
  }
  if (ttl_seconds < min_node_ttl_seconds)
    return "ttl_seconds " + std::to_string(ttl_seconds)
           + " is below the minimum of " + std::to_string(min_node_ttl_seconds)
           + " s for node deltas";
  if (ttl_seconds > max_node_ttl_seconds)
    return "ttl_seconds " + std::to_string(ttl_seconds)
           + " is above the maximum of " + std::to_string(max_node_ttl_seconds)
           + " s for node deltas";
  return {};
}

} // namespace detail

std::string config_state_machine::apply(uint64_t index,
                                        const std::string& command) {
  PACT_ASSERT(index > applied_,
              "entries are applied once, in log order (Raft §5.3)");
  applied_ = index;
  std::string out;
  JournalCommand cmd;
  bool parsed = cmd.ParseFromString(command);
  if (parsed)
    cmd.set_timestamp_unix_ms(log_time(cmd));
  if (!parsed) {
    out = deterministic_bytes(refuse(protocol::STATUS_CODE_INVALID_ARGUMENT,
                                     "command is not a valid JournalCommand"));
  } else if (const auto* first = remembered(cmd)) {
    // A retry of a command already applied (Raft thesis §6.3): answer as
    // the first time, apply nothing.
    CommandResult again = *first;
    again.set_duplicate(true);
    out = deterministic_bytes(again);
  } else {
    CommandResult r = run(cmd);
    remember(cmd, r);
    out = deterministic_bytes(r);
  }
  maybe_flush();
  return out;
}

namespace {

std::string request_key(const JournalCommand& cmd) {
  return cmd.author().principal() + "\n" + cmd.client_request_id();
}

bool dedup_id_valid(const JournalCommand& cmd) {
  const auto& id = cmd.client_request_id();
  return !id.empty() && id.size() <= max_client_request_id_bytes;
}

} // namespace

const CommandResult*
config_state_machine::remembered(const JournalCommand& cmd) const {
  if (!dedup_id_valid(cmd))
    return nullptr;
  auto i = recent_index_.find(request_key(cmd));
  if (i == recent_index_.end())
    return nullptr;
  const auto& r = recent_[i->second - recent_base_];
  if (r.timestamp_unix_ms() < cmd.timestamp_unix_ms() - dedup_window_ms)
    return nullptr; // outside the window, though not yet forgotten
  return &r.result();
}

void config_state_machine::remember(const JournalCommand& cmd,
                                    const CommandResult& result) {
  if (!dedup_id_valid(cmd))
    return;
  // Forget by leader time and by count; both are deterministic (the
  // timestamps are in the log), so every replica forgets alike.
  auto horizon = cmd.timestamp_unix_ms() - dedup_window_ms;
  while (!recent_.empty()
         && (recent_.front().timestamp_unix_ms() < horizon
             || recent_.size() >= max_remembered_requests)) {
    auto i = recent_index_.find(recent_.front().key());
    if (i != recent_index_.end() && i->second == recent_base_)
      recent_index_.erase(i);
    recent_.pop_front();
    note_recent_dropped(recent_base_);
    ++recent_base_;
  }
  protocol::RecentRequest r;
  r.set_key(request_key(cmd));
  r.set_timestamp_unix_ms(cmd.timestamp_unix_ms());
  *r.mutable_result() = result;
  // The recorded delta echoes an entry the journal keeps anyway; a retry
  // reads it there instead of every snapshot carrying a second copy.
  r.mutable_result()->clear_state_delta();
  recent_index_[r.key()] = recent_base_ + recent_.size();
  note_recent_added(recent_base_ + recent_.size(), r);
  recent_.push_back(std::move(r));
}

void config_state_machine::skip(uint64_t index) {
  PACT_ASSERT(index > applied_,
              "entries are skipped once, in log order (Raft §5.3)");
  applied_ = index;
  maybe_flush();
}

namespace {

/// Checks every command must pass, whatever its kind; empty when valid.
std::string check_common(const JournalCommand& cmd) {
  if (cmd.kind() == protocol::COMMAND_KIND_UNSPECIFIED
      || !protocol::CommandKind_IsValid(cmd.kind()))
    return "unknown command kind " + std::to_string(cmd.kind());
  if (cmd.timestamp_unix_ms() <= 0)
    return "command has no timestamp (the leader stamps it)";
  if (cmd.author().principal().empty()
      || cmd.author().principal_type() == protocol::PRINCIPAL_TYPE_UNSPECIFIED
      || !protocol::PrincipalType_IsValid(cmd.author().principal_type()))
    return "command has no author principal and principal type";
  if (cmd.message().size() > max_message_bytes)
    return "message is longer than " + std::to_string(max_message_bytes)
           + " bytes";
  if (cmd.client_request_id().size() > max_client_request_id_bytes)
    return "client request id is longer than "
           + std::to_string(max_client_request_id_bytes) + " bytes";
  if (!cmd.agent_endpoint().empty()
      && cmd.kind() != protocol::COMMAND_KIND_RECORD)
    return "an agent endpoint belongs only to a boot-config record of a node";
  if (cmd.window_ends_unix_ms() < 0
      || (cmd.window_ends_unix_ms() != 0
          && cmd.kind() != protocol::COMMAND_KIND_DRIFT_DETECTED))
    return "a commit window end belongs only to a drift-detected command "
           "(and is not negative)";
  return detail::check_enrollment_fields(cmd);
}

} // namespace

std::string detail::check_command(const JournalCommand& cmd) {
  if (auto err = check_common(cmd); !err.empty())
    return err;
  return check_expectations(cmd);
}

CommandResult config_state_machine::execute(const JournalCommand& cmd) {
  CommandResult r;
  if (auto t = log_time(cmd); t != cmd.timestamp_unix_ms()) {
    auto later = cmd;
    later.set_timestamp_unix_ms(t);
    r = run(later);
  } else {
    r = run(cmd);
  }
  maybe_flush();
  return r;
}

int64_t config_state_machine::log_time(const JournalCommand& cmd) const {
  const auto* last = entries_.last();
  if (last == nullptr || cmd.timestamp_unix_ms() <= 0)
    return cmd.timestamp_unix_ms();
  return std::max(cmd.timestamp_unix_ms(), last->timestamp_unix_ms());
}

CommandResult config_state_machine::run(const JournalCommand& cmd) {
  auto r = authorize(cmd);
  if (r.status().code() == protocol::STATUS_CODE_OK)
    mark_dirty(cmd);
  return r;
}

CommandResult config_state_machine::authorize(const JournalCommand& cmd) {
  // The vCluster-policy rules of the decision point (AI writes, AI and
  // policy-forbidden emergencies) are decided here, with the policies as of
  // this entry, which every replica reads alike.
  policy::policy_lookup lookup = [this](const std::string& vc) {
    return policy(vc);
  };
  std::string enrolled;
  if (cmd.scope().target_case() == Scope::kNode)
    if (const auto* rec = node(cmd.scope().node()))
      enrolled = rec->vcluster();
  // Approvals expire, and emergencies end when their window runs out, by
  // the journal's own actors (raw commands, below); a client cannot ask.
  bool by_journal_only = cmd.kind() == protocol::COMMAND_KIND_APPROVAL_EXPIRE
                         || (cmd.kind() == protocol::COMMAND_KIND_EMERGENCY_END
                             && cmd.window_ran_out());
  if (by_journal_only && cmd.has_author_roles())
    return refuse(protocol::STATUS_CODE_UNAUTHORIZED,
                  "policy: denied: " + cmd.author().principal()
                    + " may not expire approvals or emergencies (the "
                      "journal's own actors do when their time runs out)");
  if (by_journal_only)
    return dispatch(cmd);
  // A node's certificate is recorded by the gateway that signed it, after
  // its own checks of the CSR (a raw command); a client's command never
  // activates an enrollment.
  if (cmd.kind() == protocol::COMMAND_KIND_NODE_ACTIVATE
      && cmd.has_author_roles())
    return refuse(protocol::STATUS_CODE_UNAUTHORIZED,
                  "policy: denied: " + cmd.author().principal()
                    + " may not activate an enrollment (the gateway does "
                      "when it signs a node's certificate request)");
  // Deciding an approval is authorized against the approval it names
  // (do_approval_decide): its vClusters, its requester.
  if (cmd.kind() == protocol::COMMAND_KIND_APPROVAL_DECIDE)
    return dispatch(cmd);
  if (!cmd.has_author_roles()) {
    // A raw command (platform admins only, at the gateway) carries no
    // stamped roles: its author acts as a platform admin, but the policy
    // rules hold for it too.
    policy::authenticated who;
    who.claims.subject = cmd.author().principal();
    if (cmd.author().principal_type() == protocol::PRINCIPAL_TYPE_AGENT)
      who.claims.principal_type = "agent";
    who.roles = {{policy::role::kind::platform_admin, {}}};
    auto d = policy::decide_command(who, cmd, enrolled, lookup);
    if (!d.allowed())
      return refuse(d.out == policy::decision::outcome::reject
                      ? protocol::STATUS_CODE_POLICY_REJECTED
                      : protocol::STATUS_CODE_UNAUTHORIZED,
                    d.message);
    // A raw proposal is one admin's bytes: it never passes a two-person
    // rule (there is no id to hold it under, and holding would let the
    // same admin decide how it is applied) nor another's emergency.
    if (auto conflict = emergency_conflict(cmd))
      return *conflict;
    if (d.needs_approval)
      return refuse(protocol::STATUS_CODE_POLICY_REJECTED,
                    "a raw proposal cannot write to a vCluster with "
                    "two-person approval; send the command itself (it waits "
                    "for a second person)");
    return dispatch(cmd);
  }
  // Authorized here, not by the gateway (issue 9 item 5): a node-scoped
  // write is checked against the node's enrollment as of this entry, which
  // every replica reads alike, instead of a linearizable read before
  // proposing. First, like the gateway's check it replaces.
  auto decision = policy::decide_at_apply(cmd, enrolled, lookup);
  if (!decision.denial.empty())
    return refuse(decision.policy_rejection
                    ? protocol::STATUS_CODE_POLICY_REJECTED
                    : protocol::STATUS_CODE_UNAUTHORIZED,
                  decision.denial);
  auto stamped = cmd;
  stamped.mutable_author()->set_role(decision.role);
  if (cmd.kind() == protocol::COMMAND_KIND_APPROVAL_REQUEST
      && decision.read_only)
    return refuse(protocol::STATUS_CODE_UNAUTHORIZED,
                  "policy: denied: " + cmd.author().principal()
                    + " may run only read-only commands there; an "
                      "approval cannot grant more");
  // An emergency belongs to its owner: nobody else writes its scope
  // until it ends (issue 14 item 4).
  if (auto conflict = emergency_conflict(stamped))
    return *conflict;
  if (cmd.kind() == protocol::COMMAND_KIND_DELEGATION)
    return authorize_delegation(stamped, decision.needs_approval,
                                decision.approval_vclusters);
  if (decision.needs_approval && !approving_
      && cmd.kind() != protocol::COMMAND_KIND_APPROVAL_REQUEST) {
    // The owner of the emergency skips the second person, as the guide's
    // emergency workflow intends; the entries say so for the audit.
    // Never the rules themselves: a policy change made alone in an
    // emergency could switch two-person approval off for good.
    bool changes_policy
      = cmd.kind() == protocol::COMMAND_KIND_POLICY_UPDATE
        || (cmd.kind() == protocol::COMMAND_KIND_OVERLAY_APPLY
            && std::any_of(cmd.overlays().begin(), cmd.overlays().end(),
                           [](const protocol::OverlaySpec& o) {
                             return o.has_policy();
                           }));
    if (changes_policy || owned_emergency(stamped) == nullptr)
      return hold_for_approval(stamped, decision.approval_vclusters);
    approval_skipped_ = true;
    auto r = dispatch(stamped);
    approval_skipped_ = false;
    return r;
  }
  return dispatch(stamped);
}

CommandResult config_state_machine::dispatch(const JournalCommand& cmd) {
  if (auto err = detail::check_command(cmd); !err.empty())
    return refuse(protocol::STATUS_CODE_INVALID_ARGUMENT, err);
  switch (cmd.kind()) {
    case protocol::COMMAND_KIND_COMMIT:
      return do_commit(cmd);
    case protocol::COMMAND_KIND_ROLLBACK:
      return do_rollback(cmd);
    case protocol::COMMAND_KIND_OVERLAY_APPLY:
      return do_overlay_apply(cmd);
    case protocol::COMMAND_KIND_POLICY_UPDATE:
      return do_policy_update(cmd);
    case protocol::COMMAND_KIND_BLACKLIST_ADD:
      return do_blacklist(cmd, false);
    case protocol::COMMAND_KIND_BLACKLIST_REMOVE:
      return do_blacklist(cmd, true);
    case protocol::COMMAND_KIND_NODE_STATE_CHANGE:
      return do_node_state(cmd);
    case protocol::COMMAND_KIND_DRIFT_DETECTED:
    case protocol::COMMAND_KIND_AUTO_CONVERGE:
      return do_node_event(cmd);
    case protocol::COMMAND_KIND_EMERGENCY_START:
      return do_emergency_start(cmd);
    case protocol::COMMAND_KIND_EMERGENCY_END:
      return do_emergency_end(cmd);
    case protocol::COMMAND_KIND_NODE_ENROLL:
      return do_enroll(cmd);
    case protocol::COMMAND_KIND_NODE_ACTIVATE:
      return do_node_activate(cmd);
    case protocol::COMMAND_KIND_NODE_REVOKE:
      return do_node_revoke(cmd);
    case protocol::COMMAND_KIND_RECORD:
      return do_record(cmd);
    case protocol::COMMAND_KIND_EXTEND_WINDOW:
      return do_extend(cmd);
    case protocol::COMMAND_KIND_APPROVAL_DECIDE:
      return do_approval_decide(cmd);
    case protocol::COMMAND_KIND_APPROVAL_EXPIRE:
      return do_approval_expire(cmd);
    case protocol::COMMAND_KIND_APPROVAL_REQUEST:
      return do_approval_request(cmd);
    case protocol::COMMAND_KIND_APPROVAL_REDEEM:
      return do_approval_redeem(cmd);
    case protocol::COMMAND_KIND_DELEGATION:
      return do_delegation(cmd);
    default:
      break;
  }
  return refuse(protocol::STATUS_CODE_INVALID_ARGUMENT,
                "unknown command kind " + std::to_string(cmd.kind()));
}

ConfigEntry config_state_machine::make_entry(const JournalCommand& cmd,
                                             protocol::EntryType type,
                                             const Scope& scope) const {
  ConfigEntry e;
  e.set_timestamp_unix_ms(cmd.timestamp_unix_ms());
  e.set_entry_type(type);
  *e.mutable_scope() = scope;
  *e.mutable_author() = cmd.author();
  e.set_message(cmd.message());
  // Everything written under an emergency is listed with it in the
  // regulated audit (`pact log --emergency`).
  if (const auto* em = covering_emergency(scope))
    e.set_emergency_sequence(em->started_sequence());
  e.set_approval_skipped(approval_skipped_);
  return e;
}

uint64_t config_state_machine::append(ConfigEntry entry) {
  uint64_t seq = last_sequence() + 1;
  auto key = scope_key(entry.scope());
  auto it = last_in_scope_.find(key);
  entry.set_sequence(seq);
  entry.set_parent(it == last_in_scope_.end() ? 0 : it->second);
  const auto* prev = entries_.last();
  entry.set_prev_hash(prev == nullptr ? zero_hash() : prev->hash());
  entry.clear_hash();
  entry.set_hash(entry_hash(entry));
  entries_.append(std::move(entry));
  last_in_scope_[key] = seq;
  note_scope_sequence(key, seq);
  return seq;
}

void config_state_machine::maybe_flush() {
  if (!host_persists_)
    flush_writes();
}

void config_state_machine::set_node_state(protocol::NodeRecord& rec,
                                          protocol::NodeState state) {
  if (rec.state() == protocol::NODE_STATE_EMERGENCY)
    rec.set_state_before_emergency(state);
  else
    rec.set_state(state);
}

namespace {

protocol::NodeState effective_state(const protocol::NodeRecord& rec) {
  return rec.state() == protocol::NODE_STATE_EMERGENCY
           ? rec.state_before_emergency()
           : rec.state();
}

bool is_drift_state(protocol::NodeState s) {
  return s == protocol::NODE_STATE_DRIFTED
         || s == protocol::NODE_STATE_CONVERGING;
}

} // namespace

void config_state_machine::enter_drift(protocol::NodeRecord& rec,
                                       protocol::NodeState state) {
  if (auto now = effective_state(rec); !is_drift_state(now))
    rec.set_state_before_drift(now);
  set_node_state(rec, state);
}

bool config_state_machine::resolve_drift(protocol::NodeRecord& rec) {
  bool drifting = is_drift_state(effective_state(rec));
  if (!drifting && rec.drift_items() == 0 && rec.window_expired_unix_ms() == 0)
    return false;
  if (drifting) {
    auto back = rec.state_before_drift();
    set_node_state(rec, back == protocol::NODE_STATE_UNSPECIFIED
                          ? protocol::NODE_STATE_COMMITTED
                          : back);
  }
  rec.clear_state_before_drift();
  rec.clear_drift_items();
  rec.clear_window_expired_unix_ms();
  // The episode's window closed with it: an extension granted in it is not
  // carried over to the next episode's window (issue 11).
  rec.clear_window_ends_unix_ms();
  return true;
}

protocol::NodeRecord&
config_state_machine::node_record(const std::string& node) {
  auto [it, fresh] = nodes_.try_emplace(node);
  if (fresh) {
    it->second.set_node(node);
    it->second.set_state(protocol::NODE_STATE_OBSERVE_ONLY);
  }
  return it->second;
}

void config_state_machine::seal(protocol::VClusterOverlay& overlay,
                                uint64_t version) {
  overlay.clear_version();
  overlay.clear_checksum();
  overlay.set_checksum(to_hex(sha256(deterministic_bytes(overlay))));
  overlay.set_version(version);
}

protocol::VClusterPolicy
config_state_machine::governing_policy(const Scope& scope) const {
  std::string vc;
  if (scope.target_case() == Scope::kVcluster) {
    vc = scope.vcluster();
  } else if (scope.target_case() == Scope::kNode) {
    if (auto* rec = node(scope.node()))
      vc = rec->vcluster();
  }
  return policy(vc);
}

// -- queries -----------------------------------------------------------------

expected<std::optional<ConfigEntry>>
config_state_machine::entry(uint64_t sequence) const {
  return entries_.get(sequence);
}

expected<std::vector<ConfigEntry>>
config_state_machine::log(size_t n, const std::optional<Scope>& scope) const {
  std::vector<ConfigEntry> out;
  if (n == 0)
    return out;
  std::optional<std::string> key;
  if (scope)
    key = scope_key(*scope);
  auto st = entries_.newest(key, [&](const ConfigEntry& e) {
    out.push_back(e);
    return out.size() < n;
  });
  if (!st)
    return st.err();
  return out;
}

expected<std::vector<protocol::AuditRecord>>
config_state_machine::audit(uint64_t after, size_t limit) const {
  static const std::vector<protocol::EntryType> audited{
    protocol::ENTRY_TYPE_EXEC_LOG,
    protocol::ENTRY_TYPE_SHELL_SESSION,
    protocol::ENTRY_TYPE_SERVICE_LIFECYCLE,
    protocol::ENTRY_TYPE_PENDING_APPROVAL,
    protocol::ENTRY_TYPE_APPROVAL_DECISION,
    protocol::ENTRY_TYPE_EMERGENCY_START,
    protocol::ENTRY_TYPE_EMERGENCY_END};
  auto entries = entries_.of_types(audited, after, limit);
  if (!entries)
    return entries.err();
  std::vector<protocol::AuditRecord> out;
  for (const auto& entry : *entries) {
    protocol::AuditRecord a;
    a.set_sequence(entry.sequence());
    a.set_entry_type(entry.entry_type());
    *a.mutable_scope() = entry.scope();
    *a.mutable_author() = entry.author();
    a.set_timestamp_unix_ms(entry.timestamp_unix_ms());
    out.push_back(std::move(a));
  }
  return out;
}

const protocol::VClusterOverlay*
config_state_machine::overlay(const std::string& vcluster) const {
  auto it = overlays_.find(vcluster);
  return it == overlays_.end() ? nullptr : &it->second;
}

protocol::VClusterPolicy
config_state_machine::policy(const std::string& vcluster) const {
  auto* o = overlay(vcluster);
  return o ? o->policy() : default_policy();
}

const protocol::NodeRecord*
config_state_machine::node(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::vector<std::string>
config_state_machine::blacklist(const Scope& scope) const {
  if (scope.target_case() == Scope::kGlobal)
    return {global_.blacklist().begin(), global_.blacklist().end()};
  if (scope.target_case() == Scope::kVcluster) {
    auto p = policy(scope.vcluster());
    return {p.blacklist().begin(), p.blacklist().end()};
  }
  return {};
}

const protocol::Emergency*
config_state_machine::emergency(const Scope& scope) const {
  auto it = emergencies_.find(scope_key(scope));
  return it == emergencies_.end() ? nullptr : &it->second;
}

const protocol::Emergency*
config_state_machine::covering_emergency(const Scope& scope) const {
  if (emergencies_.empty())
    return nullptr;
  if (const auto* own = emergency(scope))
    return own;
  if (scope.target_case() != Scope::kNode)
    return nullptr;
  const auto* rec = node(scope.node());
  if (rec == nullptr || rec->vcluster().empty())
    return nullptr;
  Scope vc;
  vc.set_vcluster(rec->vcluster());
  return emergency(vc);
}

} // namespace pact::journal
