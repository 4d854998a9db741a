// `pact diag NODE [--lines N] [--source dmesg|syslog|service|all]
// [--service NAME] [--grep PATTERN]` and `pact diag --vcluster V [...]`: the
// newest lines of a node's kernel ring buffer, syslog and services' logs,
// filtered on the node (docs/cli.md, docs/agent.md "Diag"). The request is
// checked here with the agent's own rules (runtime/node/diag_filter.hpp)
// before anything is sent, so a bad pattern or service name exits 1 having
// asked nobody. With --vcluster every node of the vCluster is asked, at
// most 50 at once and 5 s each; lines carry a `[node]` prefix and the nodes
// that did not answer are listed after the answers.

#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/client/diag_query.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/node/diag_filter.hpp"
#include "runtime/render/diag_render.hpp"
#include "runtime/render/failure.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

std::string opt(const context& ctx, const char* name) {
  return ctx.vm.count(name) ? ctx.vm[name].as<std::string>() : "";
}

/// The request the flags describe, checked as the agent will check it.
expected<protocol::DiagRequest> diag_request(const context& ctx) {
  protocol::DiagRequest q;
  // Not given: 0, the agent's default, so that the audit record shows the
  // flags the operator gave.
  if (ctx.vm.count("lines")) {
    auto lines = ctx.vm["lines"].as<int64_t>();
    if (lines < 1 || lines > node::diag_max_lines)
      return make_error("diag: --lines " + std::to_string(lines)
                        + " is outside 1.."
                        + std::to_string(node::diag_max_lines));
    q.set_lines(static_cast<uint32_t>(lines));
  }
  q.set_source(opt(ctx, "source"));
  q.set_service(opt(ctx, "service"));
  q.set_grep(opt(ctx, "grep"));
  auto checked = node::check_diag_query(q.lines(), q.source(), q.service(),
                                        q.grep());
  if (!checked)
    return make_error("diag: " + checked.err().message);
  return q;
}

int one_node(context& ctx, std::string node, protocol::DiagRequest q) {
  if (node == "local")
    node.clear(); // this host's agent, whichever node it serves
  else if (!node.empty())
    if (auto st = check_node_name(node); !st)
      return report(st.err());
  q.set_node(node);
  auto agent = node_agent(ctx, node);
  if (!agent)
    return report(agent.err());
  auto reply = client::ask_diag(ctx.cfg, *agent, q);
  if (!reply)
    return report(reply.err());
  if (ctx.json)
    std::cout << render::diag_json(*reply).dump(2) << "\n";
  else
    std::cout << render::diag_text(*reply);
  return 0;
}

/// The nodes of `vcluster` and their agents as the journal records them:
/// enrolled in it, or booted from it and not enrolled anywhere (as `pact
/// status --vcluster` lists them).
expected<std::vector<client::diag_target>>
fleet_targets(const context& ctx, const std::string& vcluster) {
  auto s = open_session(ctx);
  if (!s)
    return s.err();
  auto st = (*s)->state(vcluster, "", true);
  if (!st)
    return st.err();
  if (auto known = client::vcluster_known(*st, vcluster); !known)
    return known.err();
  std::vector<client::diag_target> out;
  for (const auto& rec : st->nodes()) {
    bool member = rec.vcluster() == vcluster
                  || (rec.vcluster().empty()
                      && rec.booted_vcluster() == vcluster);
    if (!member)
      continue;
    client::diag_target t;
    t.node = rec.node();
    if (!rec.agent_endpoint().empty())
      if (auto ep = parse_endpoint(rec.agent_endpoint(), "agent endpoint"))
        t.agent = *ep;
    out.push_back(std::move(t));
  }
  return out;
}

int fleet(context& ctx, const std::string& vcluster,
          const protocol::DiagRequest& q) {
  auto targets = fleet_targets(ctx, vcluster);
  if (!targets)
    return report(targets.err());
  auto answers = client::fleet_diag(ctx.cfg, invocation_actor_system(),
                                    *targets, q);
  if (!answers)
    return report(answers.err());
  // 0 when every node answered; else the exit code of the first node (in
  // name order) that did not, after printing every answer that came.
  int rc = 0;
  size_t failed = 0;
  nlohmann::json nodes = nlohmann::json::array();
  nlohmann::json missing = nlohmann::json::array();
  std::string text, unanswered;
  for (const auto& a : *answers) {
    if (a.reply) {
      if (ctx.json)
        nodes.push_back(render::diag_json(*a.reply));
      else
        text += render::diag_text(*a.reply, "[" + a.node + "] ");
      continue;
    }
    ++failed;
    if (rc == 0)
      rc = to_int(a.reply.err().code);
    auto why = render::failure_text(a.reply.err());
    missing.push_back({{"node", a.node},
                       {"error", why},
                       {"exit_code", to_int(a.reply.err().code)}});
    unanswered += a.node + ": " + terminal_safe(why) + "\n";
  }
  if (ctx.json) {
    std::cout << nlohmann::json{{"vcluster", vcluster},
                                {"nodes", nodes},
                                {"unreachable", missing}}
                   .dump(2)
              << "\n";
    return rc;
  }
  std::cout << text;
  if (failed > 0)
    std::cout << "--- unreachable: " << failed << " of " << answers->size()
              << " nodes did not answer ---\n"
              << unanswered;
  if (answers->empty())
    std::cerr << "pact: vcluster " << terminal_safe(vcluster)
              << " has no nodes\n";
  return rc;
}

int run_diag(context& ctx) {
  auto q = diag_request(ctx);
  if (!q)
    return report(q.err());
  auto node = opt(ctx, "node");
  // Fleet mode only with --vcluster on the command line: PACT_VCLUSTER in
  // the environment must not turn `pact diag` into a fan-out.
  bool fleet_flag = ctx.cfg.origin_of("vcluster").source
                    == config::origin::kind::flag;
  if (fleet_flag && node.empty()) {
    auto v = ctx.cfg.get_string("vcluster");
    if (v.empty())
      return report(make_error("diag: --vcluster needs a vCluster name"));
    return fleet(ctx, v, *q);
  }
  if (fleet_flag)
    return report(make_error("diag: give NODE or --vcluster V, not both"));
  return one_node(ctx, node, *q);
}

} // namespace

command diag_command() {
  command c;
  c.name = "diag";
  c.summary = "Show a node's kernel, syslog and service log lines, filtered "
              "on the node (or every node of a vCluster)";
  c.usage = "[NODE | --vcluster V] [--lines N] "
            "[--source dmesg|syslog|service|all] [--service NAME] "
            "[--grep PATTERN] [--output text|json]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>(),
                       "Node to ask ('local' or none: this host's agent)")(
      "lines", po::value<int64_t>(),
      "Newest matching lines per source (200, at most 10000)")(
      "source", po::value<std::string>(),
      "dmesg, syslog, service or all (all)")(
      "service", po::value<std::string>(),
      "Only this service's log (default: every supervised service)")(
      "grep", po::value<std::string>(),
      "RE2 pattern a line must match (case-sensitive; (?i) for not)");
    pos.add("node", 1);
  };
  c.run = run_diag;
  return c;
}

} // namespace pact::cli
