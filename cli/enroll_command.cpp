// `pact enroll NODE --vcluster V [--hardware-id HW] | status NODE |
// revoke NODE` (issue 16; docs/cli.md, docs/security.md). Enrolling records
// the node as a member of V (node-enrolled) and registers it for a
// certificate: the journal draws a one-time token, printed here once, that
// the node's agent presents with its first certificate request. Enrolling
// again issues a fresh token (and a new hardware binding). `status` reads
// the node's enrollment record (enroll_status.cpp); `revoke` stops its
// certificates from being renewed or accepted.

#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/client/journal_session.hpp"
#include "cli/approval_wait.hpp"
#include "cli/commands.hpp"
#include "cli/enroll_status.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// Words that name an action of `pact enroll`, never a node.
bool is_action(const std::string& word) {
  return word == "status" || word == "revoke";
}

int run_register(context& ctx, const std::string& node) {
  auto vc = ctx.cfg.get_string("vcluster");
  if (vc.empty())
    return report(make_error("No vCluster specified: use --vcluster or set "
                             "PACT_VCLUSTER"));
  std::string hw = ctx.vm.count("hardware-id")
                     ? ctx.vm["hardware-id"].as<std::string>()
                     : "";
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  // In a two-person vCluster the write waits for approval: the token comes
  // with the held answer (the journal applies this very command later).
  std::string token;
  (*s)->on_pending(
    [&token](journal_session& js, const protocol::CommandReply& held) {
      token = held.enroll_token();
      return await_approval(js, held);
    });
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_NODE_ENROLL);
  cmd.mutable_scope()->set_node(node);
  cmd.set_vcluster(vc);
  cmd.set_hardware_id(hw);
  cmd.set_message("enroll " + node + " in " + vc);
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  if (!r->enroll_token().empty())
    token = r->enroll_token();
  if (token.empty())
    return report(make_error(
      node + " was enrolled in " + vc + " (entry " + render::sequences_text(*r)
      + ") by an earlier attempt whose answer was lost, so its enrollment "
        "token cannot be shown; run `pact enroll "
      + node + " --vcluster " + vc + "` again for a fresh one"));
  if (ctx.json) {
    std::cout << nlohmann::json{{"sequence", r->result().sequences(0)},
                                {"node", node},
                                {"vcluster", vc},
                                {"hardware_id", hw},
                                {"enroll_token", token}}
                   .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "enrolled " << node << " in vcluster " << vc << " (entry "
            << render::sequences_text(*r) << ")"
            << (hw.empty() ? std::string() : ", hardware id " + hw) << "\n"
            << "enrollment token: " << token << "\n"
            << "(give it to the node's agent with --enroll-token-file; it "
               "works once)\n";
  return 0;
}

int run_revoke(context& ctx, const std::string& node) {
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_NODE_REVOKE);
  cmd.mutable_scope()->set_node(node);
  cmd.set_message("revoke the enrollment of " + node);
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  bool same = r->result().sequences_size() == 0;
  uint64_t at = same && r->result().unchanged_size() > 0
                  ? r->result().unchanged(0).version()
                  : (same ? 0 : r->result().sequences(0));
  if (ctx.json) {
    std::cout << nlohmann::json{{"sequence", at},
                                {"node", node},
                                {"unchanged", same}}
                   .dump(2)
              << "\n";
    return 0;
  }
  if (same)
    std::cout << "the enrollment of " << node << " was already revoked "
              << "(entry " << at << ")\n";
  else
    std::cout << "revoked the enrollment of " << node << " (entry " << at
              << "); its certificates are no longer renewed, and `pact "
                 "enroll` registers it anew\n";
  return 0;
}

int run_enroll(context& ctx) {
  auto args = ctx.vm.count("args")
                ? ctx.vm["args"].as<std::vector<std::string>>()
                : std::vector<std::string>{};
  if (args.empty())
    return report(make_error("enroll: name the NODE (pact enroll NODE "
                             "--vcluster V | status NODE | revoke NODE)"));
  const auto& first = args[0];
  bool action = is_action(first);
  if (action && args.size() < 2)
    return report(make_error("enroll " + first + ": name the NODE (pact enroll "
                             + first + " NODE); '" + first
                             + "' cannot be a node name"));
  if (args.size() > (action ? 2u : 1u))
    return report(
      make_error("enroll: unexpected argument '" + args[action ? 2 : 1] + "'"));
  const auto& node = action ? args[1] : first;
  if (auto st = check_node_name(node); !st)
    return report(st.err());
  if (action && ctx.vm.count("hardware-id"))
    return report(make_error("enroll " + first
                             + ": --hardware-id belongs to `pact enroll "
                               "NODE --vcluster V`"));
  if (first == "status")
    return run_enroll_status(ctx, node);
  if (first == "revoke")
    return run_revoke(ctx, node);
  return run_register(ctx, node);
}

} // namespace

command enroll_command() {
  command c;
  c.name = "enroll";
  c.summary = "Enroll a node in a vCluster (one-time token), show or revoke "
              "its enrollment";
  c.usage = "NODE --vcluster V [--hardware-id HW] | status NODE | revoke NODE";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("args", po::value<std::vector<std::string>>(),
                       "NODE, or status NODE, or revoke NODE")(
      "hardware-id", po::value<std::string>(),
      "Hardware identity the node must present (uuid:..., mac:...); "
      "default: bound at its first certificate request");
    pos.add("args", -1);
  };
  c.run = run_enroll;
  return c;
}

} // namespace pact::cli
