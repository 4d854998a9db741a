#include "actors/agent/agent_api.hpp"

#include <functional>

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/service_api.hpp"
#include "actors/daemon/api_endpoint.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/assert.hpp"
#include "runtime/policy/command_authz.hpp"

namespace pact::agent {

namespace {

using namespace pact::protocol;

struct api_data {
  supervision::health_handle h;
  agent_api_config cfg;
  std::shared_ptr<daemon::api_context> api;
  std::string url = "(binding)";
};

void handle_status(caf::event_based_actor* self,
                   const std::shared_ptr<api_data>& d,
                   const policy::authenticated& who, daemon::api_reply reply) {
  if (auto v = policy::decide_for(who, "status", d->cfg.vcluster);
      !v.allowed()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, v.message);
    return;
  }
  self
    ->request(d->cfg.registry, std::chrono::seconds(5),
              health_snapshot_atom::value)
    .then(
      [reply](const std::string& tree) mutable {
        Response resp;
        PACT_ASSERT(
          resp.mutable_status_reply()->mutable_self()->ParseFromString(tree),
          "health tree from the local registry");
        reply.ok(std::move(resp));
      },
      [reply](caf::error& err) mutable {
        reply.fail(STATUS_CODE_ERROR,
                   "health registry did not answer: " + caf::to_string(err));
      });
}

/// Refuses (INVALID_ARGUMENT) a request naming another node, so that a
/// wrong PACT_AGENT_ENDPOINT never shows or changes one node as another.
bool other_node(const std::shared_ptr<api_data>& d, const std::string& node,
                daemon::api_reply& reply) {
  if (node.empty() || node == d->cfg.node_id)
    return false;
  reply.fail(STATUS_CODE_INVALID_ARGUMENT,
             "this agent serves node '" + d->cfg.node_id + "', not '" + node
               + "' (check PACT_AGENT_ENDPOINT)");
  return true;
}

/// Finds the current drift watcher and hands it to `use`; answers
/// UNAVAILABLE (`why` + `after`) when it is restarting or not running.
void with_watcher(caf::event_based_actor* self,
                  const std::shared_ptr<api_data>& d, daemon::api_reply reply,
                  const std::string& after,
                  std::function<void(const caf::actor&)> use) {
  auto unavailable = [reply, after](const std::string& why) mutable {
    reply.fail(STATUS_CODE_UNAVAILABLE, "drift watcher " + why + after);
  };
  self
    ->request(d->cfg.supervisor, std::chrono::seconds(5), child_atom::value,
              d->cfg.drift_watcher_name)
    .then(
      [use, unavailable](const caf::actor& watcher) mutable {
        if (!watcher)
          unavailable("is restarting");
        else
          use(watcher);
      },
      [unavailable](caf::error&) mutable { unavailable("is not running"); });
}

/// `pact diff NODE`: the drift watcher's live drift, same read rule as
/// status.
void handle_drift(caf::event_based_actor* self,
                  const std::shared_ptr<api_data>& d, const Request& req,
                  const policy::authenticated& who, daemon::api_reply reply) {
  if (auto v = policy::decide_for(who, "diff", d->cfg.vcluster); !v.allowed()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, v.message);
    return;
  }
  if (other_node(d, req.drift().node(), reply))
    return;
  with_watcher(
    self, d, reply, "; retry in a moment",
    [self, reply](const caf::actor& watcher) mutable {
      self->request(watcher, std::chrono::seconds(5), drift_atom::value)
        .then(
          [reply](const std::string& bytes) mutable {
            Response resp;
            PACT_ASSERT(resp.mutable_drift_reply()->ParseFromString(bytes),
                        "drift reply from the local drift watcher");
            reply.ok(std::move(resp));
          },
          [reply](caf::error&) mutable {
            reply.fail(STATUS_CODE_UNAVAILABLE,
                       "drift watcher did not answer; retry in a "
                       "moment");
          });
    });
}

/// `pact commit` of the node's drift / `pact rollback` of a node entry:
/// write rule of the node's vCluster (the journal authorizes the write
/// again when it applies it), then the drift watcher, whose serialized
/// Response is the answer.
template <class Atom>
void handle_operator(caf::event_based_actor* self,
                     const std::shared_ptr<api_data>& d,
                     std::string_view action, const std::string& node,
                     const std::string& body, const Request& req,
                     const policy::authenticated& who,
                     daemon::api_reply reply) {
  reply.set_write(true);
  // The vCluster-policy rules (AI writes) are decided by the journal when
  // it applies the write.
  if (auto v = policy::decide_for(who, action, d->cfg.vcluster); !v.allowed()) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, v.message);
    return;
  }
  if (other_node(d, node, reply))
    return;
  auto token = req.token();
  with_watcher(
    self, d, reply, "; nothing was written, retry",
    [self, reply, body, token](const caf::actor& watcher) mutable {
      self->request(watcher, std::chrono::seconds(30), Atom::value, body, token)
        .then(
          [reply](const std::string& bytes) mutable {
            Response resp;
            PACT_ASSERT(resp.ParseFromString(bytes),
                        "operator answer from the local drift watcher");
            if (resp.status().code() == STATUS_CODE_OK)
              reply.ok(std::move(resp));
            else
              reply.fail(resp.status().code(), resp.status().message(),
                         resp.status().reason());
          },
          [reply](caf::error&) mutable {
            reply.fail(STATUS_CODE_UNAVAILABLE,
                       "the drift watcher did not answer in time; the outcome "
                       "is unknown (see pact log)",
                       ERROR_REASON_OUTCOME_UNKNOWN);
          });
    });
}

} // namespace

caf::behavior agent_api(caf::event_based_actor* self,
                        supervision::health_handle h, agent_api_config cfg) {
  auto d = std::make_shared<api_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  d->api = std::make_shared<daemon::api_context>();
  d->api->verifier = d->cfg.verifier;
  d->api->wall = d->cfg.wall;
  d->api->server_name = "the pact-agent API";
  d->api->elsewhere = " (journal requests go to a pact-journal gateway: "
                      "--endpoint or PACT_ENDPOINT)";
  supervision::report(self, d->h, ACTOR_STATE_STARTING, "binding");
  daemon::publish_self(self, d->cfg.listen, [self, d](uint16_t port) {
    d->url = (d->cfg.listen.tls ? "https://" : "http://") + d->cfg.listen.host
             + ":" + std::to_string(port);
    spdlog::info("agent API listening on {}", d->url);
    supervision::report(self, d->h, ACTOR_STATE_RUNNING,
                        "listening on " + d->url);
    supervision::start_heartbeat(self);
  });
  daemon::api_table table{
    {Request::kStatus,
     [self, d](const Request&, const policy::authenticated& who,
               daemon::api_reply reply) {
       handle_status(self, d, who, std::move(reply));
     }},
    {Request::kDrift,
     [self, d](const Request& req, const policy::authenticated& who,
               daemon::api_reply reply) {
       handle_drift(self, d, req, who, std::move(reply));
     }},
    {Request::kDriftCommit,
     [self, d](const Request& req, const policy::authenticated& who,
               daemon::api_reply reply) {
       handle_operator<drift_commit_atom>(
         self, d, "commit", req.drift_commit().node(),
         req.drift_commit().SerializeAsString(), req, who, std::move(reply));
     }},
    {Request::kNodeRollback,
     [self, d](const Request& req, const policy::authenticated& who,
               daemon::api_reply reply) {
       handle_operator<node_rollback_atom>(
         self, d, "rollback", req.node_rollback().node(),
         req.node_rollback().SerializeAsString(), req, who, std::move(reply));
     }},
    {Request::kService,
     [self, d](const Request& req, const policy::authenticated& who,
               daemon::api_reply reply) {
       handle_service(self, d->cfg.node_id, d->cfg.vcluster,
                      {d->cfg.supervisor}, req, who, std::move(reply));
     }},
    {Request::kCapability,
     [d](const Request& req, const policy::authenticated& who,
         daemon::api_reply reply) {
       handle_capability(d->cfg.capability, req, who, std::move(reply));
     }},
  };
  auto exec = std::make_shared<exec_context>();
  exec->cfg = d->cfg.exec;
  exec->node_id = d->cfg.node_id;
  exec->vcluster = d->cfg.vcluster;
  exec->supervisor = d->cfg.supervisor;
  exec->wall = d->cfg.wall;
  table.emplace(Request::kExec,
                [self, d, exec](const Request& req,
                                const policy::authenticated& who,
                                daemon::api_reply reply) {
                  if (!other_node(d, req.exec().node(), reply))
                    handle_exec(self, exec, req, who, std::move(reply));
                });
  auto diag = std::make_shared<diag_context>();
  diag->cfg = d->cfg.diag;
  diag->node_id = d->cfg.node_id;
  diag->vcluster = d->cfg.vcluster;
  diag->supervisor = d->cfg.supervisor;
  diag->wall = d->cfg.wall;
  table.emplace(Request::kDiag,
                [self, d, diag](const Request& req,
                                const policy::authenticated& who,
                                daemon::api_reply reply) {
                  if (!other_node(d, req.diag().node(), reply))
                    handle_diag(self, diag, req, who, std::move(reply));
                });
  auto shell = std::make_shared<shell_context>();
  shell->exec = d->cfg.exec;
  shell->cfg = d->cfg.shell;
  shell->node_id = d->cfg.node_id;
  shell->vcluster = d->cfg.vcluster;
  shell->supervisor = d->cfg.supervisor;
  shell->wall = d->cfg.wall;
  table.emplace(Request::kShell,
                [self, d, shell](const Request& req,
                                 const policy::authenticated& who,
                                 daemon::api_reply reply) {
                  if (!other_node(d, req.shell().node(), reply))
                    handle_shell(self, shell, req, who, std::move(reply));
                });
  auto state = [d] {
    return std::make_pair(ACTOR_STATE_RUNNING, "listening on " + d->url);
  };
  return caf::message_handler{
    [self, d, table](api_atom, const std::string& bytes) {
      daemon::serve_api(self, d->api, bytes, table);
    },
    [self, d, table](api_atom, const std::string& bytes, caf::actor& to) {
      daemon::serve_api(self, d->api, bytes, table, std::move(to));
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h, state));
}

} // namespace pact::agent
