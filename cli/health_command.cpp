// `pact health`: one check over pact's journal, lattice and the agents
// (docs/cli.md "Delegated to lattice"), in the shape of pact-mcp's
// pact_system_health and judged by the same code
// (actors/client/system_health.hpp). Exit 0 when every component is up,
// else 1 (and a line on stderr naming what is not), so that a monitoring
// probe can run it as it is. Unlike the MCP tool, a lattice that is not
// configured is a "down" component (the journal and the agents are still
// checked), not a failure of the whole.

#include <iostream>

#include "actors/client/delegation.hpp"
#include "actors/client/system_health.hpp"
#include "cli/commands.hpp"
#include "cli/lattice_text.hpp"

namespace pact::cli {

namespace {

expected<render::status_view> journal_status(const context& ctx) {
  auto s = open_session(ctx);
  if (!s)
    return s.err();
  return (*s)->status("", "");
}

int run_health(context& ctx) {
  auto status = journal_status(ctx);
  auto view = client::system_health(status,
                                    client::lattice_settings_of(ctx.cfg));
  if (ctx.json)
    std::cout << view.dump(2) << "\n";
  else
    std::cout << components_text(view);
  std::string not_up;
  for (const auto& c : view["components"])
    if (c["status"] != "up")
      not_up += (not_up.empty() ? "" : ", ") + c["name"].get<std::string>()
                + " (" + c["status"].get<std::string>() + ")";
  if (not_up.empty())
    return 0;
  return report(make_error("health: not up: " + not_up));
}

} // namespace

command health_command() {
  command c;
  c.name = "health";
  c.summary = "Check pact's journal, lattice and the agents at once";
  c.usage = "";
  c.run = run_health;
  return c;
}

} // namespace pact::cli
