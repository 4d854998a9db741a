#include "protocol/caf_types.hpp"

#include <vector>

#include <caf/io/middleman.hpp>

namespace pact::protocol {

void configure(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  // Replies to children_atom carry a vector of names; std::vector<string>
  // is not announced by default in CAF 0.17.
  cfg.add_message_type<std::vector<std::string>>("std::vector<std::string>");
}

} // namespace pact::protocol
