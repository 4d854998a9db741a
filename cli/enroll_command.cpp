// `pact enroll NODE --vcluster V`: records that a node belongs to a
// vCluster (node-enrolled), so its commits are authorized and promoted
// against that vCluster. Certificate-based enrollment of the agent itself
// (CSR signing, hardware identity) belongs to the security service; this is
// the journal record it will write too.

#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int run_enroll(context& ctx) {
  auto node = ctx.vm["node"].as<std::string>();
  auto vc = ctx.cfg.get_string("vcluster");
  if (vc.empty())
    return report(make_error("No vCluster specified: use --vcluster or set "
                             "PACT_VCLUSTER"));
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_NODE_ENROLL);
  cmd.mutable_scope()->set_node(node);
  cmd.set_vcluster(vc);
  cmd.set_message("enroll " + node + " in " + vc);
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  if (ctx.json)
    std::cout << nlohmann::json{{"sequence", r->result().sequences(0)},
                                {"node", node},
                                {"vcluster", vc}}
                   .dump(2)
              << "\n";
  else
    std::cout << "enrolled " << node << " in vcluster " << vc << " (entry "
              << render::sequences_text(*r) << ")\n";
  return 0;
}

} // namespace

command enroll_command() {
  command c;
  c.name = "enroll";
  c.summary = "Record a node as a member of a vCluster";
  c.usage = "NODE --vcluster V";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>()->required(), "Node");
    pos.add("node", 1);
  };
  c.run = run_enroll;
  return c;
}

} // namespace pact::cli
