#include "actors/agent/operator_call.hpp"

#include <atomic>
#include <chrono>

#include "actors/agent/agent_atoms.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/policy/agent_action.hpp"

namespace pact::agent {

using namespace pact::protocol;

namespace {

Response failure(StatusCode code, const std::string& message,
                 ErrorReason reason) {
  Response resp;
  resp.mutable_status()->set_code(code);
  resp.mutable_status()->set_message(message);
  resp.mutable_status()->set_reason(reason);
  return resp;
}

/// A fresh client request id for each use of a grant: a repeated one would
/// get the journal's remembered answer (policy::redeem_doubt refuses it).
std::string redeem_request_id(const std::string& approval_id) {
  static std::atomic<uint64_t> seq{0};
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  return "redeem-" + approval_id.substr(0, 16) + "-" + std::to_string(now) + "-"
         + std::to_string(++seq);
}

} // namespace

void propose_as_operator(caf::event_based_actor* self, const caf::actor& link,
                         const JournalCommand& cmd, const std::string& token,
                         journal_answer done) {
  auto fail = [done](const std::string& why, ErrorReason reason) {
    done(failure(STATUS_CODE_UNAVAILABLE, why, reason));
  };
  if (!link) {
    fail("the agent's journal link is restarting; nothing was written, retry",
         ERROR_REASON_UNSPECIFIED);
    return;
  }
  Request req;
  req.set_token(token);
  *req.mutable_command()->mutable_command() = cmd;
  self
    ->request(link, std::chrono::seconds(25), operator_call_atom::value,
              req.SerializeAsString())
    .then(
      [done, fail](const std::string& answer) {
        Response resp;
        if (!resp.ParseFromString(answer))
          fail("the journal link answered something unreadable",
               ERROR_REASON_OUTCOME_UNKNOWN);
        else
          done(std::move(resp));
      },
      [fail](caf::error&) {
        fail("the journal did not answer in time; the outcome is unknown "
             "(see pact log)",
             ERROR_REASON_OUTCOME_UNKNOWN);
      });
}

void redeem_grant(caf::event_based_actor* self, const caf::actor& link,
                  const std::string& token, const std::string& approval_id,
                  const AgentAction& what, std::function<void(Status)> then) {
  auto cmd = policy::redeem_command(approval_id, what,
                                    redeem_request_id(approval_id));
  propose_as_operator(
    self, link, cmd, token, [then, approval_id](const Response& resp) {
      auto st = resp.status();
      if (st.code() == STATUS_CODE_UNAVAILABLE)
        st.set_message(st.message() + " (approval " + approval_id
                       + " can only be checked with the journal; nothing "
                         "was run)");
      if (st.code() != STATUS_CODE_OK) {
        then(std::move(st));
        return;
      }
      if (auto why = policy::redeem_doubt(resp.command_reply().result(),
                                          approval_id);
          !why.empty()) {
        st.set_code(STATUS_CODE_CONFLICT);
        st.set_message(why);
      }
      then(std::move(st));
    });
}

} // namespace pact::agent
