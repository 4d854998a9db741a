#include "runtime/journal/leader_stamp.hpp"

#include <algorithm>

#include <pact/protocol/journal.pb.h>

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

} // namespace pact::journal
