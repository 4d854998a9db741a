// pact-mcp: Model Context Protocol server over stdio (JSON-RPC 2.0, one
// message per line). Diagnostics go to stderr; stdout carries only protocol
// messages.

#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <spdlog/spdlog.h>

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

/// Serves stdin until it ends. The core answers every input itself; the
/// catch is the last guard that keeps the bridge serving the next request
/// should anything still throw (its text is logged, never sent).
void serve(mcp::server& srv) {
  mcp::line_reader in{std::cin, mcp::max_message_bytes};
  std::string line;
  for (;;) {
    auto st = in.next(line);
    if (st == mcp::line_reader::status::end)
      return;
    std::optional<std::string> out;
    if (st == mcp::line_reader::status::too_long) {
      out = mcp::server::oversized_reply();
    } else {
      try {
        out = srv.handle_line(line);
      } catch (const std::exception& e) {
        spdlog::error("internal error handling a message: {}", e.what());
        out = mcp::to_line(
          {{"jsonrpc", "2.0"},
           {"id", nullptr},
           {"error",
            {{"code", mcp::internal_error}, {"message", "internal error"}}}});
      }
    }
    if (out)
      std::cout << *out << "\n" << std::flush;
  }
}

} // namespace

int main(int argc, char** argv) {
  // stdin is read in large buffered blocks, not one C stdio call a byte.
  std::ios::sync_with_stdio(false);
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
                   "PACT_AGENT_ENDPOINT, PACT_LOG;\nthe rest of "
                   "~/.config/pact/cli.toml as for pact.\n";
      return 0;
    }
    std::cerr << "pact-mcp: unknown argument '" << a << "' (see --help)\n";
    return 1;
  }
  config::load_request req;
  req.keys = &config::cli_schema();
  req.env = config::process_env();
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
  mcp::server srv{"pact-mcp", PACT_VERSION, mcp::make_tools(sys, *cfg)};
  serve(srv);
  return 0;
}
