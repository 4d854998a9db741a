#include "cli/delegation_run.hpp"

#include <iostream>

#include "cli/agent_grant.hpp"
#include "cli/approval_wait.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/delegation/lattice_views.hpp"

namespace pact::cli {

namespace {

void print_outcome(const context& ctx, const client::delegated_result& r,
                   const delegated_text& text) {
  if (ctx.json) {
    auto out = r.answer;
    out["request_sequence"] = r.request_sequence;
    out["outcome_sequence"] = r.outcome_sequence;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << terminal_safe(text(r.answer));
    if (r.outcome_sequence != 0)
      std::cout << " (entries " << r.request_sequence << ", "
                << r.outcome_sequence << ")\n";
    else
      std::cout << " (entry " << r.request_sequence << ")\n";
  }
  if (r.outcome_unrecorded)
    std::cerr << "pact: warning: done, but its outcome was not acknowledged "
                 "by the journal ("
              << r.outcome_unrecorded->message << "); `pact log` shows "
              << "whether request entry " << r.request_sequence
              << " has an outcome\n";
}

} // namespace

int run_delegation(context& ctx, client::delegated_op op,
                   const delegated_call& call, const delegated_text& text,
                   const std::string& redeem) {
  auto grant = approval_flag(ctx);
  if (!grant)
    return report(grant.err());
  op.grant_id = *grant;
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  bool approval_required = false;
  auto r = client::run_delegated(**s, op, call, &approval_required);
  if (!r && approval_required && op.grant_id.empty()) {
    auto granted = await_grant(**s, client::grant_action(op),
                               [&](const std::string& id) {
                                 auto line = redeem;
                                 return line.replace(line.find("ID"), 2, id);
                               });
    if (!granted)
      return report(granted.err());
    op.grant_id = *granted;
    r = client::run_delegated(**s, op, call);
  }
  if (!r)
    return report(r.err());
  print_outcome(ctx, *r, text);
  return 0;
}

int run_backup_create(context& ctx, const std::string& path) {
  if (auto st = delegation::check_backup_path(path); !st)
    return report(st.err());
  auto settings = client::lattice_settings_of(ctx.cfg);
  if (!settings)
    return report(settings.err());
  client::delegated_op op;
  op.action = "backup.create";
  op.path = path;
  op.backend = "lattice";
  op.endpoint = settings->endpoint;
  auto call = [&] { return delegation::backup_create(*settings, path); };
  auto text = [](const nlohmann::json& a) {
    return "lattice backup written to " + a.value("path", "") + ": "
           + std::to_string(a.value("nodes", 0)) + " nodes, "
           + std::to_string(a.value("allocations", 0)) + " allocations, "
           + std::to_string(a.value("tenants", 0)) + " tenants";
  };
  return run_delegation(ctx, op, call, text, "pact backup create " + path);
}

} // namespace pact::cli
