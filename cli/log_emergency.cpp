#include "cli/log_emergency.hpp"

#include <iostream>

#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace {

using nlohmann::json;
using protocol::ConfigEntry;

/// One emergency of the audit: its start, what was written under it, its
/// end (null while it is active).
struct audited {
  ConfigEntry start;
  std::vector<ConfigEntry> during;
  std::optional<ConfigEntry> end;
};

/// The reply's entries run oldest first within each emergency, newest
/// emergency first (LogRequest.emergencies).
std::vector<audited> group(const protocol::LogReply& r) {
  std::vector<audited> out;
  for (const auto& e : r.entries()) {
    if (e.entry_type() == protocol::ENTRY_TYPE_EMERGENCY_START
        && (out.empty() || e.sequence() != out.back().start.sequence())) {
      out.push_back({e, {}, std::nullopt});
      continue;
    }
    if (out.empty())
      continue;
    if (e.entry_type() == protocol::ENTRY_TYPE_EMERGENCY_END
        && render::scope_text(e.scope())
             == render::scope_text(out.back().start.scope()))
      out.back().end = e;
    else
      out.back().during.push_back(e);
  }
  return out;
}

/// "exec nvidia-smi -q (finished, exit 0) by alice@site" for exec and
/// shell records; the message otherwise.
std::string what_text(const ConfigEntry& e) {
  if (!e.has_exec())
    return render::entry_mark(e) + e.message();
  const auto& x = e.exec();
  std::string cmd;
  if (!x.line().empty()) {
    cmd = "shell: " + terminal_safe(x.line());
  } else {
    for (const auto& a : x.argv())
      cmd += (cmd.empty() ? "" : " ") + terminal_safe(a);
    cmd = "exec " + cmd;
  }
  std::string how = x.phase();
  if (x.phase() == "finished")
    how += ", exit " + std::to_string(x.exit_code());
  return cmd + " (" + how + ") by " + x.caller().principal();
}

void print_text(const std::vector<audited>& list) {
  if (list.empty()) {
    std::cout << "no emergencies\n";
    return;
  }
  for (const auto& a : list) {
    const auto& s = a.start;
    std::cout << "EMERGENCY on " << render::scope_text(s.scope()) << " (entry "
              << s.sequence() << ")\n"
              << "  started  " << render::time_text(s.timestamp_unix_ms())
              << " by " << s.author().principal() << " (" << s.author().role()
              << ")\n"
              << "  reason   " << terminal_safe(s.emergency_reason()) << "\n";
    if (a.during.empty())
      std::cout << "  during   nothing was written\n";
    for (const auto& e : a.during)
      std::cout << "  " << e.sequence() << "  "
                << render::time_text(e.timestamp_unix_ms()) << "  "
                << render::entry_type_name(e.entry_type()) << "  "
                << render::scope_text(e.scope()) << "  "
                << e.author().principal() << "  " << what_text(e) << "\n";
    if (!a.end) {
      std::cout << "  ended    not yet (active)\n\n";
      continue;
    }
    const auto& e = *a.end;
    std::cout << "  ended    " << render::time_text(e.timestamp_unix_ms())
              << " by " << e.author().principal()
              << (e.emergency_forced()
                    ? " (forced: it was " + e.emergency_owner().principal()
                        + "'s)"
                  : e.emergency_expired() ? " (its window ran out)"
                                          : "")
              << ", entry " << e.sequence() << "\n\n";
  }
}

json to_json(const std::vector<audited>& list) {
  json out = json::array();
  for (const auto& a : list) {
    json during = json::array();
    for (const auto& e : a.during)
      during.push_back(render::entry_json(e));
    out.push_back(
      {{"scope", render::scope_text(a.start.scope())},
       {"started_by", a.start.author().principal()},
       {"reason", a.start.emergency_reason()},
       {"start", render::entry_json(a.start)},
       {"during", during},
       {"end", a.end ? render::entry_json(*a.end) : json()},
       {"ended_by", a.end ? json(a.end->author().principal()) : json()},
       {"active", !a.end}});
  }
  return out;
}

} // namespace

int run_log_emergency(context& ctx, client::journal_session& s,
                      const client::log_query& q) {
  protocol::Request req;
  req.set_request_id("log-emergency");
  auto* lq = req.mutable_log();
  lq->set_emergencies(true);
  lq->set_limit(q.limit);
  lq->set_scope(q.scope);
  lq->set_stale(q.stale);
  lq->set_since_unix_ms(q.since_unix_ms);
  lq->set_until_unix_ms(q.until_unix_ms);
  auto resp = s.call(std::move(req));
  if (!resp)
    return report(resp.err());
  auto list = group(resp->log_reply());
  if (ctx.json)
    std::cout << to_json(list).dump(2) << "\n";
  else
    print_text(list);
  if (resp->log_reply().more())
    std::cerr << "pact: warning: an emergency had more entries than one "
                 "audit reads; narrow it with --since/--until or --scope\n";
  return 0;
}

} // namespace pact::cli
