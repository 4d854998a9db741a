#include "runtime/render/journal_render.hpp"

#include <ctime>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::render {

using namespace pact::protocol;
using nlohmann::json;

std::string entry_type_name(EntryType t) {
  switch (t) {
    case ENTRY_TYPE_COMMIT:
      return "commit";
    case ENTRY_TYPE_ROLLBACK:
      return "rollback";
    case ENTRY_TYPE_AUTO_CONVERGE:
      return "auto-converge";
    case ENTRY_TYPE_DRIFT_DETECTED:
      return "drift-detected";
    case ENTRY_TYPE_CAPABILITY_CHANGE:
      return "capability-change";
    case ENTRY_TYPE_POLICY_UPDATE:
      return "policy-update";
    case ENTRY_TYPE_BOOT_CONFIG:
      return "boot-config";
    case ENTRY_TYPE_EMERGENCY_START:
      return "emergency-start";
    case ENTRY_TYPE_EMERGENCY_END:
      return "emergency-end";
    case ENTRY_TYPE_EXEC_LOG:
      return "exec-log";
    case ENTRY_TYPE_SHELL_SESSION:
      return "shell-session";
    case ENTRY_TYPE_SERVICE_LIFECYCLE:
      return "service-lifecycle";
    case ENTRY_TYPE_PENDING_APPROVAL:
      return "pending-approval";
    case ENTRY_TYPE_APPROVAL_DECISION:
      return "approval-decision";
    case ENTRY_TYPE_NODE_ENROLLED:
      return "node-enrolled";
    case ENTRY_TYPE_NODE_ACTIVATED:
      return "node-activated";
    case ENTRY_TYPE_NODE_REVOKED:
      return "node-revoked";
    case ENTRY_TYPE_OVERLAY_APPLY:
      return "overlay-apply";
    case ENTRY_TYPE_BLACKLIST_UPDATE:
      return "blacklist-update";
    case ENTRY_TYPE_NODE_STATE_CHANGE:
      return "node-state-change";
    case ENTRY_TYPE_WINDOW_EXTENDED:
      return "window-extended";
    case ENTRY_TYPE_WINDOW_EXPIRED:
      return "window-expired";
    case ENTRY_TYPE_DRIFT_RESOLVED:
      return "drift-resolved";
    case ENTRY_TYPE_DELEGATION:
      return "delegation";
    default:
      return "unknown";
  }
}

namespace {

const std::vector<std::pair<DeltaCategory, const char*>> categories = {
  {DELTA_CATEGORY_MOUNTS, "mounts"},   {DELTA_CATEGORY_FILES, "files"},
  {DELTA_CATEGORY_NETWORK, "network"}, {DELTA_CATEGORY_SERVICES, "services"},
  {DELTA_CATEGORY_KERNEL, "kernel"},   {DELTA_CATEGORY_PACKAGES, "packages"},
  {DELTA_CATEGORY_GPU, "gpu"},
};

} // namespace

std::string category_name(DeltaCategory c) {
  for (auto& [k, v] : categories)
    if (k == c)
      return v;
  return "unknown";
}

std::optional<DeltaCategory> parse_category(const std::string& s) {
  if (s == "sysctl")
    return DELTA_CATEGORY_KERNEL;
  for (auto& [k, v] : categories)
    if (s == v)
      return k;
  return std::nullopt;
}

std::string action_name(DeltaAction a) {
  switch (a) {
    case DELTA_ACTION_ADD:
      return "add";
    case DELTA_ACTION_REMOVE:
      return "remove";
    case DELTA_ACTION_MODIFY:
      return "modify";
    default:
      return "unknown";
  }
}

std::string node_state_name(NodeState s) {
  switch (s) {
    case NODE_STATE_OBSERVE_ONLY:
      return "observe-only";
    case NODE_STATE_COMMITTED:
      return "committed";
    case NODE_STATE_DRIFTED:
      return "drifted";
    case NODE_STATE_CONVERGING:
      return "converging";
    case NODE_STATE_EMERGENCY:
      return "emergency";
    default:
      return "unknown";
  }
}

std::string scope_text(const Scope& s) {
  auto k = journal::scope_key(s);
  return k.empty() ? "global" : k;
}

std::string time_text(int64_t unix_ms) {
  auto secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string item_text(const DeltaItem& item) {
  auto out = category_name(item.category()) + " " + terminal_safe(item.key());
  // A removal says so once, with what it removed: "(removed, was 20)".
  if (item.action() == DELTA_ACTION_REMOVE)
    return out
           + (item.previous().empty()
                ? std::string(" (removed)")
                : " (removed, was " + terminal_safe(item.previous()) + ")");
  out += " = " + terminal_safe(item.value());
  if (!item.previous().empty())
    out += " (was " + terminal_safe(item.previous()) + ")";
  return out;
}

json item_json(const DeltaItem& item) {
  json j{{"category", category_name(item.category())},
         {"action", action_name(item.action())},
         {"key", item.key()}};
  if (item.action() != DELTA_ACTION_REMOVE)
    j["value"] = item.value();
  if (!item.previous().empty())
    j["previous"] = item.previous();
  return j;
}

namespace {

json items_json(const google::protobuf::RepeatedPtrField<DeltaItem>& items) {
  auto out = json::array();
  for (auto& i : items)
    out.push_back(item_json(i));
  return out;
}

json string_list(const google::protobuf::RepeatedPtrField<std::string>& l) {
  return json(std::vector<std::string>(l.begin(), l.end()));
}

json category_list(const google::protobuf::RepeatedField<int>& l) {
  auto out = json::array();
  for (auto c : l)
    out.push_back(category_name(static_cast<DeltaCategory>(c)));
  return out;
}

std::string enforcement_name(EnforcementMode m) {
  switch (m) {
    case ENFORCEMENT_MODE_WARN:
      return "warn";
    case ENFORCEMENT_MODE_ENFORCE:
      return "enforce";
    default:
      return "observe";
  }
}

} // namespace

namespace {

json identity_json(const protocol::Identity& who) {
  const char* type = who.principal_type() == PRINCIPAL_TYPE_AGENT ? "agent"
                     : who.principal_type() == PRINCIPAL_TYPE_SERVICE
                       ? "service"
                       : "human";
  return json{{"principal", who.principal()},
              {"principal_type", type},
              {"role", who.role()}};
}

} // namespace

json entry_json(const ConfigEntry& e) {
  json j{{"sequence", e.sequence()},
         {"timestamp", time_text(e.timestamp_unix_ms())},
         {"timestamp_unix_ms", e.timestamp_unix_ms()},
         {"type", entry_type_name(e.entry_type())},
         {"scope", scope_text(e.scope())},
         {"author", identity_json(e.author())},
         {"parent", e.parent()},
         {"message", e.message()},
         {"delta", items_json(e.state_delta().items())},
         {"prev_hash", journal::to_hex(e.prev_hash())},
         {"hash", journal::to_hex(e.hash())}};
  if (e.ttl_seconds() != 0)
    j["ttl_seconds"] = e.ttl_seconds();
  if (!e.emergency_reason().empty())
    j["emergency_reason"] = e.emergency_reason();
  if (e.rollback_to() != 0)
    j["rollback_to"] = e.rollback_to();
  if (e.has_blacklist_change())
    j["blacklist_change"] = {{"pattern", e.blacklist_change().pattern()},
                             {"removed", e.blacklist_change().removed()}};
  if (e.node_state() != NODE_STATE_UNSPECIFIED)
    j["node_state"] = node_state_name(e.node_state());
  if (!e.vcluster().empty())
    j["vcluster"] = e.vcluster();
  if (!e.agent_endpoint().empty())
    j["agent_endpoint"] = e.agent_endpoint();
  if (e.has_exec())
    j["exec"] = exec_json(e.exec());
  if (e.has_delegation()) {
    const auto& d = e.delegation();
    j["delegation"]
      = {{"action", d.action()},    {"phase", d.phase()},
         {"backend", d.backend()},  {"endpoint", d.endpoint()},
         {"node", d.node()},        {"path", d.path()},
         {"reason", d.reason()},    {"force", d.force()},
         {"detail", d.detail()},    {"request_sequence", d.request_sequence()},
         {"grant_id", d.grant_id()}};
  }
  // Emergency and approval entries stand out (issue 14 item 5): `flags`
  // names why, the rest says which emergency or approval.
  json flags = json::array();
  if (e.entry_type() == ENTRY_TYPE_EMERGENCY_START
      || e.entry_type() == ENTRY_TYPE_EMERGENCY_END
      || e.emergency_sequence() != 0)
    flags.push_back("emergency");
  if (e.has_approval())
    flags.push_back("approval");
  if (e.approval_skipped())
    flags.push_back("approval-skipped");
  j["flags"] = flags;
  if (e.emergency_sequence() != 0)
    j["emergency_sequence"] = e.emergency_sequence();
  if (e.entry_type() == ENTRY_TYPE_EMERGENCY_END) {
    j["emergency_owner"] = identity_json(e.emergency_owner());
    j["emergency_forced"] = e.emergency_forced();
    j["emergency_window_ran_out"] = e.emergency_expired();
  }
  if (e.has_approval()) {
    const auto& a = e.approval();
    j["approval"] = {{"id", a.id()},
                     {"state", approval_state_name(a.state())},
                     {"action", a.action()},
                     {"requester", a.requester().principal()},
                     {"expires", time_text(a.expires_unix_ms())}};
    if (!a.decided_by().principal().empty())
      j["approval"]["decided_by"] = a.decided_by().principal();
  }
  return j;
}

std::string approval_state_name(protocol::ApprovalState s) {
  switch (s) {
    case APPROVAL_STATE_PENDING:
      return "pending";
    case APPROVAL_STATE_APPROVED:
      return "approved";
    case APPROVAL_STATE_DENIED:
      return "denied";
    case APPROVAL_STATE_EXPIRED:
      return "expired";
    case APPROVAL_STATE_REDEEMED:
      return "used";
    default:
      return "unknown";
  }
}

std::string entry_mark(const ConfigEntry& e) {
  std::string mark;
  if (e.entry_type() == ENTRY_TYPE_EMERGENCY_START)
    mark = "EMERGENCY START";
  else if (e.entry_type() == ENTRY_TYPE_EMERGENCY_END)
    mark = e.emergency_forced()    ? "EMERGENCY END (forced)"
           : e.emergency_expired() ? "EMERGENCY END (window ran out)"
                                   : "EMERGENCY END";
  else if (e.emergency_sequence() != 0)
    mark = "EMERGENCY " + std::to_string(e.emergency_sequence());
  if (e.has_approval())
    mark += std::string(mark.empty() ? "" : ", ") + "APPROVAL "
            + e.approval().id() + " "
            + approval_state_name(e.approval().state());
  if (e.approval_skipped())
    mark += std::string(mark.empty() ? "" : ", ") + "NO APPROVAL (emergency)";
  return mark.empty() ? mark : "[" + mark + "] ";
}

json exec_json(const protocol::ExecRecord& x) {
  // Arguments are bytes (any but NUL): shown as UTF-8 with \xNN escapes.
  json argv = json::array();
  for (const auto& a : x.argv())
    argv.push_back(utf8_safe(a));
  json j{{"caller", identity_json(x.caller())},
         {"argv", std::move(argv)},
         {"resolved_path", utf8_safe(x.resolved_path())},
         {"phase", x.phase()},
         {"exit_code", x.exit_code()},
         {"detail", x.detail()},
         {"timed_out", x.timed_out()},
         {"truncated", x.truncated()},
         {"exec_id", x.exec_id()},
         {"occurred_unix_ms", x.occurred_unix_ms()}};
  // A shell session's records say which session and line.
  if (!x.session_id().empty()) {
    json resolved = json::array();
    for (const auto& p : x.resolved_paths())
      resolved.push_back(utf8_safe(p));
    j["session_id"] = x.session_id();
    j["line"] = utf8_safe(x.line());
    j["resolved_paths"] = std::move(resolved);
    j["command_seq"] = x.command_seq();
  }
  return j;
}

json policy_json(const VClusterPolicy& p) {
  return json{
    {"drift_sensitivity", p.drift_sensitivity()},
    {"base_commit_window_seconds", p.base_commit_window_seconds()},
    {"emergency_window_seconds", p.emergency_window_seconds()},
    {"enforcement_mode", enforcement_name(p.enforcement_mode())},
    {"auto_converge_categories", category_list(p.auto_converge_categories())},
    {"require_ack_categories", category_list(p.require_ack_categories())},
    {"regulated", p.regulated()},
    {"two_person_approval", p.two_person_approval()},
    {"approval_timeout_seconds", p.approval_timeout_seconds()},
    {"emergency_allowed", p.emergency_allowed()},
    {"ai_exec_allowed", p.ai_exec_allowed()},
    {"ai_write_allowed", p.ai_write_allowed()},
    {"audit_retention_days", p.audit_retention_days()},
    {"exec_whitelist", string_list(p.exec_whitelist())},
    {"shell_whitelist", string_list(p.shell_whitelist())},
    {"blacklist", string_list(p.blacklist())},
    {"read_only_commands", string_list(p.read_only_commands())}};
}

json overlay_json(const VClusterOverlay& o) {
  return json{{"vcluster", o.vcluster()},
              {"version", o.version()},
              {"checksum", o.checksum()},
              {"base_image", o.attributes().base_image()},
              {"supervisor_backend", o.attributes().supervisor_backend()},
              {"items", items_json(o.items())},
              {"policy", policy_json(o.policy())}};
}

json node_json(const NodeRecord& n) {
  json j{{"node", n.node()},
         {"vcluster", n.vcluster()},
         {"state", node_state_name(n.state())},
         {"committed", items_json(n.items())},
         {"delta_sequence", n.delta_sequence()}};
  if (n.delta_expires_unix_ms() != 0)
    j["delta_expires"] = time_text(n.delta_expires_unix_ms());
  if (n.window_ends_unix_ms() != 0)
    j["commit_window_ends"] = time_text(n.window_ends_unix_ms());
  if (n.window_expired_unix_ms() != 0)
    j["commit_window_expired"] = time_text(n.window_expired_unix_ms());
  j["drift_items"] = n.drift_items();
  if (!n.booted_vcluster().empty())
    j["booted_vcluster"] = n.booted_vcluster();
  if (!n.agent_endpoint().empty())
    j["agent_endpoint"] = n.agent_endpoint();
  return j;
}

std::string render_entries_text(const std::vector<ConfigEntry>& es) {
  std::vector<std::vector<std::string>> rows{
    {"SEQ", "TIME", "TYPE", "SCOPE", "AUTHOR", "MESSAGE"}};
  for (auto& e : es)
    rows.push_back({std::to_string(e.sequence()),
                    time_text(e.timestamp_unix_ms()),
                    entry_type_name(e.entry_type()), scope_text(e.scope()),
                    e.author().principal(), entry_mark(e) + e.message()});
  return render_table(rows);
}

std::string sequences_text(const CommandReply& reply) {
  const auto& s = reply.result().sequences();
  if (s.empty())
    return "-";
  if (s.size() == 1)
    return std::to_string(s[0]);
  return std::to_string(s[0]) + "-" + std::to_string(s[s.size() - 1]);
}

} // namespace pact::render
