#include "actors/agent/link_command.hpp"

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "protocol/caf_types.hpp"

namespace pact::agent {

void send_to_link(caf::event_based_actor* self, const caf::actor& supervisor,
                  const std::string& link_name, std::string command,
                  const std::string& what) {
  if (!supervisor) {
    spdlog::warn("{} not recorded (no journal link)", what);
    return;
  }
  self
    ->request(supervisor, std::chrono::seconds(5), protocol::child_atom::value,
              link_name)
    .then(
      [self, command, what](const caf::actor& link) {
        if (link)
          self->send(link, node_command_atom::value, command);
        else
          spdlog::warn("{} not recorded: the journal link is not running",
                       what);
      },
      [what](caf::error&) {
        spdlog::warn("{} not recorded: the supervisor did not answer", what);
      });
}

} // namespace pact::agent
