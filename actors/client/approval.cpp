#include "actors/client/approval.hpp"

#include <thread>

namespace pact::client {

namespace {

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

expected<protocol::StateReply> ask_state(journal_session& s,
                                         protocol::StateRequest q) {
  protocol::Request req;
  req.set_request_id("approvals");
  *req.mutable_state() = std::move(q);
  auto resp = s.call(std::move(req));
  if (!resp)
    return resp.err();
  return resp->state_reply();
}

} // namespace

expected<protocol::Approval> find_approval(journal_session& s,
                                           const std::string& id) {
  protocol::StateRequest q;
  q.set_approval_id(id);
  auto st = ask_state(s, q);
  if (!st)
    return st.err();
  if (st->approvals_size() == 0)
    return make_error("no approval " + id
                      + " (check the id with `pact approve list`; decided "
                        "approvals are listed for a week)");
  return st->approvals(0);
}

expected<std::vector<protocol::Approval>>
list_approvals(journal_session& s, const std::string& vcluster) {
  protocol::StateRequest q;
  q.set_approvals_only(true);
  q.set_vcluster(vcluster);
  auto st = ask_state(s, q);
  if (!st)
    return st.err();
  return std::vector<protocol::Approval>(st->approvals().begin(),
                                         st->approvals().end());
}

expected<protocol::CommandReply>
decide_approval(journal_session& s, const std::string& id, bool approve,
                const std::string& reason) {
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_APPROVAL_DECIDE);
  cmd.set_approval_id(id);
  cmd.set_approve(approve);
  cmd.set_message(reason);
  return s.command(std::move(cmd));
}

expected<protocol::CommandReply>
request_agent_approval(journal_session& s, const protocol::AgentAction& what) {
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_APPROVAL_REQUEST);
  cmd.mutable_scope()->set_node(what.node());
  *cmd.mutable_agent_action() = what;
  // A delegated operation says what it is in the pending-approval entry,
  // for the approver and the audit (`pact log`); its detail is the
  // operator's reason (drain) or "force".
  if (what.action() != "exec" && what.action() != "service.restart")
    cmd.set_message(what.action() + " " + what.node()
                    + (what.detail().empty() ? "" : ": " + what.detail()));
  return s.command(std::move(cmd));
}

expected<wait_outcome>
wait_for_decision(journal_session& s, const protocol::Approval& pending,
                  const std::function<bool()>& interrupted,
                  const std::function<void(const error&)>& on_unreachable,
                  std::chrono::milliseconds poll) {
  wait_outcome out;
  out.approval = pending;
  // The expiry is recorded by the journal's approval actor shortly after
  // the deadline; a minute past it without an answer means the journal is
  // not reachable.
  const int64_t give_up = pending.expires_unix_ms() + 60 * 1000;
  error last = make_error("no answer", exit_code::unavailable);
  while (true) {
    auto slice = std::chrono::milliseconds(100);
    for (auto waited = std::chrono::milliseconds(0); waited < poll;
         waited += slice) {
      if (interrupted && interrupted()) {
        out.interrupted = true;
        return out;
      }
      std::this_thread::sleep_for(slice);
    }
    auto a = find_approval(s, pending.id());
    if (a) {
      out.approval = *a;
      if (a->state() != protocol::APPROVAL_STATE_PENDING)
        return out;
    } else {
      if (on_unreachable && last.message == "no answer")
        on_unreachable(a.err());
      last = a.err();
    }
    if (now_unix_ms() > give_up)
      return make_error("approval " + pending.id()
                          + ": no decision could be read after its deadline ("
                          + last.message + ")",
                        exit_code::unavailable);
  }
}

std::optional<error> not_granted(const protocol::Approval& a) {
  switch (a.state()) {
    case protocol::APPROVAL_STATE_APPROVED:
      return std::nullopt;
    case protocol::APPROVAL_STATE_DENIED:
      return make_error("approval " + a.id() + " was denied by "
                          + a.decided_by().principal() + ": "
                          + a.decision_message(),
                        exit_code::policy_rejection);
    case protocol::APPROVAL_STATE_EXPIRED:
      return make_error("approval " + a.id()
                          + " expired: nobody decided in time, so the change "
                            "was discarded (resubmit it and ask an approver "
                            "to run `pact approve accept` at once)",
                        exit_code::unavailable);
    case protocol::APPROVAL_STATE_REDEEMED:
      return make_error("approval " + a.id()
                          + " was already used (a grant runs once)",
                        exit_code::conflict);
    default:
      return make_error("approval " + a.id() + " is still pending",
                        exit_code::policy_rejection);
  }
}

std::string duration_text(int64_t ms) {
  if (ms < 0)
    ms = 0;
  int64_t s = (ms + 999) / 1000;
  if (s < 60)
    return std::to_string(s) + " s";
  int64_t m = (s + 59) / 60;
  if (m < 60)
    return std::to_string(m) + " min";
  return std::to_string(m / 60) + " h"
         + (m % 60 ? " " + std::to_string(m % 60) + " min" : "");
}

} // namespace pact::client
