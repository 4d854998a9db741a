// `pact exec NODE -- CMD [ARG...]`: runs one command on a node through its
// agent, as ssh would but without a shell (docs/cli.md, docs/agent.md
// "Exec"). Output is written as it arrives, byte for byte; the exit status
// is the command's own (128 + signal when a signal ended it). pact's own
// failures print `pact: ...` with the codes of DESIGN.md §6 (6: not
// whitelisted). `--output json` prints {exit_code, stdout, stderr,
// truncated, timed_out} at the end instead. On a two-person vCluster a
// command that is not read-only waits for a second person's grant
// (agent_grant.hpp); `--approval ID` uses one granted meanwhile.

#include <unistd.h>

#include <cerrno>
#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/client/agent_exec.hpp"
#include "cli/agent_grant.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/policy/agent_action.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// Writes all of `data` to `fd`; a reader that went away (EPIPE) stops
/// further output but not the command.
void write_fd(int fd, std::string_view data, bool& broken) {
  while (!broken && !data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      broken = true;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

/// `argv` as one line for a message: arguments with a space or quote are
/// single-quoted, as a shell would need them.
std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) {
    bool quote = a.empty()
                 || a.find_first_of(" \t'\"\\$`") != std::string::npos;
    std::string q = a;
    if (quote) {
      q = "'";
      for (char c : a)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      q += "'";
    }
    line += (line.empty() ? "" : " ") + q;
  }
  return line;
}

int run_exec(context& ctx) {
  if (!ctx.vm.count("node"))
    return report(make_error(
      "exec: no NODE given (usage: pact exec NODE -- CMD [ARG...])"));
  auto node = ctx.vm["node"].as<std::string>();
  if (node == "local")
    node.clear(); // this host's agent, whichever node it serves
  else if (auto st = check_node_name(node); !st)
    return report(st.err());
  std::vector<std::string> argv;
  if (ctx.vm.count("command"))
    argv = ctx.vm["command"].as<std::vector<std::string>>();
  if (argv.empty() || argv.front().empty())
    return report(make_error(
      "exec: no command given (usage: pact exec NODE -- CMD [ARG...])"));
  // --timeout bounds the command here (the agent caps it); from a file or
  // the environment it is only the CLI's connect timeout.
  uint32_t timeout = 0;
  if (ctx.cfg.origin_of("timeout_seconds").source == config::origin::kind::flag)
    timeout = static_cast<uint32_t>(ctx.cfg.get_int("timeout_seconds"));
  auto approval = approval_flag(ctx);
  if (!approval)
    return report(approval.err());
  auto agent = node_agent(ctx, node);
  if (!agent)
    return report(agent.err());
  std::string out, err;
  bool out_broken = false, err_broken = false;
  bool needs_grant = false;
  auto send = [&](const std::string& approval_id) {
    return client::agent_exec(
      ctx.cfg, *agent, node, argv, timeout,
      [&](const protocol::ExecChunk& c) {
        auto& buf = c.stream() == 2 ? err : out;
        if (ctx.json)
          buf += c.data();
        else if (c.stream() == 2)
          write_fd(2, c.data(), err_broken);
        else
          write_fd(1, c.data(), out_broken);
      },
      approval_id, &needs_grant);
  };
  auto reply = send(*approval);
  if (!reply && needs_grant && approval->empty()) {
    // Two-person vCluster: a second person grants this very command, and
    // it is sent again with the grant (the agent uses it up first).
    auto granted = obtain_grant(
      ctx, *agent, node,
      [&](const std::string& served) {
        return policy::exec_action(served, argv);
      },
      [&](const std::string& served, const std::string& id) {
        return "pact exec --approval " + id + " " + served + " -- "
               + terminal_safe(command_line(argv));
      });
    if (!granted)
      return report(granted.err());
    reply = send(*granted);
  }
  if (!reply)
    return report(reply.err());
  if (ctx.json) {
    nlohmann::json j{{"exit_code", reply->exit_code()},
                     {"stdout", utf8_safe(out)},
                     {"stderr", utf8_safe(err)},
                     {"truncated", reply->truncated()},
                     {"timed_out", reply->timed_out()}};
    std::cout << j.dump(2) << "\n";
  } else {
    if (reply->timed_out())
      std::cerr << "pact: " << terminal_safe(argv.front())
                << " was killed after its timeout of "
                << reply->timeout_seconds() << " s\n";
    if (reply->truncated())
      std::cerr << "pact: output truncated (the agent's "
                   "agent.exec.max_output_bytes)\n";
  }
  return reply->exit_code();
}

} // namespace

command exec_command() {
  command c;
  c.name = "exec";
  c.summary = "Run a whitelisted command on a node through its agent (no "
              "shell; exits with the command's status)";
  c.usage = "[--approval ID] NODE [--timeout SECONDS] [--output text|json] "
            "-- CMD [ARG...]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>(),
                       "Node to run on ('local': this host's agent)")(
      "approval", po::value<std::string>(),
      "Run with the grant of approval ID (two-person vCluster: asked for "
      "earlier and accepted since; used once)")(
      "command", po::value<std::vector<std::string>>(),
      "The command and its arguments, after --");
    pos.add("node", 1).add("command", -1);
  };
  c.run = run_exec;
  return c;
}

} // namespace pact::cli
