// `pact approve list [--all] | accept ID | deny ID -m REASON`: the second
// person of two-person approval (issue 14 item 2; operator guide,
// "Two-Person Approval Workflow"). The journal decides who may: never the
// requester, and only pact-regulated-{vc} or pact-platform-admin.

#include <iostream>

#include "actors/client/approval.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// What the approval would do, in full enough words for the approver
/// ("commit kernel vm.a = 2 (was 1): \"why\"", "group.set-policy
/// {\"two_person_approval\": false, …}", "exec systemctl stop slurmd").
/// Not escaped here: text output is neutralised as it is printed, JSON is
/// exact (argv bytes become UTF-8 with \xNN escapes).
std::string what_text(const protocol::Approval& a) {
  if (!a.agent_action().action().empty()) {
    const auto& x = a.agent_action();
    if (x.action() == "service.restart")
      return "restart " + x.service();
    // A delegated operation (docs/delegation.md): drain n5 (reason "fw").
    if (x.action() != "exec")
      return x.action() + " " + x.node()
             + (x.detail().empty() ? std::string()
                : x.detail() == "force" && x.action() != "drain"
                  ? std::string(" --force")
                  : " (reason \"" + x.detail() + "\")");
    std::string out = "exec";
    for (const auto& arg : x.argv())
      out += " " + utf8_safe(arg);
    return out;
  }
  const auto& c = a.command();
  std::string out = a.action();
  switch (c.kind()) {
    case protocol::COMMAND_KIND_POLICY_UPDATE:
      out += " " + render::policy_json(c.policy()).dump();
      break;
    case protocol::COMMAND_KIND_OVERLAY_APPLY:
      for (const auto& o : c.overlays())
        out += " [" + o.vcluster() + ": " + std::to_string(o.items_size())
               + " items"
               + (o.has_policy()
                    ? ", policy " + render::policy_json(o.policy()).dump()
                    : std::string())
               + "]";
      break;
    case protocol::COMMAND_KIND_ROLLBACK:
      out += " " + render::scope_text(c.scope()) + " to entry "
             + std::to_string(c.rollback_to());
      break;
    case protocol::COMMAND_KIND_NODE_ENROLL:
      out += " " + c.scope().node() + " into " + c.vcluster();
      break;
    case protocol::COMMAND_KIND_BLACKLIST_ADD:
    case protocol::COMMAND_KIND_BLACKLIST_REMOVE:
      out += " " + c.blacklist_pattern();
      break;
    case protocol::COMMAND_KIND_EXTEND_WINDOW:
      out += " " + render::scope_text(c.scope()) + " by "
             + std::to_string(c.extend_seconds()) + " s";
      break;
    case protocol::COMMAND_KIND_NODE_STATE_CHANGE:
      out += " " + render::scope_text(c.scope()) + " to "
             + render::node_state_name(c.node_state());
      break;
    default: {
      const auto& items = c.state_delta().items();
      for (int i = 0; i < items.size() && i < 3; ++i)
        out += " " + render::item_text(items.Get(i));
      if (items.size() > 3)
        out += " (+" + std::to_string(items.size() - 3) + " more)";
    }
  }
  if (!a.message().empty())
    out += ": \"" + a.message() + "\"";
  return out;
}

nlohmann::json approval_json(const protocol::Approval& a) {
  nlohmann::json vcs = nlohmann::json::array();
  for (const auto& vc : a.vclusters())
    vcs.push_back(vc);
  nlohmann::json j{{"id", a.id()},
                   {"state", render::approval_state_name(a.state())},
                   {"scope", render::scope_text(a.scope())},
                   {"vclusters", vcs},
                   {"action", a.action()},
                   {"what", what_text(a)},
                   {"requester", a.requester().principal()},
                   {"requested", render::time_text(a.requested_unix_ms())},
                   {"requested_sequence", a.requested_sequence()},
                   {"expires", render::time_text(a.expires_unix_ms())}};
  if (!a.decided_by().principal().empty()) {
    j["decided_by"] = a.decided_by().principal();
    j["decided"] = render::time_text(a.decided_unix_ms());
    j["decided_sequence"] = a.decided_sequence();
  }
  if (!a.decision_message().empty())
    j["reason"] = a.decision_message();
  return j;
}

int approve_list(context& ctx, journal_session& s) {
  auto list = client::list_approvals(s, ctx.cfg.get_string("vcluster"));
  if (!list)
    return report(list.err());
  bool all = ctx.vm.count("all") > 0;
  std::vector<protocol::Approval> shown;
  for (auto& a : *list)
    if (all || a.state() == protocol::APPROVAL_STATE_PENDING)
      shown.push_back(std::move(a));
  if (ctx.json) {
    auto out = nlohmann::json::array();
    for (const auto& a : shown)
      out.push_back(approval_json(a));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (shown.empty()) {
    std::cout << (all ? "no approvals\n" : "no pending approvals\n");
    return 0;
  }
  auto now = now_unix_ms();
  std::vector<std::vector<std::string>> rows{
    {"ID", "STATE", "SCOPE", "ACTION", "REQUESTER", "AGE", "EXPIRES"}};
  for (const auto& a : shown)
    rows.push_back({a.id(), render::approval_state_name(a.state()),
                    render::scope_text(a.scope()), what_text(a),
                    a.requester().principal(),
                    client::duration_text(now - a.requested_unix_ms()),
                    a.state() == protocol::APPROVAL_STATE_PENDING
                      ? "in " + client::duration_text(a.expires_unix_ms() - now)
                      : render::time_text(a.expires_unix_ms())});
  std::cout << render::render_table(rows);
  return 0;
}

int approve_decide(context& ctx, journal_session& s, const std::string& id,
                   bool accept) {
  std::string reason;
  if (ctx.vm.count("message"))
    reason = ctx.vm["message"].as<std::string>();
  if (!accept && reason.empty())
    return report(make_error("approve deny: give the reason with -m REASON"));
  auto r = client::decide_approval(s, id, accept, reason);
  if (!r)
    return report(r.err());
  const auto& a = r->result().approval();
  const auto& inner = a.result();
  if (ctx.json) {
    auto j = approval_json(a);
    j["sequences"] = std::vector<uint64_t>(r->result().sequences().begin(),
                                           r->result().sequences().end());
    if (accept && a.agent_action().action().empty())
      j["applied"] = inner.status().code() == protocol::STATUS_CODE_OK
                       ? nlohmann::json(std::vector<uint64_t>(
                         inner.sequences().begin(), inner.sequences().end()))
                       : nlohmann::json(inner.status().message());
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << (accept ? "approved " : "denied ") << a.id() << " of "
            << terminal_safe(a.requester().principal()) << " (" << what_text(a)
            << ") as entry " << a.decided_sequence() << "\n";
  if (!accept)
    return 0;
  if (!a.agent_action().action().empty()) {
    const auto& act = a.agent_action().action();
    std::string redeem = act == "exec" ? "pact exec --approval " + a.id() + " …"
                         : act == "service.restart"
                           ? "pact service restart --approval " + a.id() + " …"
                           : "pact " + act + " --approval " + a.id() + " "
                               + a.agent_action().node() + " …";
    std::cout << terminal_safe(a.requester().principal())
              << " may now run it once on " << render::scope_text(a.scope())
              << ", until " << render::time_text(a.expires_unix_ms()) << " ("
              << terminal_safe(redeem) << ")\n";
    return 0;
  }
  if (inner.status().code() != protocol::STATUS_CODE_OK) {
    // The decision stands; the write it approved no longer applies (the
    // requester's waiting command reports the same failure).
    std::cout << "the approved " << a.action()
              << " did not apply: " << terminal_safe(inner.status().message())
              << "\n";
    return 0;
  }
  std::string seqs;
  for (auto x : inner.sequences())
    seqs += (seqs.empty() ? "" : ", ") + std::to_string(x);
  std::cout << "applied as " << terminal_safe(a.requester().principal())
            << (seqs.empty() ? ": nothing changed (already as asked)"
                             : ": entry " + seqs)
            << "\n";
  return 0;
}

int run_approve(context& ctx) {
  auto action = ctx.vm["action"].as<std::string>();
  std::string id = ctx.vm.count("id") ? ctx.vm["id"].as<std::string>() : "";
  if (action != "list" && action != "accept" && action != "deny")
    return report(make_error("approve: unknown action '" + terminal_safe(action)
                             + "' (list, accept, deny)"));
  if (action == "list" && !id.empty())
    return report(make_error("approve list takes no ID"));
  if (action != "list" && id.empty())
    return report(make_error("approve " + action
                             + ": name the approval (ap-…; `pact approve "
                               "list` shows them)"));
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  if (action == "list")
    return approve_list(ctx, **s);
  return approve_decide(ctx, **s, id, action == "accept");
}

} // namespace

command approve_command() {
  command c;
  c.name = "approve";
  c.summary = "List pending two-person approvals, accept or deny one";
  c.usage = "list [--all] | accept ID | deny ID -m REASON";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("action", po::value<std::string>()->required(),
                       "list, accept or deny")("id", po::value<std::string>(),
                                               "The approval (ap-…)")(
      "message,m", po::value<std::string>(), "Why (deny: required)")(
      "all", "list: decided approvals of the last week too");
    pos.add("action", 1).add("id", 1);
  };
  c.run = run_approve;
  return c;
}

} // namespace pact::cli
