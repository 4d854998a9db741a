#include "actors/journal/gateway.hpp"

#include <algorithm>

#include <caf/actor_registry.hpp>
#include <spdlog/spdlog.h>

#include "actors/journal/gateway_detail.hpp"
#include "actors/journal/replica.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/assert.hpp"
#include "runtime/common/log_text.hpp"
#include "runtime/policy/node_authz.hpp"

namespace pact::journal {

namespace {

using namespace pact::protocol;
using daemon::api_reply;

using shared = gateway_shared;

/// Adds the nodes matching the request's filters to `reply`; `of` gives a
/// node's vCluster (read_authz: its enrollment, else its report).
void add_nodes(const gateway_data& d, const StatusRequest& q,
               const policy::vcluster_of& of, StatusReply& reply) {
  auto now = d.cfg.wall->now_unix_ms();
  for (auto& [id, n] : d.nodes) {
    if (!q.node().empty() && id != q.node())
      continue;
    if (!q.vcluster().empty()
        && policy::node_vcluster(of(id), n.report.vcluster()) != q.vcluster())
      continue;
    auto* ns = reply.add_nodes();
    *ns->mutable_report() = n.report;
    ns->set_last_seen_age_ms(now - n.received_unix_ms);
  }
}

void reply_status(caf::event_based_actor* self, const shared& d,
                  const StatusRequest& q, api_reply reply,
                  const std::string& tree, const policy::authenticated& who,
                  const policy::vcluster_of& of) {
  auto build = [d, q, tree, who, of](const std::string& raft) {
    Response resp;
    auto* out = resp.mutable_status_reply();
    PACT_ASSERT(out->mutable_self()->ParseFromString(tree),
                "health tree from the local registry");
    if (!raft.empty())
      PACT_ASSERT(out->mutable_raft()->ParseFromString(raft),
                  "raft status from the local replica");
    add_nodes(*d, q, of, *out);
    // Nodes of vClusters the caller may not read are not shown, not even
    // their names (issue 8 item 13).
    policy::filter_status(who.roles, *out, of);
    return resp;
  };
  auto finish = [q, reply, d, who, of](Response resp) mutable {
    if (!q.node().empty() && resp.status_reply().nodes_size() == 0) {
      // Known but not readable: say so, rather than "not known".
      // Known: reporting, or enrolled (an enrolled node whose agent has not
      // reported yet is still a node of its vCluster).
      auto vc = of(q.node());
      auto why = policy::named_node_denial(
        who, q.node(), d->nodes.count(q.node()) > 0 || !vc.empty(), vc);
      if (!why.empty())
        reply.fail(STATUS_CODE_UNAUTHORIZED, why);
      else
        reply.fail(STATUS_CODE_ERROR,
                   "node '" + q.node() + "' is not known to this journal");
    } else {
      reply.ok(std::move(resp));
    }
  };
  auto r = current_replica(self);
  if (!r) {
    finish(build({}));
    return;
  }
  self->request(r, std::chrono::seconds(3), raft_status_atom::value)
    .then([build,
           finish](const std::string& raft) mutable { finish(build(raft)); },
          [build, finish](caf::error&) mutable { finish(build({})); });
}

void handle_status(caf::event_based_actor* self, const shared& d,
                   const Request& req, const policy::authenticated& who,
                   api_reply reply) {
  const auto& q = req.status();
  if (auto why = policy::vcluster_denial(who, q.vcluster()); !why.empty()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, why);
    return;
  }
  self
    ->request(d->cfg.registry, std::chrono::seconds(5),
              health_snapshot_atom::value)
    .then(
      [self, d, q, reply, who](const std::string& tree) mutable {
        // A stale read of the enrollments: status answers during elections.
        with_node_vclusters(self, d, who, false,
                            [self, d, q, reply, who,
                             tree](const policy::vcluster_of& of) mutable {
                              reply_status(self, d, q, std::move(reply), tree,
                                           who, of);
                            });
      },
      [reply](caf::error& err) mutable {
        reply.fail(err, "the health registry did not answer");
      });
}

void handle_propose(caf::event_based_actor* self, const shared& d,
                    const Request& req, const policy::authenticated& who,
                    api_reply reply) {
  if (auto why = policy::raw_propose_denial(who); !why.empty()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, why);
    return;
  }
  auto r = replica_or_fail(self, reply);
  if (!r)
    return;
  self
    ->request(r, d->cfg.propose_timeout, propose_atom::value,
              req.propose().command())
    .then(
      [reply](uint64_t index, const std::string&) mutable {
        Response resp;
        resp.mutable_propose_reply()->set_index(index);
        reply.ok(std::move(resp));
      },
      [reply](caf::error& err) mutable {
        reply.fail(err, "write not acknowledged");
      });
}

daemon::api_table make_table(caf::event_based_actor* self, const shared& d) {
  using namespace std::placeholders;
  daemon::api_table table{
    {Request::kStatus, std::bind(handle_status, self, d, _1, _2, _3)},
    {Request::kPropose, std::bind(handle_propose, self, d, _1, _2, _3)},
  };
  add_journal_handlers(self, d, table);
  add_enroll_handlers(self, d, table);
  guard_node_certificates(self, d, table);
  return table;
}

/// Keeps a report that passed the checks (on_node_report).
void accept_report(caf::event_based_actor* self, const shared& d,
                   protocol::NodeReport report, const caf::actor_addr& from) {
  report.clear_token(); // status replies show the report; never the token
  // A second agent with the same node id must not replace the first one's
  // report (and agent endpoint) in `pact status`.
  if (auto why = claim_node(self, *d, report.node_id(), from,
                            report.agent_endpoint(), true);
      !why.empty()) {
    spdlog::warn("gateway: dropped a node report from the agent at {}: {}",
                 safe_text(report.agent_endpoint(), 200), why);
    return;
  }
  auto& n = d->nodes[report.node_id()];
  if (n.received_unix_ms == 0)
    spdlog::info("gateway: node {} reported (agent {})",
                 safe_text(report.node_id()),
                 safe_text(report.agent_endpoint(), 200));
  n.report = std::move(report);
  n.received_unix_ms = d->cfg.wall->now_unix_ms();
}

void on_node_report(caf::event_based_actor* self, const shared& d,
                    const std::string& bytes) {
  auto parsed = policy::parse_node_report(bytes);
  if (!parsed) {
    spdlog::warn("gateway: dropped a node report: {}", parsed.err().message);
    return;
  }
  auto report = std::move(*parsed);
  auto now = d->cfg.wall->now_unix_ms() / 1000;
  // Only the node's own credential reports for it (node_authz.hpp).
  if (auto why = policy::report_denial(report, d->cfg.verifier, now,
                                       &d->api->tokens);
      !why.empty()) {
    spdlog::warn("gateway: dropped a node report: {}", why);
    return;
  }
  auto from = self->current_sender() ? self->current_sender()->address()
                                     : caf::actor_addr();
  // A certificate-bound credential counts only while it is the node's
  // current certificate: an agent left running after its node was enrolled
  // again (or revoked) must not keep holding the node.
  auto who = policy::authenticate_token(report.token(), d->cfg.verifier, now,
                                        &d->api->tokens);
  if (!who || who->claims.cert_serial.empty()) {
    accept_report(self, d, std::move(report), from);
    return;
  }
  auto node = report.node_id();
  check_node_certificate(self, d, who->claims.subject, who->claims.cert_serial,
                         [self, d, report = std::move(report), from,
                          node](const std::string& why) mutable {
                           if (!why.empty()) {
                             spdlog::warn(
                               "gateway: dropped a node report of {}: {}",
                               safe_text(node), why);
                             return;
                           }
                           accept_report(self, d, std::move(report), from);
                         });
}

} // namespace

std::string claim_node(caf::event_based_actor* self, gateway_data& d,
                       const std::string& node, const caf::actor_addr& sender,
                       const std::string& endpoint, bool report) {
  if (!sender)
    return {};
  auto now = d.cfg.wall->now_unix_ms();
  auto [it, fresh] = d.holders.try_emplace(node);
  auto& h = it->second;
  bool silent = now - h.active_unix_ms
                > std::max(holder_silence_ms, 3 * h.report_gap_ms);
  if (fresh || (h.link != sender && silent)) {
    if (!fresh)
      spdlog::warn("gateway: the agent holding node {} (at {}) has been "
                   "silent; the agent now writing for it takes over",
                   node, h.endpoint);
    if (!fresh)
      if (auto old = d.held_by.find(h.link); old != d.held_by.end())
        old->second.erase(node);
    h = node_holder{sender, {}, 0, 0, 0};
    auto& held = d.held_by[sender];
    if (held.empty())
      self->monitor(sender); // once per link, however many nodes it holds
    held.insert(node);
  } else if (h.link != sender) {
    return "node '" + node + "' is served by another pact-agent"
           + (h.endpoint.empty() ? std::string()
                                 : " (its API at " + h.endpoint + ")")
           + ", connected to this journal; a second agent with the same "
             "node id is refused: give each agent its own node id, or stop "
             "the other (docs/agent.md)";
  }
  if (!endpoint.empty())
    h.endpoint = endpoint;
  h.active_unix_ms = now;
  if (report) {
    if (h.report_unix_ms != 0)
      h.report_gap_ms = now - h.report_unix_ms;
    h.report_unix_ms = now;
  }
  return {};
}

caf::actor current_replica(caf::event_based_actor* self) {
  return caf::actor_cast<caf::actor>(
    self->system().registry().get(replica_name));
}

caf::actor replica_or_fail(caf::event_based_actor* self, api_reply& reply) {
  auto r = current_replica(self);
  if (!r)
    reply.fail(STATUS_CODE_UNAVAILABLE,
               "the journal replica is not running (restarting); retry",
               ERROR_REASON_REPLICA_DOWN);
  return r;
}

caf::behavior gateway(caf::event_based_actor* self,
                      supervision::health_handle h, gateway_config cfg) {
  auto d = std::make_shared<gateway_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  d->api = std::make_shared<daemon::api_context>();
  d->api->verifier = d->cfg.verifier;
  d->api->wall = d->cfg.wall;
  d->api->limits.max_in_flight = d->cfg.max_in_flight;
  d->api->server_name = "the pact-journal gateway";
  d->api->discovery = d->cfg.discovery;
  d->api->observer = d->cfg.observer;
  d->api->elsewhere
    = " (node requests — drift, cap, exec, shell, service — go to the "
      "node's pact-agent; PACT_AGENT_ENDPOINT names one)";
  supervision::report(self, d->h, ACTOR_STATE_STARTING, "binding");
  daemon::publish_self(self, d->cfg.listen, [self, d](uint16_t port) {
    d->url = (d->cfg.listen.tls ? "https://" : "http://") + d->cfg.listen.host
             + ":" + std::to_string(port);
    spdlog::info("gateway listening on {}", d->url);
    supervision::report(self, d->h, ACTOR_STATE_RUNNING,
                        "listening on " + d->url);
    supervision::start_heartbeat(self);
  });
  auto table = make_table(self, d);
  // An agent's connection is gone: its node may be held by another.
  self->set_down_handler([d](caf::down_msg& dm) {
    auto held = d->held_by.find(dm.source);
    if (held == d->held_by.end())
      return;
    for (const auto& node : held->second)
      if (auto it = d->holders.find(node);
          it != d->holders.end() && it->second.link == dm.source)
        d->holders.erase(it);
    d->held_by.erase(held);
  });
  auto state = [d] {
    return std::make_pair(ACTOR_STATE_RUNNING,
                          "listening on " + d->url + ", "
                            + std::to_string(d->nodes.size()) + " nodes known");
  };
  return caf::message_handler{
    [self, d, table](api_atom, const std::string& bytes) {
      daemon::serve_api(self, d->api, bytes, table);
    },
    // Clients that name where the answer goes (api_endpoint.hpp says why).
    [self, d, table](api_atom, const std::string& bytes, caf::actor& to) {
      daemon::serve_api(self, d->api, bytes, table, std::move(to));
    },
    [self, d](node_report_atom, const std::string& bytes) {
      on_node_report(self, d, bytes);
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h, state));
}

} // namespace pact::journal
