#include "protocol/caf_types.hpp"

#include <vector>

#include <caf/io/middleman.hpp>

#include "protocol/errors.hpp"

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
  // Logs render pact errors as "pact: no-leader: <message>".
  cfg.add_error_category(error_category, [](uint8_t code, caf::atom_value,
                                            const caf::message& ctx) {
    auto text = std::string("pact: ")
                + to_string(static_cast<ErrorReason>(code));
    if (ctx.size() == 1 && ctx.match_element<std::string>(0))
      text += ": " + ctx.get_as<std::string>(0);
    return text;
  });
}

} // namespace pact::protocol
