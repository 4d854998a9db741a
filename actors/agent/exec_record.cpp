#include "actors/agent/exec_record.hpp"

#include <spdlog/spdlog.h>

#include "actors/agent/link_command.hpp"

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
  keep_record(self, link, cmd.SerializeAsString(), then);
}

} // namespace pact::agent
