#include "actors/agent/drift_operator.hpp"

#include <functional>

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/operator_call.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/node/drift_commit.hpp"
#include "runtime/node/node_restore.hpp"
#include "runtime/node/scanners.hpp"
#include "runtime/policy/agent_action.hpp"

namespace pact::agent {

namespace {

using namespace pact::protocol;
using policy::held_for_approval;
using std::chrono::seconds;

StatusCode status_of(exit_code c) {
  switch (c) {
    case exit_code::conflict:
      return STATUS_CODE_CONFLICT;
    case exit_code::rollback_blocked:
      return STATUS_CODE_ROLLBACK_BLOCKED;
    case exit_code::unavailable:
      return STATUS_CODE_UNAVAILABLE;
    default:
      return STATUS_CODE_INVALID_ARGUMENT;
  }
}

Response failure(StatusCode code, const std::string& message,
                 ErrorReason reason = ERROR_REASON_UNSPECIFIED) {
  Response resp;
  resp.mutable_status()->set_code(code);
  resp.mutable_status()->set_message(message);
  resp.mutable_status()->set_reason(reason);
  return resp;
}

/// Proposes `cmd` with the operator's `token` through the journal link
/// that runs now (operator_call.hpp); `done` gets the journal's Response,
/// or UNAVAILABLE when the link or the journal cannot be reached.
void call_journal(caf::event_based_actor* self, const drift_watcher_config& cfg,
                  const JournalCommand& cmd, const std::string& token,
                  journal_answer done) {
  self
    ->request(cfg.supervisor, seconds(5), child_atom::value,
              cfg.journal_link_name)
    .then(
      [self, cmd, token, done](const caf::actor& link) {
        propose_as_operator(self, link, cmd, token, done);
      },
      [done](caf::error&) {
        done(failure(STATUS_CODE_UNAVAILABLE,
                     "the agent's journal link is not running; nothing was "
                     "written"));
      });
}

/// A journal CONFLICT on a drift commit: the condition was the agent's,
/// not an --if-previous the operator typed.
Response explain_conflict(Response resp) {
  auto msg = resp.status().message();
  const std::string flag = " (--if-previous)";
  if (auto at = msg.find(flag); at != std::string::npos)
    msg.erase(at, flag.size());
  resp.mutable_status()->set_message(
    "the node's declared state changed since its drift was shown: " + msg);
  return resp;
}

std::string request_id(const drift_watcher_config& cfg, const char* what) {
  return (std::string(what) + "-" + cfg.node_id.substr(0, 32) + "-"
          + std::to_string(cfg.wall->now_unix_ms()) + "-"
          + std::to_string(++cfg.shared->episodes))
    .substr(0, 64);
}

/// The auto-converge record of what a rollback restored (docs/drift.md:
/// the node's story in pact log).
void record_restore(const drift_watcher_config& cfg, uint64_t rollback_to,
                    const std::vector<node::step_result>& done) {
  JournalCommand cmd;
  cmd.set_kind(COMMAND_KIND_AUTO_CONVERGE);
  cmd.mutable_scope()->set_node(cfg.node_id);
  *cmd.mutable_state_delta() = node::restored_delta(done);
  auto count = cmd.state_delta().items_size();
  if (count == 0)
    return;
  cmd.set_message("restored " + std::to_string(count) + " item(s) to entry "
                  + std::to_string(rollback_to) + " after a rollback");
  cmd.set_client_request_id(request_id(cfg, "restore"));
  spdlog::info("drift: {}", cmd.message());
  cfg.shared->follower.note(cmd); // the journal says converging now
  auto& out = cfg.shared->outbox;
  if (out.size() == drift_outbox_limit)
    out.pop_front();
  out.push_back(cmd.SerializeAsString()); // the next poll hands it over
}

/// A rollback changed the declared services: the supervisor seam hears it
/// through the journal link now (the link's next report would too).
void hand_services(caf::event_based_actor* self,
                   const drift_watcher_config& cfg,
                   const StateDelta& services) {
  self
    ->request(cfg.supervisor, seconds(5), child_atom::value,
              cfg.journal_link_name)
    .then(
      [self, bytes = services.SerializeAsString()](const caf::actor& link) {
        if (link)
          self->send(link, declared_services_atom::value, bytes);
      },
      [](caf::error&) {}); // the link hands them at its next report
}

} // namespace

void commit_drift(caf::event_based_actor* self, const drift_watcher_config& cfg,
                  const std::string& request, const std::string& token) {
  auto rp = self->make_response_promise();
  DriftCommitRequest req;
  if (!req.ParseFromString(request)) {
    rp.deliver(
      failure(STATUS_CODE_INVALID_ARGUMENT, "malformed drift commit request")
        .SerializeAsString());
    return;
  }
  auto& state = cfg.shared->state;
  auto cmd = node::drift_commit_command(state, req, cfg.node_id,
                                        node::host_file_meta(cfg.host.root));
  if (!cmd) {
    rp.deliver(
      failure(status_of(cmd.err().code), "commit refused: " + cmd.err().message)
        .SerializeAsString());
    return;
  }
  if (cmd->client_request_id().empty())
    cmd->set_client_request_id(request_id(cfg, "commit"));
  auto shared = cfg.shared;
  auto wall = cfg.wall;
  auto sent = cmd->state_delta();
  call_journal(
    self, cfg, *cmd, token, [rp, shared, wall, sent](Response resp) mutable {
      if (resp.status().code() == STATUS_CODE_CONFLICT)
        resp = explain_conflict(std::move(resp));
      if (resp.status().code() != STATUS_CODE_OK) {
        rp.deliver(resp.SerializeAsString());
        return;
      }
      // The delta as recorded; a retried commit's remembered result lacks
      // it, and what was sent declares the same values. A commit held for
      // a second person's approval (two-person policy) declares nothing
      // yet: the drift stays drift, under its window's rules, until the
      // journal applies it on approval and the link hears the new delta.
      const auto& result = resp.command_reply().result();
      if (!held_for_approval(result))
        shared->state.apply_committed(
          result.state_delta().items_size() > 0 ? result.state_delta() : sent,
          wall->now_unix_ms());
      Response out;
      out.mutable_status()->set_code(STATUS_CODE_OK);
      *out.mutable_drift_commit_reply()->mutable_command()
        = resp.command_reply();
      rp.deliver(out.SerializeAsString());
    });
}

void rollback_node(caf::event_based_actor* self,
                   const drift_watcher_config& cfg, const std::string& request,
                   const std::string& token) {
  auto rp = self->make_response_promise();
  auto refuse = [&rp](StatusCode code, const std::string& why) {
    rp.deliver(failure(code, why).SerializeAsString());
  };
  NodeRollbackRequest req;
  if (!req.ParseFromString(request))
    return refuse(STATUS_CODE_INVALID_ARGUMENT, "malformed rollback request");
  auto& state = cfg.shared->state;
  if (!state.declared_known())
    return refuse(STATUS_CODE_UNAVAILABLE,
                  "the agent has not received its declared state from the "
                  "journal yet; nothing was written, retry");
  NodeDelta next_delta = state.node_delta();
  next_delta.mutable_items()->CopyFrom(req.node_items());
  auto next = node::declared_state::from(state.overlay(), next_delta);
  if (!next)
    return refuse(STATUS_CODE_INVALID_ARGUMENT,
                  "rollback refused: " + next.err().message);
  auto plan = node::plan_restore(state, *next);
  const auto& root = cfg.host.root;
  auto mounted = node::scan_mounts(root);
  auto users = node::read_consumers(root, mounted ? *mounted
                                                  : node::observed_items{});
  if (auto st = node::check_restore(plan, state.declared(), *next, users,
                                    req.force());
      !st)
    return refuse(status_of(st.err().code), st.err().message);
  JournalCommand cmd;
  cmd.set_kind(COMMAND_KIND_ROLLBACK);
  cmd.mutable_scope()->set_node(cfg.node_id);
  cmd.set_rollback_to(req.rollback_to());
  cmd.set_message(req.message().empty()
                    ? "rollback to " + std::to_string(req.rollback_to())
                    : req.message());
  cmd.set_client_request_id(req.client_request_id().empty()
                              ? request_id(cfg, "rollback")
                              : req.client_request_id());
  auto c = cfg;
  call_journal(
    self, cfg, cmd, token,
    [self, rp, c, next_delta, to = req.rollback_to()](Response resp) mutable {
      if (resp.status().code() != STATUS_CODE_OK) {
        rp.deliver(resp.SerializeAsString());
        return;
      }
      auto& st = c.shared->state;
      // Planned again: the node may have changed while the journal
      // answered; what was refused before stays refused by execute.
      auto target = node::declared_state::from(st.overlay(), next_delta);
      std::vector<node::step_result> done;
      if (target) {
        auto backends = node::make_backends(c.host);
        done = node::execute_restore(node::plan_restore(st, *target), *target,
                                     backends);
        if (node::touches_services(done))
          hand_services(self, c, node::declared_services(target->raw));
      }
      // What was written is what the node holds now: compared again, the
      // scan that predates the restore must not read as drift.
      st.note_restored(done);
      st.set_node_items(next_delta, c.wall->now_unix_ms());
      record_restore(c, to, done);
      Response out;
      out.mutable_status()->set_code(STATUS_CODE_OK);
      auto* reply = out.mutable_node_rollback_reply();
      *reply->mutable_command() = resp.command_reply();
      for (auto& o : node::restored_items(done))
        *reply->add_restored() = std::move(o);
      rp.deliver(out.SerializeAsString());
    });
}

} // namespace pact::agent
