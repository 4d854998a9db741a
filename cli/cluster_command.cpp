// `pact cluster`: pact's journal quorum beside lattice's (docs/cli.md
// "Delegated to lattice"; pact-mcp's pact_cluster_health has the same
// shape). The two are asked independently: when one cannot answer, the
// other is still shown and the missing one's section says why; nothing
// is made up for it. The exit code is then that failure's.

#include <iostream>

#include "actors/client/delegation.hpp"
#include "actors/client/system_health.hpp"
#include "cli/commands.hpp"
#include "cli/lattice_text.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/delegation/lattice_views.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// The journal's quorum as its answering replica's status report gives
/// it ("raft" of docs/cli.md's `pact status` JSON: node_id, role, term,
/// leader_id, commit_index, applied_index, last_index, voters, learners,
/// digest, failure, peers), as pact-mcp's pact_cluster_health does.
std::string journal_quorum_text(const json& q) {
  auto at = [&q](const char* key) {
    auto it = q.find(key);
    return it == q.end() ? json() : *it;
  };
  auto leader = q.value("leader_id", uint64_t{0});
  std::string out
    = "  leader " + (leader == 0 ? std::string("none") : std::to_string(leader))
      + ", term " + cell_text(at("term")) + ", commit "
      + cell_text(at("commit_index")) + ", applied "
      + cell_text(at("applied_index")) + "\n  answered by "
      + cell_text(at("node_id")) + " (" + terminal_safe(cell_text(at("role")))
      + "), voters " + cell_text(at("voters")) + "\n";
  if (auto f = q.value("failure", std::string()); !f.empty())
    out += "  WRITES REFUSED: " + terminal_safe(f) + "\n";
  auto peers = at("peers");
  if (!peers.is_array() || peers.empty())
    return out;
  std::vector<std::vector<std::string>> rows{
    {"PEER", "ADDRESS", "CONNECTED", "PROBLEM"}};
  for (const auto& p : peers)
    rows.push_back({cell_text(p.value("id", json())),
                    cell_text(p.value("url", json())),
                    cell_text(p.value("connected", json())),
                    cell_text(p.value("problem", json()))});
  return out + render::render_table(rows);
}

/// pact's journal: the status report of whichever replica answers.
expected<json> journal_quorum(const context& ctx) {
  auto s = open_session(ctx);
  if (!s)
    return s.err();
  auto v = (*s)->status("", "");
  if (!v)
    return v.err();
  return client::journal_quorum(*v);
}

int run_cluster(context& ctx) {
  auto pact = journal_quorum(ctx);
  auto settings = client::lattice_settings_of(ctx.cfg);
  auto lattice = settings ? delegation::lattice_raft(*settings)
                          : expected<json>(settings.err());
  if (ctx.json) {
    std::cout << client::cluster_view(pact, lattice).dump(2) << "\n";
  } else {
    std::cout << "pact journal\n"
              << (pact ? journal_quorum_text(*pact)
                       : "  unavailable: " + render::failure_text(pact.err())
                           + "\n")
              << "\nlattice"
              << (settings ? " (" + terminal_safe(settings->endpoint) + ")"
                           : std::string())
              << "\n"
              << (lattice ? lattice_raft_text(*lattice)
                          : "  unavailable: "
                              + render::failure_text(lattice.err()) + "\n");
  }
  // Each failure on stderr as well, so that a script reading only the
  // exit code and stderr learns why; the journal's code first.
  int rc = 0;
  if (!pact)
    rc = report(pact.err());
  if (!lattice) {
    int lrc = report(lattice.err());
    if (rc == 0)
      rc = lrc;
  }
  return rc;
}

} // namespace

command cluster_command() {
  command c;
  c.name = "cluster";
  c.summary = "Show pact's and lattice's Raft quorums side by side";
  c.usage = "";
  c.run = run_cluster;
  return c;
}

} // namespace pact::cli
