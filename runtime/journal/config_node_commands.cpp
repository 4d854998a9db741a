// config_state_machine: commands about nodes, emergencies and audit records.
// As elsewhere, each handler validates before it changes anything.

#include "runtime/journal/config_state_machine.hpp"

#include <algorithm>
#include <optional>

#include "runtime/journal/config_detail.hpp"
#include "runtime/journal/enrollment.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::CommandResult;
using protocol::JournalCommand;
using protocol::Scope;
using namespace detail;

namespace {

/// Entry types a RECORD command may write: events that change no declared
/// state (the others have their own commands and rules).
bool is_recordable(protocol::EntryType t) {
  switch (t) {
    case protocol::ENTRY_TYPE_EXEC_LOG:
    case protocol::ENTRY_TYPE_SHELL_SESSION:
    case protocol::ENTRY_TYPE_SERVICE_LIFECYCLE:
    case protocol::ENTRY_TYPE_PENDING_APPROVAL:
    case protocol::ENTRY_TYPE_APPROVAL_DECISION:
    case protocol::ENTRY_TYPE_CAPABILITY_CHANGE:
    case protocol::ENTRY_TYPE_BOOT_CONFIG:
    case protocol::ENTRY_TYPE_NODE_ACTIVATED:
    case protocol::ENTRY_TYPE_NODE_REVOKED:
    case protocol::ENTRY_TYPE_WINDOW_EXPIRED:
    case protocol::ENTRY_TYPE_DRIFT_RESOLVED:
      return true;
    default:
      return false;
  }
}

/// Records about a node's drift, which change its record too.
bool is_drift_record(protocol::EntryType t) {
  return t == protocol::ENTRY_TYPE_WINDOW_EXPIRED
         || t == protocol::ENTRY_TYPE_DRIFT_RESOLVED;
}

/// Longest agent endpoint a boot-config record may carry.
constexpr size_t max_agent_endpoint_bytes = 256;

/// "" when `url` is an http:// or https:// URL of printable ASCII without
/// spaces, at most max_agent_endpoint_bytes long.
std::string check_agent_endpoint(const std::string& url) {
  if (url.size() > max_agent_endpoint_bytes)
    return "record: agent endpoint is longer than "
           + std::to_string(max_agent_endpoint_bytes) + " bytes";
  bool printable = std::all_of(url.begin(), url.end(),
                               [](char c) { return c > ' ' && c < 0x7f; });
  bool scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  auto host_at = url.find("://") + 3;
  if (!printable || !scheme || url.size() == host_at)
    return "record: agent endpoint is not an http:// or https:// URL of "
           "printable characters";
  return {};
}

} // namespace

CommandResult config_state_machine::do_node_state(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_node, "node state change");
      !err.empty())
    return refuse(invalid, err);
  auto state = cmd.node_state();
  if (state == protocol::NODE_STATE_UNSPECIFIED
      || !protocol::NodeState_IsValid(state))
    return refuse(invalid, "node state change names no valid state");
  // Emergencies have their own start/end commands, with their own rules.
  if (state == protocol::NODE_STATE_EMERGENCY)
    return refuse(invalid, "use emergency start to put a node in emergency");
  if (auto* rec = node(cmd.scope().node());
      rec && rec->state() == protocol::NODE_STATE_EMERGENCY)
    return refuse(protocol::STATUS_CODE_CONFLICT,
                  "node '" + cmd.scope().node()
                    + "' is in an emergency; end it first");
  // Setting the state a node already has changes nothing (issue 8 item 9).
  if (auto* rec = node(cmd.scope().node()); rec && rec->state() == state)
    return unchanged(cmd.scope(), last_in_scope(cmd.scope()));
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_NODE_STATE_CHANGE, cmd.scope());
  e.set_node_state(state);
  uint64_t seq = append(std::move(e));
  node_record(cmd.scope().node()).set_state(state);
  return accept({seq});
}

CommandResult config_state_machine::do_node_event(const JournalCommand& cmd) {
  bool drift = cmd.kind() == protocol::COMMAND_KIND_DRIFT_DETECTED;
  const char* what = drift ? "drift detected" : "auto converge";
  if (auto err = check_scope(cmd.scope(), allow_node, what); !err.empty())
    return refuse(invalid, err);
  if (drift && cmd.state_delta().items_size() == 0)
    return refuse(invalid, "drift detected has no items");
  if (auto err = validate_delta(cmd.state_delta()); !err.empty())
    return refuse(invalid, err);
  auto e = make_entry(cmd,
                      drift ? protocol::ENTRY_TYPE_DRIFT_DETECTED
                            : protocol::ENTRY_TYPE_AUTO_CONVERGE,
                      cmd.scope());
  *e.mutable_state_delta() = cmd.state_delta();
  uint64_t seq = append(std::move(e));
  // Drift and convergence describe the node's actual state; they never
  // change its committed delta.
  auto& rec = node_record(cmd.scope().node());
  if (!drift) {
    // Putting a changed declaration in place is not convergence: a node
    // drifting elsewhere stays drifted (issue 11, a tester's F5).
    if (!cmd.declared_change())
      enter_drift(rec, protocol::NODE_STATE_CONVERGING);
    return accept({seq});
  }
  enter_drift(rec, protocol::NODE_STATE_DRIFTED);
  rec.set_drift_items(rec.drift_items()
                      + static_cast<uint32_t>(cmd.state_delta().items_size()));
  // The agent's window: `pact extend` then lengthens the one it opened.
  rec.set_window_ends_unix_ms(
    std::max(rec.window_ends_unix_ms(), cmd.window_ends_unix_ms()));
  return accept({seq});
}

std::string config_state_machine::emergency_vcluster(const Scope& scope) {
  if (scope.target_case() == Scope::kVcluster)
    return scope.vcluster();
  return node_record(scope.node()).vcluster();
}

CommandResult
config_state_machine::do_emergency_start(const JournalCommand& cmd) {
  const Scope& scope = cmd.scope();
  if (auto err = check_scope(scope, allow_vcluster | allow_node,
                             "emergency start");
      !err.empty())
    return refuse(invalid, err);
  if (scope.target_case() == Scope::kVcluster && !overlay(scope.vcluster()))
    return refuse(invalid, "unknown vCluster '" + scope.vcluster() + "'");
  if (cmd.force() || cmd.window_ran_out())
    return refuse(invalid, "emergency start takes neither force nor "
                           "window_ran_out");
  const auto& why = cmd.emergency_reason();
  if (why.find_first_not_of(" \t\r\n") == std::string::npos
      || why.size() > max_message_bytes)
    return refuse(invalid, "emergency start needs a reason (not only "
                           "blanks) of at most "
                             + std::to_string(max_message_bytes) + " bytes");
  if (scope.target_case() == Scope::kNode && !node(scope.node()))
    return refuse(invalid, "node '" + scope.node().substr(0, 80)
                             + "' is not known to the journal (enroll it "
                               "first)");
  // A vCluster emergency over a node in someone else's emergency would
  // take that node from its owner.
  if (scope.target_case() == Scope::kVcluster)
    for (const auto& [key, em] : emergencies_) {
      const auto* rec = em.scope().target_case() == Scope::kNode
                          ? node(em.scope().node())
                          : nullptr;
      if (rec && rec->vcluster() == scope.vcluster()
          && em.author().principal() != cmd.author().principal())
        return refuse(protocol::STATUS_CODE_CONFLICT,
                      "node:" + em.scope().node() + " of vcluster "
                        + scope.vcluster() + " is in an emergency started by "
                        + em.author().principal()
                        + "; it ends first (or is force-ended)");
    }
  // AI principals and the policy's emergency_allowed were decided before
  // (authorize: the decision point's emergency.start row).
  auto policy = governing_policy(scope);
  if (emergency(scope))
    return refuse(protocol::STATUS_CODE_CONFLICT,
                  "an emergency is already active on " + scope_key(scope));
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_EMERGENCY_START, scope);
  e.set_emergency_reason(cmd.emergency_reason());
  e.set_vcluster(emergency_vcluster(scope));
  uint64_t seq = append(std::move(e));
  protocol::Emergency em;
  *em.mutable_scope() = scope;
  em.set_started_sequence(seq);
  *em.mutable_author() = cmd.author();
  em.set_reason(cmd.emergency_reason());
  em.set_window_ends_unix_ms(cmd.timestamp_unix_ms()
                             + int64_t{policy.emergency_window_seconds()}
                                 * 1000);
  emergencies_[scope_key(scope)] = std::move(em);
  // The affected nodes: the node, or every node enrolled in the vCluster
  // (their agents relax the whitelist and lengthen the window, docs/
  // emergency.md).
  for_emergency_nodes(scope, [](protocol::NodeRecord& rec) {
    if (rec.state() == protocol::NODE_STATE_EMERGENCY)
      return false;
    rec.set_state_before_emergency(rec.state());
    rec.set_state(protocol::NODE_STATE_EMERGENCY);
    return true;
  });
  return accept({seq});
}

template <class F>
void config_state_machine::for_emergency_nodes(const Scope& scope, F&& f) {
  if (scope.target_case() == Scope::kNode) {
    if (f(node_record(scope.node())))
      mark_dirty(scope);
    return;
  }
  for (auto& [name, rec] : nodes_) {
    if (rec.vcluster() != scope.vcluster())
      continue;
    Scope own;
    own.set_node(name);
    // A node with an emergency of its own keeps it.
    if (emergency(own) != nullptr)
      continue;
    if (f(rec))
      mark_dirty(own);
  }
}

CommandResult
config_state_machine::do_emergency_end(const JournalCommand& cmd) {
  const Scope& scope = cmd.scope();
  if (auto err = check_scope(scope, allow_vcluster | allow_node,
                             "emergency end");
      !err.empty())
    return refuse(invalid, err);
  const auto* em = emergency(scope);
  if (em == nullptr)
    return refuse(protocol::STATUS_CODE_CONFLICT,
                  "no emergency is active on " + scope_key(scope));
  const auto& owner = em->author().principal();
  bool mine = owner == cmd.author().principal();
  if (cmd.window_ran_out()) {
    // The emergency's session actor, once the window has run out.
    if (cmd.timestamp_unix_ms() < em->window_ends_unix_ms())
      return refuse(protocol::STATUS_CODE_CONFLICT,
                    "the emergency on " + scope_key(scope)
                      + " has not run out of its window yet");
  } else if (!mine && !cmd.force()) {
    return refuse(protocol::STATUS_CODE_CONFLICT,
                  "the emergency on " + scope_key(scope) + " belongs to "
                    + owner + " (entry "
                    + std::to_string(em->started_sequence()) + ": "
                    + em->reason().substr(0, 200) + "); only " + owner
                    + " ends it, or a pact-platform-admin with `pact "
                      "emergency end --force`");
  } else if (!mine) {
    // Force-ending someone else's emergency: platform admins only (a raw
    // command acts as one).
    bool admin = !cmd.has_author_roles();
    for (const auto& g : cmd.author_roles().groups())
      admin = admin || g == "pact-platform-admin";
    if (!admin)
      return refuse(protocol::STATUS_CODE_UNAUTHORIZED,
                    "policy: denied: " + cmd.author().principal()
                      + " may not force-end " + owner + "'s emergency on "
                      + scope_key(scope) + " (needs pact-platform-admin)");
  }
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_EMERGENCY_END, scope);
  e.set_vcluster(emergency_vcluster(scope));
  *e.mutable_emergency_owner() = em->author();
  e.set_emergency_reason(em->reason());
  e.set_emergency_forced(!mine && !cmd.window_ran_out());
  e.set_emergency_expired(cmd.window_ran_out());
  if (e.message().empty())
    e.set_message(cmd.window_ran_out()
                    ? "emergency window ran out"
                    : (e.emergency_forced()
                         ? "force-ended " + owner + "'s emergency"
                         : "emergency ended"));
  uint64_t seq = append(std::move(e));
  emergencies_.erase(scope_key(scope));
  for_emergency_nodes(scope, [this](protocol::NodeRecord& rec) {
    if (rec.state() != protocol::NODE_STATE_EMERGENCY)
      return false;
    // A node still under its vCluster's emergency stays in it.
    Scope own;
    own.set_node(rec.node());
    if (covering_emergency(own) != nullptr)
      return false;
    auto back = rec.state_before_emergency();
    rec.set_state(back == protocol::NODE_STATE_UNSPECIFIED
                    ? protocol::NODE_STATE_OBSERVE_ONLY
                    : back);
    rec.clear_state_before_emergency();
    return true;
  });
  return accept({seq});
}

CommandResult config_state_machine::do_enroll(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_node, "node enroll");
      !err.empty())
    return refuse(invalid, err);
  if (!overlay(cmd.vcluster()))
    return refuse(invalid, "unknown vCluster '" + cmd.vcluster().substr(0, 80)
                             + "'; apply its overlay first");
  // A command with a token hash (every `pact enroll` since issue 16)
  // registers the node's enrollment; one without is an older entry and
  // does only what it did then (so old logs replay alike).
  bool registers = !cmd.enroll_token_sha256().empty();
  if (auto err = check_registration(cmd); !err.empty())
    return refuse(invalid, err);
  const auto* before = node(cmd.scope().node());
  bool same = before != nullptr && before->vcluster() == cmd.vcluster();
  // Enrolling again in the same vCluster issues a fresh token (and a new
  // hardware binding): the troubleshooting guide's fix for a hardware
  // mismatch. Without a token there is nothing to renew.
  if (same && !registers)
    return refuse(protocol::STATUS_CODE_CONFLICT,
                  "node '" + cmd.scope().node() + "' is already enrolled in '"
                    + cmd.vcluster() + "'");
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_NODE_ENROLLED, cmd.scope());
  e.set_vcluster(cmd.vcluster());
  uint64_t seq = append(std::move(e));
  auto& rec = node_record(cmd.scope().node());
  if (registers)
    record_registration(*rec.mutable_enrollment(), cmd, seq);
  // A re-registration in the node's own vCluster leaves its state alone.
  if (same)
    return accept({seq});
  rec.set_vcluster(cmd.vcluster());
  set_node_state(rec, protocol::NODE_STATE_OBSERVE_ONLY);
  // Joining a vCluster under an emergency joins the emergency (its owner
  // enrolled it: others are refused, emergency_conflict).
  if (rec.state() != protocol::NODE_STATE_EMERGENCY
      && covering_emergency(cmd.scope()) != nullptr) {
    rec.set_state_before_emergency(rec.state());
    rec.set_state(protocol::NODE_STATE_EMERGENCY);
  }
  return accept({seq});
}

CommandResult config_state_machine::do_record(const JournalCommand& cmd) {
  if (auto err = check_scope(
        cmd.scope(), allow_global | allow_vcluster | allow_node, "record");
      !err.empty())
    return refuse(invalid, err);
  auto type = cmd.record_type();
  if (!protocol::EntryType_IsValid(type) || !is_recordable(type))
    return refuse(invalid,
                  "record cannot write entry type " + std::to_string(type));
  if (auto err = validate_delta(cmd.state_delta()); !err.empty())
    return refuse(invalid, err);
  // The journal records an exec before the agent runs it (audit first), so
  // refusing the record is what stops an AI exec the policy forbids.
  // The agent records an exec with its node credential: the AI principal
  // is then the exec's verified caller.
  // A refusal is recorded whoever was refused: it runs nothing, and every
  // exec, allowed or refused, is in the journal (docs/authorization.md).
  bool runs = type == protocol::ENTRY_TYPE_EXEC_LOG
              || type == protocol::ENTRY_TYPE_SHELL_SESSION;
  if (runs && cmd.exec().phase() != "refused"
      && (cmd.author().principal_type() == protocol::PRINCIPAL_TYPE_AGENT
          || cmd.exec().caller().principal_type()
               == protocol::PRINCIPAL_TYPE_AGENT)
      && !governing_policy(cmd.scope()).ai_exec_allowed())
    return refuse(protocol::STATUS_CODE_POLICY_REJECTED,
                  "AI exec is not allowed by the policy of "
                    + scope_key(cmd.scope()));
  if (cmd.has_exec() && !runs)
    return refuse(invalid, "record: an exec belongs only to an exec-log or "
                           "shell-session record");
  const auto& endpoint = cmd.agent_endpoint();
  if (!endpoint.empty()) {
    if (type != protocol::ENTRY_TYPE_BOOT_CONFIG
        || cmd.scope().target_case() != Scope::kNode)
      return refuse(invalid, "record: an agent endpoint belongs only to a "
                             "boot-config record of a node");
    if (auto err = check_agent_endpoint(endpoint); !err.empty())
      return refuse(invalid, err);
  }
  // The vCluster a node's agent booted from rides on its boot record (the
  // node is listed under it until it is enrolled; journal.proto).
  const auto& booted = cmd.vcluster();
  if (!booted.empty()) {
    if (type != protocol::ENTRY_TYPE_BOOT_CONFIG
        || cmd.scope().target_case() != Scope::kNode)
      return refuse(invalid, "record: a vCluster belongs only to a "
                             "boot-config record of a node");
    if (!overlay(booted))
      return refuse(invalid,
                    "record: unknown vCluster '" + booted.substr(0, 80) + "'");
  }
  if (is_drift_record(type) && cmd.scope().target_case() != Scope::kNode)
    return refuse(invalid, "record: window-expired and drift-resolved "
                           "records belong to a node");
  // A resolution with nothing to resolve (the drift was committed, or
  // already resolved) changes nothing and appends nothing.
  std::optional<protocol::NodeRecord> resolved;
  if (type == protocol::ENTRY_TYPE_DRIFT_RESOLVED) {
    const auto* rec = node(cmd.scope().node());
    if (rec == nullptr || !resolve_drift(resolved.emplace(*rec)))
      return unchanged(cmd.scope(), last_in_scope(cmd.scope()));
  }
  auto e = make_entry(cmd, type, cmd.scope());
  *e.mutable_state_delta() = cmd.state_delta();
  e.set_agent_endpoint(endpoint);
  e.set_vcluster(booted);
  if (cmd.has_exec())
    *e.mutable_exec() = cmd.exec();
  uint64_t seq = append(std::move(e));
  if (resolved)
    node_record(cmd.scope().node()) = std::move(*resolved);
  if (type == protocol::ENTRY_TYPE_WINDOW_EXPIRED) {
    // Flagged for review: the node stays (or becomes) drifted.
    auto& rec = node_record(cmd.scope().node());
    enter_drift(rec, protocol::NODE_STATE_DRIFTED);
    rec.set_window_expired_unix_ms(cmd.timestamp_unix_ms());
  }
  // Where the node's agent is, for any replica to tell a client.
  if (!endpoint.empty()) {
    auto& rec = node_record(cmd.scope().node());
    rec.set_agent_endpoint(endpoint);
    rec.set_agent_boot_sequence(seq);
  }
  if (!booted.empty())
    node_record(cmd.scope().node()).set_booted_vcluster(booted);
  return accept({seq});
}

} // namespace pact::journal

namespace pact::journal {

CommandResult config_state_machine::do_extend(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_node, "extend"); !err.empty())
    return refuse(protocol::STATUS_CODE_INVALID_ARGUMENT, err);
  auto secs = cmd.extend_seconds();
  if (secs < min_extend_seconds || secs > max_extend_seconds)
    return refuse(protocol::STATUS_CODE_INVALID_ARGUMENT,
                  "extend: " + std::to_string(secs) + " s is outside "
                    + std::to_string(min_extend_seconds) + " s .. "
                    + std::to_string(max_extend_seconds) + " s");
  const auto& name = cmd.scope().node();
  auto ts = cmd.timestamp_unix_ms();
  // A window belongs to a node the journal knows (enrolled, or recorded by
  // its agent): extending a typo made up a node record (tester, issue 11).
  const auto* rec = node(name);
  if (rec == nullptr)
    return refuse(protocol::STATUS_CODE_INVALID_ARGUMENT,
                  "extend: node '" + name + "' is not known to this journal");
  int64_t current = rec->window_ends_unix_ms();
  auto ends = std::max(current, ts) + int64_t{secs} * 1000;
  // A window longer than the emergency window is what emergency mode is
  // for; an ordinary extension may not reach past it.
  auto limit
    = int64_t{governing_policy(cmd.scope()).emergency_window_seconds()};
  if (ends - ts > limit * 1000)
    return refuse(protocol::STATUS_CODE_POLICY_REJECTED,
                  "extend: the commit window would end "
                    + std::to_string((ends - ts) / 1000)
                    + " s from now, beyond the policy's emergency window of "
                    + std::to_string(limit) + " s (use emergency mode)");
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_WINDOW_EXTENDED, cmd.scope());
  e.set_window_ends_unix_ms(ends);
  uint64_t seq = append(std::move(e));
  node_record(name).set_window_ends_unix_ms(ends);
  return accept({seq});
}

} // namespace pact::journal
