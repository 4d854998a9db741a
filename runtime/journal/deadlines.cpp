#include "runtime/journal/deadlines.hpp"

#include <algorithm>

#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

std::string deadline::name() const {
  return (what == kind::approval ? "approval " : "emergency ") + key;
}

std::map<std::string, deadline> deadlines_of(const protocol::StateReply& st) {
  std::map<std::string, deadline> out;
  for (const auto& a : st.approvals()) {
    bool live = a.state() == protocol::APPROVAL_STATE_PENDING
                || (a.state() == protocol::APPROVAL_STATE_APPROVED
                    && !a.agent_action().action().empty());
    if (!live)
      continue;
    deadline d;
    d.what = deadline::kind::approval;
    d.key = a.id();
    d.due_unix_ms = a.expires_unix_ms();
    out.emplace(d.name(), std::move(d));
  }
  for (const auto& e : st.emergencies()) {
    deadline d;
    d.what = deadline::kind::emergency;
    d.key = scope_key(e.scope());
    d.scope = e.scope();
    d.due_unix_ms = e.window_ends_unix_ms();
    out.emplace(d.name(), std::move(d));
  }
  return out;
}

deadline_diff diff_deadlines(const std::map<std::string, deadline>& running,
                             const std::map<std::string, deadline>& wanted) {
  deadline_diff out;
  for (const auto& [name, d] : running) {
    auto it = wanted.find(name);
    if (it == wanted.end() || !(it->second == d))
      out.stop.push_back(name);
  }
  for (const auto& [name, d] : wanted) {
    auto it = running.find(name);
    if (it == running.end() || !(it->second == d))
      out.start.push_back(d);
  }
  return out;
}

protocol::JournalCommand expiry_command(const deadline& d) {
  protocol::JournalCommand cmd;
  cmd.mutable_author()->set_principal(journal_principal);
  cmd.mutable_author()->set_principal_type(protocol::PRINCIPAL_TYPE_SERVICE);
  if (d.what == deadline::kind::approval) {
    cmd.set_kind(protocol::COMMAND_KIND_APPROVAL_EXPIRE);
    cmd.set_approval_id(d.key);
  } else {
    cmd.set_kind(protocol::COMMAND_KIND_EMERGENCY_END);
    *cmd.mutable_scope() = d.scope;
    cmd.set_window_ran_out(true);
  }
  return cmd;
}

int64_t wait_ms(const deadline& d, int64_t now_ms) {
  return std::max<int64_t>(0, d.due_unix_ms - now_ms);
}

} // namespace pact::journal
