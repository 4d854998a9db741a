#include "runtime/journal/leader_stamp.hpp"

#include <algorithm>

#include <pact/protocol/journal.pb.h>

#include "runtime/journal/config_state_machine.hpp"

namespace pact::journal {

std::string leader_stamper::stamp(std::string command, int64_t now_ms) {
  protocol::JournalCommand cmd;
  if (!cmd.ParseFromString(command)
      || cmd.kind() == protocol::COMMAND_KIND_UNSPECIFIED)
    return command;
  last_ms_ = std::max(last_ms_, now_ms);
  cmd.set_timestamp_unix_ms(last_ms_);
  return cmd.SerializeAsString();
}

std::string leader_stamper::stamp(std::string command, int64_t now_ms,
                                  const config_state_machine& sm) {
  if (const auto* last = sm.last_entry())
    raise_floor(last->timestamp_unix_ms());
  return stamp(std::move(command), now_ms);
}

std::string command_size_refusal(size_t bytes) {
  if (bytes <= max_command_bytes)
    return {};
  return "command of " + std::to_string(bytes)
         + " bytes exceeds the 1 MiB limit";
}

} // namespace pact::journal
