// pact-node-mgmt-probe: runs one node management action through
// runtime/delegation/node_mgmt, configured from the environment as pact
// is (PACT_NODE_MGMT_*; PACT_CA_BUNDLE for an https site), so that
// tests/e2e/test_node_mgmt_rest.py can drive the real client against its
// contract servers. Test-only: built beside the binaries, never installed.
//
//   pact-node-mgmt-probe reboot|reimage NODE
//
// Prints the answer's JSON and exits 0, or prints the error's message on
// stderr and exits with its exit code.

#include <cstdlib>
#include <iostream>
#include <string>

#include "runtime/delegation/node_mgmt.hpp"

using namespace pact;

int main(int argc, char** argv) {
  std::string action = argc == 3 ? argv[1] : "";
  if (action != "reboot" && action != "reimage") {
    std::cerr << "usage: pact-node-mgmt-probe reboot|reimage NODE\n";
    return 1;
  }
  const char* ca = std::getenv("PACT_CA_BUNDLE");
  auto settings = delegation::node_mgmt_settings_from_env(ca == nullptr ? ""
                                                                        : ca);
  if (!settings) {
    std::cerr << "pact-node-mgmt-probe: " << settings.err().message << "\n";
    return to_int(settings.err().code);
  }
  auto done = action == "reboot" ? delegation::reboot_node(*settings, argv[2])
                                 : delegation::reimage_node(*settings, argv[2]);
  if (!done) {
    std::cerr << "pact-node-mgmt-probe: " << done.err().message << "\n";
    return to_int(done.err().code);
  }
  std::cout << done->dump() << "\n";
  return 0;
}
