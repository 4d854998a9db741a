// pact-mcp: Model Context Protocol server over stdio (JSON-RPC 2.0, one
// message per line). Diagnostics go to stderr; stdout carries only protocol
// messages.

#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "mcp/server.hpp"
#include "mcp/tools.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/config.hpp"
#include "runtime/common/logging.hpp"
#include "runtime/common/schemas.hpp"

using namespace pact;

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version") {
      std::cout << "pact-mcp " << PACT_VERSION << "\n";
      return 0;
    }
    if (a == "--help" || a == "-h") {
      std::cout << "Usage: pact-mcp\n\nServes the Model Context Protocol on "
                   "stdin/stdout.\nEnvironment: PACT_ENDPOINT, "
                   "PACT_MCP_TOKEN, PACT_AGENT_ENDPOINT, PACT_LOG.\n";
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
  std::string line;
  while (std::getline(std::cin, line)) {
    if (auto out = srv.handle_line(line))
      std::cout << *out << "\n" << std::flush;
  }
  return 0;
}
