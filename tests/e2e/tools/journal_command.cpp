// pact-test-command: proposes one journal command through a gateway, as
// the e2e tests need for entries no CLI command writes yet (an emergency on
// a node before `pact emergency` exists). Test-only: built beside the
// binaries, never installed.
//
//   PACT_TOKEN=... pact-test-command URL emergency-start NODE REASON
//   PACT_TOKEN=... pact-test-command URL emergency-end NODE
//
// Prints the applied entry's index; exits 0 when the command applied, else
// with the exit code of the failure (DESIGN.md §6).

#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/client/client.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/endpoint.hpp"

using namespace pact;

int main(int argc, char** argv) {
  std::string what = argc >= 4 ? argv[2] : "";
  if (!((what == "emergency-start" && argc == 5)
        || (what == "emergency-end" && argc == 4))) {
    std::cerr << "usage: pact-test-command URL emergency-start NODE REASON |"
                 " emergency-end NODE\n";
    return 1;
  }
  auto target = parse_endpoint(argv[1], "URL");
  if (!target) {
    std::cerr << target.err().message << "\n";
    return 1;
  }
  protocol::Request req;
  auto* cmd = req.mutable_command()->mutable_command();
  cmd->mutable_scope()->set_node(argv[3]);
  if (what == "emergency-start") {
    cmd->set_kind(protocol::COMMAND_KIND_EMERGENCY_START);
    cmd->set_emergency_reason(argv[4]);
  } else {
    cmd->set_kind(protocol::COMMAND_KIND_EMERGENCY_END);
  }
  const char* token = std::getenv("PACT_TOKEN");
  caf::actor_system_config cfg;
  protocol::configure(cfg);
  caf::actor_system sys{cfg};
  client::connection conn(
    sys, client::options{
           {*target}, "journal", token ? token : "", std::chrono::seconds(10)});
  req.set_request_id(client::new_request_id());
  auto resp = conn.call(req);
  if (!resp) {
    std::cerr << resp.err().message << "\n";
    return to_int(resp.err().code);
  }
  std::cout << resp->command_reply().index() << "\n";
  return 0;
}
