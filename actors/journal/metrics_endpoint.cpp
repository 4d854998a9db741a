#include "actors/journal/metrics_endpoint.hpp"

#include <map>

#include <caf/actor_registry.hpp>
#include <caf/io/system_messages.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/daemon/http_broker.hpp"
#include "actors/journal/replica.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/assert.hpp"
#include "runtime/common/http.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::journal {

namespace {

using caf::io::connection_handle;

nlohmann::json peers_json(const protocol::RaftStatus& s) {
  auto out = nlohmann::json::array();
  for (auto& p : s.peers())
    out.push_back({{"id", p.id()},
                   {"url", p.url()},
                   {"connected", p.connected()},
                   {"problem", p.problem()},
                   {"problem_age_ms", p.problem_age_ms()}});
  return out;
}

nlohmann::json health_json(const protocol::RaftStatus& s) {
  return {{"node_id", s.node_id()},
          {"role", s.role()},
          {"term", s.term()},
          {"leader_id", s.leader_id()},
          {"commit_index", s.commit_index()},
          {"applied_index", s.applied_index()},
          {"last_index", s.last_index()},
          {"voters",
           std::vector<uint64_t>(s.voters().begin(), s.voters().end())},
          {"learners",
           std::vector<uint64_t>(s.learners().begin(), s.learners().end())},
          {"digest", s.digest()},
          {"failure", s.failure()},
          {"peers", peers_json(s)}};
}

constexpr auto send = daemon::http_send;

void answer_health(caf::io::broker* self, connection_handle hdl, bool head) {
  auto replica_ptr = self->system().registry().get(replica_name);
  if (!replica_ptr) {
    send(self, hdl,
         http::response(503, "application/json",
                        R"({"error":"no replica running"})", head));
    return;
  }
  auto r = caf::actor_cast<caf::actor>(replica_ptr);
  self->request(r, std::chrono::seconds(3), protocol::raft_status_atom::value)
    .then(
      [self, hdl, head](const std::string& bytes) {
        protocol::RaftStatus s;
        PACT_ASSERT(s.ParseFromString(bytes),
                    "raft status from the local replica");
        send(self, hdl,
             http::response(200, "application/json",
                            health_json(s).dump() + "\n", head));
      },
      [self, hdl, head](caf::error& err) {
        nlohmann::json j{{"error", caf::to_string(err)}};
        send(self, hdl,
             http::response(503, "application/json", j.dump() + "\n", head));
      });
}

void answer(caf::io::broker* self, const metrics_endpoint_config& cfg,
            connection_handle hdl, const http::request& req) {
  bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    send(self, hdl, http::response(405, "text/plain", "use GET\n"));
    return;
  }
  if (req.path == "/metrics") {
    send(self, hdl,
         http::response(200, "text/plain; version=0.0.4",
                        render_metrics(*cfg.metrics->registry), head));
  } else if (req.path == "/health") {
    answer_health(self, hdl, head);
  } else {
    send(self, hdl,
         http::response(404, "text/plain",
                        "not found: try /metrics or /health\n", head));
  }
}

} // namespace

caf::behavior metrics_endpoint(caf::io::broker* self,
                               supervision::health_handle h,
                               metrics_endpoint_config cfg) {
  auto bound = self->add_tcp_doorman(cfg.listen.port->load(),
                                     cfg.listen.host.c_str(), true);
  if (!bound) {
    self->quit(caf::make_error(caf::sec::cannot_open_port,
                               "cannot listen on " + cfg.listen.host + ":"
                                 + std::to_string(cfg.listen.port->load())
                                 + " (metrics): the address is in use or "
                                   "not available on this host"));
    return {};
  }
  cfg.listen.port->store(bound->second);
  if (cfg.listen.notify)
    self->send(cfg.listen.notify, protocol::published_atom::value,
               bound->second);
  auto url = "http://" + cfg.listen.host + ":" + std::to_string(bound->second);
  spdlog::info("metrics and health on {}", url);
  supervision::report(self, h, protocol::ACTOR_STATE_RUNNING,
                      "listening on " + url);
  return daemon::http_request_handlers(
    self, [self, cfg](connection_handle hdl, const http::request& req) {
      answer(self, cfg, hdl, req);
    });
}

} // namespace pact::journal
