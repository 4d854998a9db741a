#include "actors/agent/systemd_unit_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/agent/service_atoms.hpp"
#include "runtime/node/systemd_bus.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::agent {

namespace {

using protocol::ServiceStatus;

struct unit_data {
  supervision::health_handle h;
  service_actor_config cfg;
  systemd_unit_settings settings;
  std::string unit;
  node::systemd_manager manager;
  ServiceStatus status;
  /// Why the declared limit is not applied ("" when it is, or none).
  std::string limit_note;
  /// Why systemd refused the last start or restart ("" when it did not):
  /// shown while the unit has failed, as it says more than the unit's
  /// properties (the D-Bus error).
  std::string start_error;
  /// Restarts operators asked for through pact (systemd's NRestarts
  /// counts only its own).
  uint32_t operator_restarts = 0;
  bool started = false;
  /// The last start did not reach systemd (no bus): tried again at each
  /// poll until it does. A start systemd refused is not retried (its
  /// Restart= and the operator's restart are what start it again).
  bool start_again = false;
};

using shared = std::shared_ptr<unit_data>;

uint64_t now_usec(const unit_data& d) {
  if (d.settings.wall)
    return static_cast<uint64_t>(d.settings.wall->now_unix_ms()) * 1000;
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

protocol::ActorState health_state(const std::string& state) {
  if (state == "running" || state == "exited" || state == "starting"
      || state == "waiting")
    return protocol::ACTOR_STATE_RUNNING;
  if (state == "stopped")
    return protocol::ACTOR_STATE_STOPPED;
  if (state == "failed")
    return protocol::ACTOR_STATE_FAILED;
  return protocol::ACTOR_STATE_DEGRADED;
}

ServiceStatus base_status(const unit_data& d, const std::string& state,
                          const std::string& detail) {
  ServiceStatus s;
  s.set_name(d.cfg.spec.name);
  s.set_state(state);
  s.set_detail(detail);
  s.set_binary(d.cfg.spec.binary);
  s.set_restart(node::restart_name(d.cfg.spec.restart));
  return s;
}

/// Reports `s` to the supervisor and the health registry when it differs
/// from what was reported (uptime aside: it moves by itself).
void changed(caf::event_based_actor* self, const shared& d, ServiceStatus s) {
  auto same = s.state() == d->status.state() && s.detail() == d->status.detail()
              && s.pid() == d->status.pid()
              && s.restarts() == d->status.restarts()
              && s.health() == d->status.health() && !d->status.name().empty();
  d->status = std::move(s);
  if (same)
    return;
  const auto& st = d->status;
  supervision::report(self, d->h, health_state(st.state()),
                      st.state()
                        + (st.detail().empty() ? "" : ": " + st.detail()));
  if (d->cfg.supervisor)
    self->send(d->cfg.supervisor, service_status_atom::value, st.name(),
               st.SerializeAsString());
}

/// Reads the unit and reports it.
void poll(caf::event_based_actor* self, const shared& d) {
  auto p = d->manager.properties(d->unit);
  if (!p) {
    changed(self, d, base_status(*d, "failed", p.err().message));
    return;
  }
  auto v = node::view_of(d->cfg.spec.name, *p, now_usec(*d));
  auto s = base_status(
    *d, v.state,
    v.state == "failed" && !d->start_error.empty() ? d->start_error : v.detail);
  if (!d->limit_note.empty())
    s.set_detail(s.detail() + "; " + d->limit_note);
  s.set_pid(v.pid);
  s.set_uptime_seconds(v.uptime_seconds);
  s.set_restarts(v.restarts + d->operator_restarts);
  if (v.state == "failed" && !p->result.empty() && p->result != "success")
    s.set_last_exit("systemd result " + p->result);
  if (d->cfg.spec.health && d->cfg.spec.health->type == "process")
    s.set_health(v.pid > 0 ? "healthy" : "unhealthy: no process");
  changed(self, d, std::move(s));
}

/// The declared memory limit, as MemoryMax on the running unit (runtime:
/// pact declares it again at every boot). A limit systemd refuses does not
/// keep the service down, as under the pact backend: the reason shows in
/// its detail.
void apply_limits(const shared& d) {
  d->limit_note.clear();
  const auto& spec = d->cfg.spec;
  if (!spec.cgroup_slice.empty())
    spdlog::info("service {}: cgroup_slice '{}' is the unit file's Slice= "
                 "under systemd; pact does not move a unit's slice",
                 spec.name, spec.cgroup_slice);
  if (spec.cgroup_memory_max.empty())
    return;
  auto bytes = node::memory_max_value(spec.cgroup_memory_max);
  auto s = bytes ? d->manager.set_memory_max(d->unit, *bytes)
                 : status(bytes.err());
  if (!s) {
    d->limit_note = "memory limit not applied: " + s.err().message;
    spdlog::warn("service {}: {}", spec.name, d->limit_note);
  }
}

void start(caf::event_based_actor* self, const shared& d) {
  d->started = true;
  apply_limits(d);
  auto s = d->manager.start(d->unit);
  d->start_error = s ? "" : s.err().message;
  d->start_again = !s && !d->manager.reached_systemd();
  if (!s) {
    spdlog::error("service {}: {}", d->cfg.spec.name, s.err().message);
    changed(self, d, base_status(*d, "failed", s.err().message));
    return;
  }
  spdlog::info("service {}: started {}", d->cfg.spec.name, d->unit);
  poll(self, d);
}

} // namespace

caf::behavior
systemd_unit_actor(caf::event_based_actor* self, supervision::health_handle h,
                   service_actor_config cfg, systemd_unit_settings settings) {
  auto d = std::make_shared<unit_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  d->settings = std::move(settings);
  d->unit = node::unit_name(d->cfg.spec.name);
  // The agent ending does not stop the unit: it is systemd's to run (an
  // agent upgrade does not restart the node's services). Only a service
  // that is no longer declared is stopped (service_stop_atom).
  if (d->cfg.start)
    self->send(self, service_start_atom::value, uint64_t{0});
  else
    changed(self, d, base_status(*d, "waiting", ""));
  self->delayed_send(self, d->settings.poll, service_health_atom::value,
                     uint64_t{0});
  supervision::start_heartbeat(self);
  return caf::message_handler{
    [self, d](service_start_atom, uint64_t) {
      if (!d->started)
        start(self, d);
    },
    // The poll timer (the pact backend's health tick; the generation is
    // unused here).
    [self, d](service_health_atom, uint64_t) {
      if (d->start_again)
        start(self, d);
      else if (d->started)
        poll(self, d);
      self->delayed_send(self, d->settings.poll, service_health_atom::value,
                         uint64_t{0});
    },
    [self, d](service_restart_atom) {
      d->started = true;
      apply_limits(d);
      auto s = d->manager.restart(d->unit);
      d->start_error = s ? "" : s.err().message;
      d->start_again = !s && !d->manager.reached_systemd();
      if (!s) {
        spdlog::error("service {}: {}", d->cfg.spec.name, s.err().message);
        changed(self, d, base_status(*d, "failed", s.err().message));
      } else {
        ++d->operator_restarts;
        poll(self, d);
      }
      return d->status.SerializeAsString();
    },
    [self, d](service_stop_atom) {
      if (d->started) {
        auto s = d->manager.stop(d->unit);
        if (!s)
          spdlog::error("service {}: {}", d->cfg.spec.name, s.err().message);
        else
          spdlog::info("service {}: stopped {}", d->cfg.spec.name, d->unit);
      }
      changed(self, d, base_status(*d, "stopped", ""));
      self->quit();
    },
    [d](service_status_atom) { return d->status.SerializeAsString(); },
    [d](service_logs_atom, uint32_t n) {
      protocol::Response resp;
      auto lines = node::unit_journal(d->cfg.root, d->unit, n);
      if (!lines) {
        resp.mutable_status()->set_code(protocol::STATUS_CODE_ERROR);
        resp.mutable_status()->set_message(lines.err().message);
        return resp.SerializeAsString();
      }
      resp.mutable_status()->set_code(protocol::STATUS_CODE_OK);
      auto* r = resp.mutable_service_reply();
      for (auto& l : lines->lines)
        r->add_lines(std::move(l));
      r->set_truncated(lines->truncated);
      return resp.SerializeAsString();
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h, [d] {
      const auto& st = d->status;
      return std::make_pair(
        health_state(st.state()),
        st.state() + (st.detail().empty() ? "" : ": " + st.detail()));
    }));
}

} // namespace pact::agent
