// pact_cluster_health (both quorums side by side) and pact_system_health
// (one line per component), judged as `pact cluster` and `pact health`
// judge them (actors/client/system_health.hpp). The latter is the health
// check itself, so a component that cannot be reached is a "down" row,
// not a failed call; only a lattice that is not configured fails it, as
// it fails every lattice tool. pact_cluster_health fails when either
// quorum cannot be asked.

#include "actors/client/system_health.hpp"
#include "mcp/tools.hpp"
#include "runtime/delegation/lattice_views.hpp"

namespace pact::mcp {

tool_call cluster_health_call(const bridge& b) {
  return [&b](const json&, call_context&) -> tool_result {
    auto settings = lattice_settings(b);
    if (!settings)
      return failed(settings.err());
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    auto st = (*bs).status("", "");
    if (!st)
      return failed(st.err());
    auto lattice = delegation::lattice_raft(*settings);
    if (!lattice)
      return failed(lattice.err());
    return lattice_answer(
      client::cluster_view(client::journal_quorum(*st), *lattice), bs.warning);
  };
}

tool_call system_health_call(const bridge& b) {
  return [&b](const json&, call_context&) -> tool_result {
    auto settings = lattice_settings(b);
    if (!settings)
      return failed(settings.err());
    bridge_session bs{b};
    auto st = bs.s ? (*bs).status("", "")
                   : expected<render::status_view>(bs.s.err());
    return lattice_answer(client::system_health(st, settings), bs.warning);
  };
}

} // namespace pact::mcp
