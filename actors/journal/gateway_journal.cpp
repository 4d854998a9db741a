// The journal-service side of the gateway (issue 4): state-changing
// commands (authorized here, stamped with the caller's verified identity,
// proposed through the local replica which forwards to the leader), reads
// (linearizable through ReadIndex unless the caller opts into a stale
// read), `pact watch` long polls and the boot-config stream for agents.

#include <set>

#include <caf/actor_cast.hpp>

#include "actors/journal/gateway_detail.hpp"
#include "actors/supervision/health.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "runtime/common/assert.hpp"
#include "runtime/journal/enrollment.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_query.hpp"
#include "runtime/policy/approval_id.hpp"
#include "runtime/policy/command_authz.hpp"
#include "runtime/policy/node_authz.hpp"
#include "runtime/policy/read_authz.hpp"

namespace pact::journal {

namespace {

using namespace pact::protocol;
using daemon::api_reply;
using self_ptr = caf::event_based_actor*;

/// Extra time a watch request gets beyond its own wait.
constexpr auto watch_slack = std::chrono::seconds(5);

/// The vCluster the agent of `node` reports; "" when it has not reported.
std::string reported_vcluster(const gateway_data& d, const std::string& node) {
  auto it = d.nodes.find(node);
  return it == d.nodes.end() ? std::string() : it->second.report.vcluster();
}

/// Sends `q` to the local replica and calls `on_answer` with the answer.
template <class OnAnswer>
void ask_replica(self_ptr self, const gateway_shared& d, const JournalQuery& q,
                 api_reply reply, OnAnswer on_answer) {
  auto r = replica_or_fail(self, reply);
  if (!r)
    return;
  self
    ->request(r, d->cfg.propose_timeout, query_atom::value,
              q.SerializeAsString())
    .then(
      [reply, on_answer](const std::string& bytes) mutable {
        JournalAnswer a;
        if (!a.ParseFromString(bytes)) {
          reply.fail(STATUS_CODE_ERROR, "replica sent a malformed answer");
          return;
        }
        on_answer(a, reply);
      },
      [reply](caf::error& err) mutable {
        if (reason_of(err) == ERROR_REASON_TIMEOUT)
          err = make_error(ERROR_REASON_READ_UNAVAILABLE,
                           "the journal replica did not answer the read "
                           "within its deadline; retry, or read stale "
                           "(--stale)");
        reply.fail(err);
      });
}

/// Proposes `cmd` and answers with its result; `enroll_token`: the one-time
/// token drawn for a NODE_ENROLL, answered with it once it committed (or
/// is held for approval, which applies the same command later).
void propose(self_ptr self, const gateway_shared& d, const JournalCommand& cmd,
             api_reply reply, const std::string& enroll_token = {}) {
  auto r = replica_or_fail(self, reply);
  if (!r)
    return;
  self
    ->request(r, d->cfg.propose_timeout, propose_atom::value,
              cmd.SerializeAsString())
    .then(
      [reply, enroll_token](uint64_t index, const std::string& bytes) mutable {
        CommandResult res;
        PACT_ASSERT(res.ParseFromString(bytes),
                    "command result from the local replica");
        if (res.status().code() != STATUS_CODE_OK) {
          // A delegation refused for want of a second person's grant says
          // so in a flag the client acts on (it asks for the approval).
          if (res.status().approval_required())
            reply.fail(res.status());
          else
            reply.fail(res.status().code(), res.status().message());
          return;
        }
        Response resp;
        resp.mutable_command_reply()->set_index(index);
        // A retry answered from the deduplication window registered the
        // token of the first attempt, which this answer does not know: no
        // token then (the CLI says to enroll again).
        if (!res.duplicate())
          resp.mutable_command_reply()->set_enroll_token(enroll_token);
        *resp.mutable_command_reply()->mutable_result() = std::move(res);
        reply.ok(std::move(resp));
      },
      [reply](caf::error& err) mutable {
        auto reason = reason_of(err);
        // A deadline or a lost replica after the command left the gateway:
        // it may have been proposed, so its outcome is unknown.
        if (reason == ERROR_REASON_TIMEOUT
            || reason == ERROR_REASON_REPLICA_DOWN)
          err
            = make_error(ERROR_REASON_OUTCOME_UNKNOWN,
                         "write not acknowledged: " + protocol::message_of(err)
                           + "; its outcome is unknown (a retry with the "
                             "same request id is applied at most once; "
                             "`pact log` shows whether it landed)");
        reply.fail(err);
      });
}

void handle_command(self_ptr self, const gateway_shared& d, const Request& req,
                    const policy::authenticated& who, api_reply reply) {
  // Author, roles and time come from the token and the leader, never from
  // the body (DESIGN.md §5). A node-scoped write is authorized by the state
  // machine against the node's enrollment when it applies it (issue 9
  // item 5), instead of a linearizable read of the enrollment here.
  auto p = policy::prepare_proposal(who, req.command().command());
  if (!p.denial.empty()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, p.denial);
    return;
  }
  // Certificates are recorded by the gateway that signed them (an enroll
  // request), never by a client's command; enrollment fields are drawn
  // here, never taken from the body.
  if (p.command.kind() == COMMAND_KIND_NODE_ACTIVATE) {
    reply.fail(STATUS_CODE_UNAUTHORIZED,
               "policy: denied: node certificates are recorded by the "
               "journal when it signs a node's certificate request");
    return;
  }
  std::string enroll_token;
  p.command.clear_enroll_token_sha256();
  if (p.command.kind() == COMMAND_KIND_NODE_ENROLL) {
    // The one-time token of `pact enroll`: only its hash is replicated
    // and logged; the caller sees the token once, in the answer.
    enroll_token = new_enroll_token();
    p.command.set_enroll_token_sha256(enroll_token_sha256(enroll_token));
  }
  // An id for the approval this write may turn out to need (two-person
  // policy, decided when it is applied): drawn here, never taken from the
  // body, since the state machine may not draw randomness. The commands
  // that name an existing approval keep theirs.
  switch (p.command.kind()) {
    case COMMAND_KIND_APPROVAL_DECIDE:
    case COMMAND_KIND_APPROVAL_EXPIRE:
    case COMMAND_KIND_APPROVAL_REDEEM:
      break;
    default:
      p.command.set_approval_id(policy::new_approval_id());
  }
  // A node's own records come from the agent that holds the node.
  const auto& cmd = req.command().command();
  if (policy::holds_node_role(who.roles) && !cmd.scope().node().empty()
      && d->api->sender)
    if (auto why = claim_node(self, *d, cmd.scope().node(),
                              d->api->sender->address(), cmd.agent_endpoint(),
                              false);
        !why.empty()) {
      reply.fail(STATUS_CODE_CONFLICT, why);
      return;
    }
  ask_policy_engine(self, d, who, p.command, std::move(reply),
                    [self, d, cmd = p.command, enroll_token](api_reply r) {
                      propose(self, d, cmd, std::move(r), enroll_token);
                    });
}

void handle_log(self_ptr self, const gateway_shared& d, const Request& req,
                const policy::authenticated& who, api_reply reply) {
  const auto& q = req.log();
  // One entry by sequence is checked on the entry itself, below.
  expected<Scope> scope{Scope{}};
  if (q.sequence() == 0 && !q.scope().empty()) {
    scope = parse_scope(q.scope());
    if (!scope) {
      reply.fail(STATUS_CODE_INVALID_ARGUMENT, scope.err().message);
      return;
    }
  }
  auto why = q.sequence() != 0 ? std::string()
             : q.from_sequence() != 0
               ? policy::whole_journal_denial(who, q.verify()
                                                     ? "which --verify checks"
                                                     : "which --export writes")
               : policy::log_request_denial(who, q.scope().empty() ? nullptr
                                                                   : &*scope);
  if (!why.empty()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, why);
    return;
  }
  JournalQuery jq;
  jq.set_linearizable(!q.stale());
  *jq.mutable_log() = q;
  ask_replica(self, d, jq, std::move(reply),
              [self, d, who, q, scope](const JournalAnswer& a, api_reply& r) {
                Response resp;
                *resp.mutable_log_reply() = a.log();
                with_node_vclusters(
                  self, d, who, !q.stale(),
                  [who, scope, resp, r](const policy::vcluster_of& of) mutable {
                    auto denial = policy::log_denial(
                      who, &*scope, resp.log_reply().entries(), of);
                    if (!denial.empty())
                      r.fail(STATUS_CODE_UNAUTHORIZED, denial);
                    else
                      r.ok(std::move(resp));
                  });
              });
}

void handle_state(self_ptr self, const gateway_shared& d, const Request& req,
                  const policy::authenticated& who, api_reply reply) {
  const auto& q = req.state();
  if (auto why = policy::vcluster_denial(who, q.vcluster()); !why.empty()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, why);
    return;
  }
  JournalQuery jq;
  jq.set_linearizable(!q.stale());
  *jq.mutable_state() = q;
  ask_replica(self, d, jq, std::move(reply),
              [d, who, q](const JournalAnswer& a, api_reply& r) {
                auto reported = [d](const std::string& node) {
                  return reported_vcluster(*d, node);
                };
                // A node asked for by name: refuse rather than pretend it
                // is unknown (its enrollment, else its agent's report).
                if (!q.node().empty()) {
                  auto enrolled = policy::enrolled_in(a.state(), q.node());
                  auto vc = policy::node_resolver(
                    policy::enrollments(a.state()), reported,
                    policy::booted_vclusters(a.state()))(q.node());
                  bool known = enrolled || d->nodes.count(q.node()) > 0;
                  if (auto why = policy::named_node_denial(who, q.node(), known,
                                                           vc);
                      !why.empty()) {
                    r.fail(STATUS_CODE_UNAUTHORIZED, why);
                    return;
                  }
                }
                Response resp;
                auto* out = resp.mutable_state_reply();
                *out = a.state();
                // An unfiltered read shows only what the caller may read.
                policy::filter_state(who.roles, *out, reported);
                // Enrollment token hashes stay inside the journal (a hash
                // of 256 random bits reveals nothing, but nobody needs it).
                for (auto& n : *out->mutable_nodes())
                  if (n.has_enrollment())
                    n.mutable_enrollment()->clear_token_sha256();
                r.ok(std::move(resp));
              });
}

void handle_watch(self_ptr self, const gateway_shared&, const Request& req,
                  const policy::authenticated& who, api_reply reply) {
  const auto& q = req.watch();
  if (auto why = policy::watch_denial(who, q.vcluster()); !why.empty()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, why);
    return;
  }
  auto r = replica_or_fail(self, reply);
  if (!r)
    return;
  auto wait = std::chrono::milliseconds(q.wait_ms()) + watch_slack;
  self->request(r, wait, watch_atom::value, q.SerializeAsString())
    .then(
      [reply](const std::string& bytes) mutable {
        Response resp;
        PACT_ASSERT(resp.mutable_watch_reply()->ParseFromString(bytes),
                    "watch reply from the local replica");
        reply.ok(std::move(resp));
      },
      [reply](caf::error& err) mutable { reply.fail(err, "watch"); });
}

/// Sends the boot chunks to `requester` and answers `r` with the summary.
void stream_boot(self_ptr self, const caf::actor& requester,
                 const JournalAnswer& a, api_reply& r) {
  // The stream: each chunk its own message, in order (CAF keeps the order
  // of messages between two actors), then the reply closes it.
  Response resp;
  auto* out = resp.mutable_boot_config_reply();
  for (auto& c : a.boot().chunks()) {
    if (requester)
      self->send(requester, boot_chunk_atom::value, c.SerializeAsString());
    if (c.has_complete())
      *out->mutable_complete() = c.complete();
  }
  out->set_chunks_sent(static_cast<uint32_t>(a.boot().chunks_size()));
  r.ok(std::move(resp));
}

void handle_boot_config(self_ptr self, const gateway_shared& d,
                        const Request& req, const policy::authenticated& who,
                        api_reply reply) {
  const auto& q = req.boot_config();
  if (auto why = policy::boot_request_denial(who, q.node(), q.vcluster());
      !why.empty()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, why);
    return;
  }
  auto requester = caf::actor_cast<caf::actor>(d->api->sender);
  JournalQuery jq;
  jq.set_linearizable(true);
  *jq.mutable_boot() = q;
  auto asked = current_replica(self);
  bool own_boot = policy::holds_node_role(who.roles)
                  && q.node() == who.claims.subject;
  ask_replica(
    self, d, jq, std::move(reply),
    [self, d, requester, who, q, asked, own_boot](JournalAnswer& answer,
                                                  api_reply& r) {
      // Shared, not copied: the continuation below is a std::function that
      // with_node_vclusters copies into each of its own handlers.
      auto a = std::make_shared<const JournalAnswer>(std::move(answer));
      // The answer above came from a linearizable read of this gateway's
      // replica actor, whose applied state never goes back while it runs: a
      // plain read of the same actor sees the node's enrollment at least as
      // new, without a second ReadIndex round per boot (Raft thesis §6.4).
      // A replica restarted in between replays its log first: ask it
      // linearizably then.
      bool same = current_replica(self) == asked;
      with_node_vclusters(
        self, d, who, !same,
        [self, requester, who, q, a, r](const policy::vcluster_of& of) mutable {
          if (auto why = policy::boot_answer_denial(who, q.node(),
                                                    a->boot().chunks(), of);
              !why.empty())
            r.fail(STATUS_CODE_UNAUTHORIZED, why);
          else
            stream_boot(self, requester, *a, r);
        },
        // A node's own boot is held to its enrollment only: what its agent
        // reported or booted from before is its own earlier claim, and an
        // unenrolled node may be moved to another vCluster.
        q.node(), !own_boot);
    });
}

} // namespace

void with_node_vclusters(self_ptr self, const gateway_shared& d,
                         const policy::authenticated& who, bool linearizable,
                         std::function<void(const policy::vcluster_of&)> then,
                         const std::string& only_node, bool node_claims) {
  if (policy::reads_everything(who.roles)) {
    then([](const std::string&) { return std::string(); });
    return;
  }
  auto hidden = [then] {
    then([](const std::string&) { return std::string(); });
  };
  auto r = current_replica(self);
  if (!r) {
    hidden();
    return;
  }
  JournalQuery q;
  q.set_linearizable(linearizable);
  // Every node record, or the one node's.
  q.mutable_state()->set_node(only_node);
  self
    ->request(r, d->cfg.propose_timeout, query_atom::value,
              q.SerializeAsString())
    .then(
      [d, then, hidden, node_claims](const std::string& bytes) {
        JournalAnswer a;
        if (!a.ParseFromString(bytes)) {
          hidden();
          return;
        }
        if (!node_claims) {
          then(policy::node_resolver(policy::enrollments(a.state()),
                                     [](const std::string&) {
                                       return std::string();
                                     }));
          return;
        }
        then(policy::node_resolver(
          policy::enrollments(a.state()),
          [d](const std::string& node) { return reported_vcluster(*d, node); },
          policy::booted_vclusters(a.state())));
      },
      [hidden](caf::error&) { hidden(); });
}

void add_journal_handlers(self_ptr self, const gateway_shared& d,
                          daemon::api_table& table) {
  using namespace std::placeholders;
  table.emplace(Request::kCommand,
                std::bind(handle_command, self, d, _1, _2, _3));
  table.emplace(Request::kLog, std::bind(handle_log, self, d, _1, _2, _3));
  table.emplace(Request::kState, std::bind(handle_state, self, d, _1, _2, _3));
  table.emplace(Request::kWatch, std::bind(handle_watch, self, d, _1, _2, _3));
  table.emplace(Request::kBootConfig,
                std::bind(handle_boot_config, self, d, _1, _2, _3));
}

} // namespace pact::journal
