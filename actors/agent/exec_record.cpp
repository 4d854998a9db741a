#include "actors/agent/exec_record.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"

namespace pact::agent {

void keep_exec_record(caf::event_based_actor* self, const caf::actor& link,
                      const std::string& node_id,
                      const protocol::ExecRecord& rec,
                      const std::string& message, const char* what,
                      std::function<void(bool kept)> then) {
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_RECORD);
  cmd.set_record_type(protocol::ENTRY_TYPE_EXEC_LOG);
  cmd.mutable_scope()->set_node(node_id);
  cmd.set_message(message);
  *cmd.mutable_exec() = rec;
  spdlog::info("{}: {}", what, message);
  if (!link) {
    spdlog::error("{}: no journal link to record: {}", what, message);
    if (then)
      then(false);
    return;
  }
  if (!then) {
    self->send(link, node_command_atom::value, cmd.SerializeAsString());
    return;
  }
  self
    ->request(link, std::chrono::seconds(5), node_command_atom::value,
              cmd.SerializeAsString())
    .then([then] { then(true); }, [then](caf::error&) { then(false); });
}

} // namespace pact::agent
