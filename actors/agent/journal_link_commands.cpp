// The journal link's side of the node_command seam (agent_atoms.hpp): node
// commands proposed with the node credential, queued (bounded, oldest
// dropped) while no replica is reachable, and kept in the durable outbox of
// the boot cache until the journal accepted them (docs/agent.md, "Outbox").

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/agent/journal_link_state.hpp"
#include "protocol/errors.hpp"
#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/policy/agent_action.hpp"

namespace pact::agent::detail {

namespace {

/// Items and bytes of items in one node command: below the journal's
/// bounds (journal::max_delta_items; policy::max_request_bytes is 4 MiB).
constexpr int max_record_items = 1024;
constexpr size_t max_record_bytes = 1 << 20;

} // namespace

void enqueue_one(self_ptr self, const shared& d, protocol::JournalCommand cmd,
                 bool durable);

namespace {

using namespace pact::protocol;

/// Requests that a later attempt may succeed: the journal was unavailable,
/// not the command wrong.
bool retry_later(const Status& st) {
  return st.code() == STATUS_CODE_UNAVAILABLE || retryable(st.reason())
         || st.reason() == ERROR_REASON_OUTCOME_UNKNOWN;
}

/// Forgets a command the journal accepted or refused for good.
void forget(const shared& d, uint64_t id) {
  if (id == 0)
    return; // never kept
  if (auto st = d->cfg.cache->outbox_erase(id); !st)
    spdlog::warn("journal link: {}", st.err().message);
}

} // namespace

void load_outbox(const shared& d) {
  auto kept = d->cfg.cache->outbox_load();
  if (!kept) {
    spdlog::error("journal link: {}", kept.err().message);
    return;
  }
  for (auto& [id, bytes] : *kept) {
    d->next_outbox_id = std::max(d->next_outbox_id, id + 1);
    queued_command q{id, {}};
    if (!q.cmd.ParseFromString(bytes)) {
      spdlog::warn("journal link: dropped a malformed node command from the "
                   "outbox");
      forget(d, id);
      continue;
    }
    d->queue.push_back(std::move(q));
  }
  if (!d->queue.empty())
    spdlog::info("journal link: {} node command(s) kept in {} while no "
                 "journal replica answered are sent first",
                 d->queue.size(), d->cfg.cache->path());
}

void enqueue_command(self_ptr self, const shared& d, JournalCommand cmd,
                     bool durable) {
  // A retried command is applied at most once (JournalCommand.
  // client_request_id): the id names this node and a per-link counter.
  if (cmd.client_request_id().empty())
    cmd.set_client_request_id(d->cfg.node_id.substr(0, 40) + "-"
                              + std::to_string(d->cfg.wall->now_unix_ms()) + "-"
                              + std::to_string(++d->request_seq));
  // A record of many items (an auto-converge of thousands of files) goes
  // in parts the journal accepts (journal::max_delta_items, the request
  // size), each applied once.
  auto parts = journal::split_delta(std::move(cmd), max_record_items,
                                    max_record_bytes,
                                    journal::max_client_request_id_bytes);
  for (auto& part : parts)
    enqueue_one(self, d, std::move(part), durable);
}

void enqueue_one(self_ptr self, const shared& d, JournalCommand cmd,
                 bool durable) {
  // The bound counts what the journal has not accepted yet (waiting and
  // in flight): the outbox on disk holds no more than that.
  if (d->queue.size() + d->in_flight.size() >= d->cfg.max_queued_commands
      && !d->queue.empty()) {
    ++d->dropped_commands;
    spdlog::warn("journal link: {} node commands queued while no journal "
                 "replica answers; dropped the oldest, {} ({} dropped so far)",
                 d->queue.size(), CommandKind_Name(d->queue.front().cmd.kind()),
                 d->dropped_commands);
    forget(d, d->queue.front().id);
    d->queue.pop_front();
  }
  queued_command q{durable ? d->next_outbox_id++ : 0, std::move(cmd)};
  // Kept before it is sent: an agent stopped now sends it after its
  // restart. A disk that refuses it leaves it in memory only.
  if (durable)
    if (auto st = d->cfg.cache->outbox_put(q.id, q.cmd.SerializeAsString());
        !st)
      spdlog::warn("journal link: {}", st.err().message);
  d->queue.push_back(std::move(q));
  flush_commands(self, d);
}

void flush_commands(self_ptr self, const shared& d) {
  // Without a credential the journal refuses them for good: they wait.
  if (!d->connected || d->token.empty())
    return;
  while (!d->queue.empty()) {
    auto req = make_request(d, "cmd");
    *req.mutable_command()->mutable_command() = d->queue.front().cmd;
    d->in_flight.emplace_back(req.request_id(), std::move(d->queue.front()));
    d->queue.pop_front();
    send_request(self, d, req);
  }
}

void on_command_reply(self_ptr self, const shared& d, const Response& resp) {
  auto it
    = std::find_if(d->in_flight.begin(), d->in_flight.end(),
                   [&](const auto& f) { return f.first == resp.request_id(); });
  if (it == d->in_flight.end())
    return;
  auto q = std::move(it->second);
  d->in_flight.erase(it);
  const auto& st = resp.status();
  const auto& cmd = q.cmd;
  bool boot_record = cmd.kind() == COMMAND_KIND_RECORD
                     && cmd.record_type() == ENTRY_TYPE_BOOT_CONFIG;
  if (st.code() == STATUS_CODE_OK) {
    if (boot_record && !d->displaced.empty()) {
      spdlog::info("journal link: this agent is now node {}'s agent",
                   d->cfg.node_id);
      d->displaced.clear();
      set_status(self, d, d->status, false); // the health shows it now
    }
    forget(d, q.id);
    return;
  }
  if (boot_record && st.code() == STATUS_CODE_CONFLICT) {
    // Another agent holds the node: said once, asked again each report.
    if (d->displaced != st.message())
      spdlog::error("journal link: the journal refused this agent: {}",
                    st.message());
    bool news = d->displaced != st.message();
    d->displaced = st.message();
    if (news)
      set_status(self, d, d->status, true);
    return;
  }
  auto what = CommandKind_Name(cmd.kind()) + " for node " + cmd.scope().node();
  if (retry_later(st)) {
    spdlog::warn("journal link: {} not recorded yet ({}); retrying", what,
                 st.message());
    d->queue.push_front(std::move(q));
    return;
  }
  // Refused for good (authorization, validation): log, do not retry.
  spdlog::error("journal link: the journal refused {}: {}", what, st.message());
  forget(d, q.id);
}

void requeue_in_flight(const shared& d) {
  // Back in the order they were sent, before anything queued since.
  for (auto it = d->in_flight.rbegin(); it != d->in_flight.rend(); ++it)
    d->queue.push_front(std::move(it->second));
  d->in_flight.clear();
}

namespace {

/// Operator requests in flight at once (each waits for one journal
/// answer); more are refused rather than queued.
constexpr size_t max_operator_calls = 64;

std::string failure(StatusCode code, const std::string& message,
                    ErrorReason reason = ERROR_REASON_UNSPECIFIED) {
  Response resp;
  resp.set_version(PROTOCOL_VERSION_1);
  resp.mutable_status()->set_code(code);
  resp.mutable_status()->set_message(message);
  resp.mutable_status()->set_reason(reason);
  return resp.SerializeAsString();
}

} // namespace

void operator_call(self_ptr self, const shared& d, const std::string& bytes) {
  auto rp = self->make_response_promise();
  Request req;
  if (!req.ParseFromString(bytes)) {
    rp.deliver(failure(STATUS_CODE_ERROR, "malformed operator request"));
    return;
  }
  if (!d->connected) {
    rp.deliver(failure(STATUS_CODE_UNAVAILABLE,
                       "the node's agent cannot reach a journal replica now ("
                         + d->status + "); nothing was written"));
    return;
  }
  if (d->operator_calls.size() >= max_operator_calls) {
    rp.deliver(failure(STATUS_CODE_UNAVAILABLE,
                       "the node's agent is busy with other operator "
                       "requests; nothing was written, retry"));
    return;
  }
  req.set_version(PROTOCOL_VERSION_1);
  req.set_request_id("op-" + std::to_string(++d->request_seq));
  d->operator_calls.emplace(req.request_id(), rp);
  if (req.has_command()) {
    const auto& cmd = req.command().command();
    if (cmd.kind() == COMMAND_KIND_COMMIT
        && cmd.scope().node() == d->cfg.node_id)
      d->operator_commits.emplace(req.request_id(), cmd.state_delta());
  }
  send_request(self, d, req);
}

void on_operator_reply(const shared& d, const Response& resp) {
  auto it = d->operator_calls.find(resp.request_id());
  if (it == d->operator_calls.end())
    return;
  auto commit = d->operator_commits.find(resp.request_id());
  if (commit != d->operator_commits.end()) {
    // A commit held for approval declares nothing until it is applied.
    if (resp.status().code() == STATUS_CODE_OK
        && !policy::held_for_approval(resp.command_reply().result())) {
      // The delta as recorded; a retried commit's remembered result lacks
      // it, and what was sent declares the same values.
      const auto& recorded = resp.command_reply().result().state_delta();
      journal::merge_node_list(d->delta.mutable_items(),
                               recorded.items_size() > 0 ? recorded
                                                         : commit->second);
    }
    d->operator_commits.erase(commit);
  }
  it->second.deliver(resp.SerializeAsString());
  d->operator_calls.erase(it);
}

void fail_operator_calls(const shared& d) {
  for (auto& [id, rp] : d->operator_calls)
    rp.deliver(failure(STATUS_CODE_UNAVAILABLE,
                       "the node's agent lost its journal connection before "
                       "the journal answered; the outcome is unknown (see "
                       "pact log)",
                       ERROR_REASON_OUTCOME_UNKNOWN));
  d->operator_calls.clear();
  d->operator_commits.clear();
}

} // namespace pact::agent::detail
