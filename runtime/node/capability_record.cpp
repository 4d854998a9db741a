#include "runtime/node/capability_record.hpp"

#include "runtime/common/assert.hpp"
#include "runtime/common/terminal_text.hpp"

namespace pact::node {

namespace {

protocol::DeltaAction action_of(const std::string& a) {
  if (a == "add")
    return protocol::DELTA_ACTION_ADD;
  if (a == "remove")
    return protocol::DELTA_ACTION_REMOVE;
  return protocol::DELTA_ACTION_MODIFY;
}

/// The journal refuses messages and values past its limits; a summary of
/// many changes is cut rather than refused.
std::string capped(std::string s, size_t max) {
  if (s.size() > max)
    s = s.substr(0, max - 3) + "...";
  return s;
}

} // namespace

protocol::JournalCommand
capability_change_command(const std::string& node,
                          const std::vector<gpu_change>& changes,
                          int64_t polled_unix_ms) {
  PACT_ASSERT(!changes.empty(), "a capability-change record needs a change");
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_RECORD);
  cmd.set_record_type(protocol::ENTRY_TYPE_CAPABILITY_CHANGE);
  cmd.mutable_scope()->set_node(node);
  cmd.set_message(capped(summarize(changes), 4000));
  for (const auto& c : changes) {
    auto* item = cmd.mutable_state_delta()->add_items();
    item->set_category(protocol::DELTA_CATEGORY_GPU);
    item->set_action(action_of(c.action));
    // Tool output may not be UTF-8; proto string fields must be.
    item->set_key(utf8_safe(c.key));
    item->set_value(utf8_safe(c.value));
    item->set_previous(utf8_safe(c.previous));
  }
  // At most 64 bytes (journal.proto client_request_id).
  cmd.set_client_request_id(
    capped("cap-" + std::to_string(polled_unix_ms) + "-" + node, 64));
  return cmd;
}

} // namespace pact::node
