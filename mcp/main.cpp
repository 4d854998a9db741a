// pact-mcp: Model Context Protocol server over stdio (JSON-RPC 2.0, one
// message per line). Diagnostics go to stderr; stdout carries only protocol
// messages.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <spdlog/spdlog.h>

#include "actors/client/client.hpp"
#include "mcp/line_reader.hpp"
#include "mcp/server.hpp"
#include "mcp/tools.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/config.hpp"
#include "runtime/common/logging.hpp"
#include "runtime/common/schemas.hpp"
#include "runtime/policy/request_auth.hpp"

using namespace pact;

static_assert(mcp::max_message_bytes == policy::max_request_bytes,
              "pact-mcp bounds a message like the gateway bounds a request");

namespace {

/// How long calls still running at EOF may go on answering.
constexpr std::chrono::seconds eof_grace{30};

/// Serves stdin until it ends, then gives the calls still running a grace
/// period; true when all of them finished. Tool calls run on their own
/// threads and write their replies through the sink, so stdout is shared:
/// one mutex keeps each line whole. The core answers every input itself;
/// the catch is the last guard that keeps the bridge serving the next
/// request should anything still throw (its text is logged, never sent).
bool serve(mcp::server& srv) {
  std::mutex out_mu;
  auto write = [&out_mu](const std::string& line) {
    std::lock_guard<std::mutex> lk(out_mu);
    std::cout << line << "\n" << std::flush;
  };
  srv.set_error_log([](const std::string& text) { spdlog::error("{}", text); });
  srv.start(write);
  mcp::line_reader in{std::cin, mcp::max_message_bytes};
  std::string line;
  for (;;) {
    auto st = in.next(line);
    if (st == mcp::line_reader::status::end)
      break;
    try {
      if (st == mcp::line_reader::status::too_long)
        srv.receive_oversized();
      else
        srv.receive_line(line);
    } catch (const std::exception& e) {
      spdlog::error("internal error handling a message: {}", e.what());
      write(mcp::to_line(
        {{"jsonrpc", "2.0"},
         {"id", nullptr},
         {"error",
          {{"code", mcp::internal_error}, {"message", "internal error"}}}}));
    }
  }
  // EOF. A pipe (`printf ... | pact-mcp`) closes its end after its last
  // request and still reads the answers, so the calls running finish and
  // answer, for a while. Then the session ends: what still runs is
  // cancelled (it stops before its next write) and its reply not sent.
  srv.end_of_input();
  if (srv.wait_idle(eof_grace))
    return srv.shutdown(std::chrono::milliseconds(0));
  spdlog::warn(
    "stdin ended with tool calls still running after {} s; "
    "cancelling them",
    std::chrono::duration_cast<std::chrono::seconds>(eof_grace).count());
  return srv.shutdown(std::chrono::seconds(2));
}

} // namespace

int main(int argc, char** argv) {
  // stdin is read in large buffered blocks, not one C stdio call a byte.
  std::ios::sync_with_stdio(false);
  // A client that closed its end of stdout must not kill the bridge with
  // SIGPIPE while a reply is written: the write fails and is dropped.
  std::signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version") {
      std::cout << "pact-mcp " << PACT_VERSION << "\n";
      return 0;
    }
    if (a == "--help" || a == "-h") {
      std::cout << "Usage: pact-mcp\n\nServes the Model Context Protocol on "
                   "stdin/stdout: JSON-RPC 2.0,\none message per line of "
                   "at most 4 MiB (docs/mcp.md).\nEnvironment: "
                   "PACT_ENDPOINT, PACT_MCP_TOKEN, PACT_VCLUSTER, "
                   "PACT_AGENT_ENDPOINT,\nPACT_LATTICE_ENDPOINT, "
                   "PACT_MCP_ALLOW_DESTRUCTIVE, PACT_MCP_PAGE_SIZE, "
                   "PACT_LOG;\nthe rest of ~/.config/pact/cli.toml as for "
                   "pact.\n";
      return 0;
    }
    std::cerr << "pact-mcp: unknown argument '" << a << "' (see --help)\n";
    return 1;
  }
  config::load_request req;
  req.keys = &config::cli_schema();
  // The bridge's own token stands for PACT_TOKEN, so that the journal and
  // every agent see the same principal (pact-service-ai).
  req.env = [env = config::process_env()](const char* name) {
    if (std::string_view(name) == "PACT_TOKEN")
      if (auto own = env("PACT_MCP_TOKEN"); own && !own->empty())
        return own;
    return env(name);
  };
  req.file_path = config::expand_home(config::cli_config_path, req.env);
  auto cfg = config::load(req);
  if (!cfg) {
    std::cerr << "pact-mcp: " << cfg.err().message << "\n";
    return to_int(cfg.err().code);
  }
  if (auto st = init_logging("pact-mcp", cfg->get_string("log_level")); !st) {
    std::cerr << "pact-mcp: " << st.err().message << "\n";
    return 1;
  }
  if (!req.env("PACT_MCP_TOKEN"))
    std::cerr << "pact-mcp: warning: PACT_MCP_TOKEN is not set; using the "
                 "CLI token if one is configured\n";
  caf::actor_system_config sys_cfg;
  protocol::configure(sys_cfg);
  caf::actor_system sys{sys_cfg};
  auto options = mcp::bridge_options(req.env);
  if (!options) {
    std::cerr << "pact-mcp: " << options.err().message << "\n";
    return to_int(options.err().code);
  }
  // Whatever token the bridge holds, the journal and the agents hold its
  // calls to the rules of AI principals (Request.ai_agent).
  client::act_for_ai_agent();
  mcp::bridge b{sys, *cfg, options->allow_destructive};
  mcp::server srv{"pact-mcp", PACT_VERSION, mcp::make_tools(b),
                  options->page_size};
  bool all_finished = serve(srv);
  std::cout.flush();
  if (!all_finished) {
    // A call still blocks (e.g. on an unreachable journal): its thread
    // must not outlive the actor system and tools that destructors would
    // free under it. Everything written is flushed; exit without them.
    spdlog::warn("tool calls still running at exit; leaving without them");
    if (auto log = spdlog::default_logger())
      log->flush();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}
