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

void keep_record(caf::event_based_actor* self, const caf::actor& link,
                 const std::string& command,
                 const std::function<void(bool kept)>& then) {
  if (!link) {
    spdlog::error("no journal link to record: the record is lost");
    if (then)
      then(false);
    return;
  }
  if (!then) {
    self->send(link, node_command_atom::value, command);
    return;
  }
  self
    ->request(link, std::chrono::seconds(5), node_command_atom::value, command)
    .then([then] { then(true); }, [then](caf::error&) { then(false); });
}

void with_declared_state(caf::event_based_actor* self,
                         const caf::actor& supervisor,
                         const std::string& link_name, declared_fn then,
                         std::function<void(const std::string&)> unavailable) {
  using std::chrono::seconds;
  self->request(supervisor, seconds(5), protocol::child_atom::value, link_name)
    .then(
      [self, then, unavailable](const caf::actor& link) {
        if (!link) {
          unavailable("the agent's journal link is restarting");
          return;
        }
        self->request(link, seconds(5), declared_state_atom::value)
          .then(
            [link, then](const std::string& overlay, const std::string& delta) {
              then(link, overlay, delta);
            },
            [unavailable](caf::error&) {
              unavailable("the agent's journal link did not answer");
            });
      },
      [unavailable](caf::error&) {
        unavailable("the agent's journal link is not running");
      });
}

} // namespace pact::agent
