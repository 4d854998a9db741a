#include "actors/agent/agent_metrics_endpoint.hpp"

#include <map>
#include <memory>

#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent/agent_metrics.hpp"
#include "actors/daemon/http_broker.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/http.hpp"

namespace pact::agent {

namespace {

using caf::io::connection_handle;

constexpr auto send = daemon::http_send;

void answer(caf::io::broker* self, connection_handle hdl,
            const http::request& req) {
  bool head = req.method == "HEAD";
  if (req.method != "GET" && !head)
    send(self, hdl, http::response(405, "text/plain", "use GET\n"));
  else if (req.path == "/metrics")
    send(self, hdl,
         http::response(200, "text/plain; version=0.0.4",
                        agent_metrics::get().render(), head));
  else
    send(self, hdl,
         http::response(404, "text/plain", "not found: try /metrics\n", head));
}

void published(caf::io::broker* self, const agent_metrics_endpoint_config& cfg,
               uint16_t port) {
  if (cfg.listen.notify)
    self->send(cfg.listen.notify, protocol::published_atom::value, port);
}

} // namespace

caf::behavior agent_metrics_endpoint(caf::io::broker* self,
                                     supervision::health_handle h,
                                     agent_metrics_endpoint_config cfg) {
  auto where = cfg.listen.host + ":" + std::to_string(cfg.listen.port->load());
  auto bound = self->add_tcp_doorman(cfg.listen.port->load(),
                                     cfg.listen.host.c_str(), true);
  if (!bound) {
    auto why = "cannot listen on " + where
               + " (metrics): the address is in use or not available on "
                 "this host";
    if (cfg.required) {
      self->quit(caf::make_error(caf::sec::cannot_open_port, why));
      return {};
    }
    spdlog::warn("{}; /metrics is not served (set agent.metrics_listen or "
                 "--metrics-listen to serve it elsewhere)",
                 why);
    supervision::report(self, h, protocol::ACTOR_STATE_RUNNING,
                        "/metrics not served: " + why);
    // endpoints.json must not name the port another process holds.
    cfg.listen.port->store(0);
    published(self, cfg, 0);
    return {[](const caf::io::new_connection_msg&) {},
            [](const caf::io::new_data_msg&) {}};
  }
  cfg.listen.port->store(bound->second);
  published(self, cfg, bound->second);
  auto url = "http://" + cfg.listen.host + ":" + std::to_string(bound->second);
  spdlog::info("metrics on {}/metrics", url);
  supervision::report(self, h, protocol::ACTOR_STATE_RUNNING,
                      "listening on " + url);
  return daemon::http_request_handlers(self, [self](connection_handle hdl,
                                                    const http::request& req) {
    answer(self, hdl, req);
  });
}

supervision::child_spec agent_metrics_child(agent_metrics_endpoint_config cfg) {
  return {
    "agent/metrics", "http-endpoint",
    [cfg](caf::event_based_actor* sup, const supervision::health_handle& h) {
      return sup->system().middleman().spawn_broker(agent_metrics_endpoint, h,
                                                    cfg);
    }};
}

} // namespace pact::agent
