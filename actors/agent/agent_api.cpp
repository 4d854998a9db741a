#include "actors/agent/agent_api.hpp"

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/daemon/api_endpoint.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/assert.hpp"

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
  if (!policy::can_read(who.roles, d->cfg.vcluster)) {
    reply.fail(STATUS_CODE_UNAUTHORIZED,
               "policy: denied: " + who.claims.subject
                 + " may not read this node's status");
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

/// `pact diff NODE`: the drift watcher's live drift, same read rule as
/// status.
void handle_drift(caf::event_based_actor* self,
                  const std::shared_ptr<api_data>& d, const Request& req,
                  const policy::authenticated& who, daemon::api_reply reply) {
  if (!policy::can_read(who.roles, d->cfg.vcluster)) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, "policy: denied: " + who.claims.subject
                                           + " may not read this node's drift");
    return;
  }
  const auto& node = req.drift().node();
  if (!node.empty() && node != d->cfg.node_id) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               "this agent serves node '" + d->cfg.node_id + "', not '" + node
                 + "' (check PACT_AGENT_ENDPOINT)");
    return;
  }
  auto unavailable = [reply](const std::string& why) mutable {
    reply.fail(STATUS_CODE_UNAVAILABLE,
               "drift watcher " + why + "; retry in a moment");
  };
  self
    ->request(d->cfg.supervisor, std::chrono::seconds(5), child_atom::value,
              d->cfg.drift_watcher_name)
    .then(
      [self, reply, unavailable](const caf::actor& watcher) mutable {
        if (!watcher) {
          unavailable("is restarting");
          return;
        }
        self->request(watcher, std::chrono::seconds(5), drift_atom::value)
          .then(
            [reply](const std::string& bytes) mutable {
              Response resp;
              PACT_ASSERT(resp.mutable_drift_reply()->ParseFromString(bytes),
                          "drift reply from the local drift watcher");
              reply.ok(std::move(resp));
            },
            [unavailable](caf::error&) mutable {
              unavailable("did not answer");
            });
      },
      [unavailable](caf::error&) mutable { unavailable("is not running"); });
}

/// `pact commit` of the node's drift / `pact rollback` of a node entry:
/// write rule of the node's vCluster (the journal authorizes the write
/// again when it applies it), then the drift watcher, whose serialized
/// Response is the answer.
template <class Atom>
void handle_operator(caf::event_based_actor* self,
                     const std::shared_ptr<api_data>& d,
                     const std::string& node, const std::string& body,
                     const Request& req, const policy::authenticated& who,
                     daemon::api_reply reply) {
  reply.set_write(true);
  if (!policy::can_write(who.roles, d->cfg.vcluster)) {
    reply.fail(STATUS_CODE_UNAUTHORIZED, "policy: denied: " + who.claims.subject
                                           + " may not change node "
                                           + d->cfg.node_id);
    return;
  }
  if (!node.empty() && node != d->cfg.node_id) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               "this agent serves node '" + d->cfg.node_id + "', not '" + node
                 + "' (check PACT_AGENT_ENDPOINT)");
    return;
  }
  auto unavailable = [reply](const std::string& why) mutable {
    reply.fail(STATUS_CODE_UNAVAILABLE,
               "drift watcher " + why + "; nothing was written, retry");
  };
  auto token = req.token();
  self
    ->request(d->cfg.supervisor, std::chrono::seconds(5), child_atom::value,
              d->cfg.drift_watcher_name)
    .then(
      [self, reply, unavailable, body, token](const caf::actor& w) mutable {
        if (!w) {
          unavailable("is restarting");
          return;
        }
        self->request(w, std::chrono::seconds(30), Atom::value, body, token)
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
                         "the drift watcher did not answer in time; the "
                         "outcome is unknown (see pact log)",
                         ERROR_REASON_OUTCOME_UNKNOWN);
            });
      },
      [unavailable](caf::error&) mutable { unavailable("is not running"); });
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
  supervision::report(self, d->h, ACTOR_STATE_STARTING, "binding");
  daemon::publish_self(self, d->cfg.listen, [self, d](uint16_t port) {
    d->url = "http://" + d->cfg.listen.host + ":" + std::to_string(port);
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
         self, d, req.drift_commit().node(),
         req.drift_commit().SerializeAsString(), req, who, std::move(reply));
     }},
    {Request::kNodeRollback,
     [self, d](const Request& req, const policy::authenticated& who,
               daemon::api_reply reply) {
       handle_operator<node_rollback_atom>(
         self, d, req.node_rollback().node(),
         req.node_rollback().SerializeAsString(), req, who, std::move(reply));
     }},
    {Request::kCapability,
     [d](const Request& req, const policy::authenticated& who,
         daemon::api_reply reply) {
       handle_capability(d->cfg.capability, req, who, std::move(reply));
     }},
  };
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
