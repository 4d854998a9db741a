#include "protocol/caf_types.hpp"

#include <vector>

#include <caf/io/middleman.hpp>

namespace pact::protocol {

void configure(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  // Work sharing instead of CAF's default work stealing: stealing workers
  // poll and nanosleep while idle, which on small control-plane machines
  // (and with several pact processes per host) burns the CPU the journal
  // needs. Sharing parks idle workers on a condition variable.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  // Replies to children_atom carry a vector of names; std::vector<string>
  // is not announced by default in CAF 0.17.
  cfg.add_message_type<std::vector<std::string>>("std::vector<std::string>");
}

} // namespace pact::protocol
