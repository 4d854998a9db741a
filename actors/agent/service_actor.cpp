#include "actors/agent/service_actor.hpp"

#include <signal.h>

#include <thread>

#include <spdlog/spdlog.h>

#include "actors/agent/service_atoms.hpp"
#include "runtime/node/health_probe.hpp"
#include "runtime/node/service_cgroup.hpp"
#include "runtime/node/service_process.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::agent {

namespace {

using steady = std::chrono::steady_clock;

struct service_data {
  supervision::health_handle h;
  service_actor_config cfg;
  node::service_log log;
  std::string state = "starting";
  std::string detail;
  std::string last_exit;
  pid_t pid = -1;
  /// Generation of the process running now (messages of older ones are
  /// stale); 0 before the first.
  uint64_t gen = 0;
  /// Token of the restart delay armed now (a later start supersedes it).
  uint64_t start_token = 0;
  steady::time_point started{};
  uint32_t restarts = 0;
  uint32_t crashes = 0;
  bool stopping = false; // stop for good (removed, or the agent ends)
  bool restart_asked = false;
  /// Result of the last tcp/http health check of the current process
  /// ("" before the first).
  std::string health;
  std::vector<caf::response_promise> restart_waiters;
};

using shared = std::shared_ptr<service_data>;

protocol::ServiceStatus status_of(const service_data& d) {
  protocol::ServiceStatus s;
  s.set_name(d.cfg.spec.name);
  s.set_state(d.state);
  s.set_pid(d.pid > 0 ? d.pid : 0);
  if (d.pid > 0)
    s.set_uptime_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                           steady::now() - d.started)
                           .count());
  s.set_restarts(d.restarts);
  s.set_last_exit(d.last_exit);
  s.set_detail(d.detail);
  s.set_binary(d.cfg.spec.binary);
  s.set_restart(node::restart_name(d.cfg.spec.restart));
  if (d.cfg.spec.health && d.cfg.spec.health->type == "process")
    s.set_health(d.pid > 0 ? "healthy" : "unhealthy: no process");
  else if (d.cfg.spec.health && d.pid > 0)
    s.set_health(d.health);
  return s;
}

protocol::ActorState health_state(const service_data& d) {
  if (d.state == "running" || d.state == "exited" || d.state == "starting")
    return protocol::ACTOR_STATE_RUNNING;
  if (d.state == "stopped")
    return protocol::ACTOR_STATE_STOPPED;
  if (d.state == "failed")
    return protocol::ACTOR_STATE_FAILED;
  return protocol::ACTOR_STATE_DEGRADED; // backoff
}

void changed(caf::event_based_actor* self, const shared& d, std::string state,
             std::string detail) {
  d->state = std::move(state);
  d->detail = std::move(detail);
  supervision::report(self, d->h, health_state(*d),
                      d->state + (d->detail.empty() ? "" : ": " + d->detail));
  auto st = status_of(*d).SerializeAsString();
  if (d->cfg.supervisor)
    self->send(d->cfg.supervisor, service_status_atom::value, d->cfg.spec.name,
               st);
  if (d->state != "starting" && d->state != "running")
    return;
  for (auto& w : d->restart_waiters)
    w.deliver(st);
  d->restart_waiters.clear();
}

void start(caf::event_based_actor* self, const shared& d) {
  if (d->pid > 0 || d->stopping)
    return;
  d->start_token = 0;
  auto p = node::start_service(d->cfg.root, d->cfg.spec);
  if (!p) {
    // Not found or not executable: the policy decides as for a crash (a
    // package that installs the binary later is picked up on a restart).
    spdlog::error("service {}: {}", d->cfg.spec.name, p.err().message);
    d->last_exit = p.err().message;
    auto r = node::after_exit(d->cfg.spec, {false, 127},
                              std::chrono::milliseconds(0), d->crashes,
                              d->cfg.limits);
    d->crashes = r.crashes_in_a_row;
    if (r.k == node::restart_decision::kind::restart) {
      d->start_token = ++d->gen;
      self->delayed_send(self, r.delay, service_start_atom::value,
                         d->start_token);
      changed(self, d, "backoff",
              p.err().message + "; trying again in "
                + std::to_string(r.delay.count() / 1000) + " s");
    } else {
      changed(self, d, "failed", p.err().message);
    }
    for (auto& w : d->restart_waiters)
      w.deliver(status_of(*d).SerializeAsString());
    d->restart_waiters.clear();
    return;
  }
  d->pid = p->pid;
  d->started = steady::now();
  auto gen = ++d->gen;
  auto me = caf::actor_cast<caf::actor>(self);
  std::thread([p = *p, me, gen] {
    node::follow(
      p,
      [&](std::string bytes) {
        caf::anon_send(me, service_output_atom::value, gen, std::move(bytes));
      },
      [&](node::exit_status e) {
        caf::anon_send(me, service_exit_atom::value, gen, e.signaled,
                       static_cast<int32_t>(e.code));
      });
  }).detach();
  spdlog::info("service {}: started {} (pid {})", d->cfg.spec.name,
               d->cfg.spec.binary, d->pid);
  d->health.clear();
  // Limits where the host allows them; a service is not kept down for a
  // limit the host cannot apply (the reason shows in its detail).
  auto cgroup = node::place_in_cgroup(d->cfg.root, d->cfg.spec, d->pid);
  if (!cgroup.empty())
    spdlog::warn("service {}: {}", d->cfg.spec.name, cgroup);
  if (const auto& h = d->cfg.spec.health; h && h->type != "process")
    self->delayed_send(self, h->interval, service_health_atom::value, gen);
  changed(self, d, "running", cgroup);
}

void on_exit(caf::event_based_actor* self, const shared& d,
             node::exit_status e) {
  auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(
    steady::now() - d->started);
  d->pid = -1;
  d->log.flush();
  d->last_exit = node::exit_text(e);
  if (d->stopping) {
    changed(self, d, "stopped", d->last_exit);
    self->quit();
    return;
  }
  if (d->restart_asked) { // an operator's restart: at once, count reset
    d->restart_asked = false;
    d->crashes = 0;
    ++d->restarts;
    start(self, d);
    return;
  }
  auto r = node::after_exit(d->cfg.spec, e, uptime, d->crashes, d->cfg.limits);
  d->crashes = r.crashes_in_a_row;
  switch (r.k) {
    case node::restart_decision::kind::restart:
      spdlog::warn("service {}: {}", d->cfg.spec.name, r.detail);
      d->start_token = ++d->gen;
      ++d->restarts;
      self->delayed_send(self, r.delay, service_start_atom::value,
                         d->start_token);
      changed(self, d, "backoff", r.detail);
      break;
    case node::restart_decision::kind::exited:
      spdlog::info("service {}: {}", d->cfg.spec.name, r.detail);
      changed(self, d, "exited", r.detail);
      break;
    case node::restart_decision::kind::failed:
      spdlog::error("service {}: {}", d->cfg.spec.name, r.detail);
      changed(self, d, "failed", r.detail);
      break;
  }
}

/// SIGTERM to the process group, SIGKILL after the grace period.
void terminate(caf::event_based_actor* self, const shared& d) {
  if (d->pid <= 0)
    return;
  node::signal_service(d->pid, SIGTERM);
  self->delayed_send(self, d->cfg.stop_grace, service_kill_atom::value, d->gen);
}

} // namespace

caf::behavior service_actor(caf::event_based_actor* self,
                            supervision::health_handle h,
                            service_actor_config cfg) {
  auto d = std::make_shared<service_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  // The agent ends, or the supervisor stops this service: its processes
  // do not outlive their supervision unannounced.
  self->attach_functor([d] {
    if (d->pid > 0)
      node::signal_service(d->pid, SIGTERM);
  });
  // Told to end (the agent shuts down, or its supervisor ends): stop the
  // process group as a restart does — SIGTERM, SIGKILL after the grace
  // period — and end once it has exited, so that the agent's shutdown
  // waits for it and leaves no orphan (a tester: a service that ignored
  // SIGTERM outlived the agent).
  self->set_exit_handler([self, d](caf::exit_msg& m) {
    if (d->pid <= 0) {
      self->quit(m.reason);
      return;
    }
    d->stopping = true;
    terminate(self, d);
  });
  if (d->cfg.start)
    self->send(self, service_start_atom::value, uint64_t{0});
  else
    changed(self, d, "waiting", "");
  supervision::start_heartbeat(self);
  return caf::message_handler{
    [self, d](service_start_atom, uint64_t token) {
      if (token != 0 && token != d->start_token)
        return; // a restart delay superseded by a start since
      start(self, d);
    },
    [d](service_output_atom, uint64_t gen, const std::string& bytes) {
      if (gen == d->gen)
        d->log.append(bytes);
    },
    [self, d](service_exit_atom, uint64_t gen, bool signaled, int32_t code) {
      if (gen == d->gen)
        on_exit(self, d, {signaled, code});
    },
    [self, d](service_health_atom, uint64_t gen) {
      if (gen != d->gen || d->pid <= 0)
        return; // another process by now, or none
      auto me = caf::actor_cast<caf::actor>(self);
      auto check = *d->cfg.spec.health;
      // A check never takes longer than its interval (nor 5 s).
      auto timeout = std::min<std::chrono::milliseconds>(
        check.interval, std::chrono::seconds(5));
      std::thread([me, gen, check, timeout] {
        caf::anon_send(me, service_probe_atom::value, gen,
                       node::probe_health(check, timeout));
      }).detach();
    },
    [self, d](service_probe_atom, uint64_t gen, const std::string& why) {
      if (gen != d->gen || d->pid <= 0)
        return;
      auto now = why.empty() ? std::string("healthy") : "unhealthy: " + why;
      if (now != d->health) {
        if (!why.empty())
          spdlog::warn("service {}: {}", d->cfg.spec.name, now);
        d->health = now;
        changed(self, d, d->state, d->detail); // the supervisor hears
      }
      self->delayed_send(self, d->cfg.spec.health->interval,
                         service_health_atom::value, gen);
    },
    [d](service_kill_atom, uint64_t gen) {
      if (gen == d->gen && d->pid > 0)
        node::signal_service(d->pid, SIGKILL);
    },
    [self, d](service_restart_atom) -> caf::result<std::string> {
      auto rp = self->make_response_promise<std::string>();
      d->restart_waiters.push_back(rp);
      if (d->pid > 0) {
        d->restart_asked = true;
        terminate(self, d);
      } else {
        d->crashes = 0;
        ++d->restarts;
        start(self, d);
      }
      return rp;
    },
    [self, d](service_stop_atom) {
      d->stopping = true;
      if (d->pid > 0) {
        changed(self, d, "stopping", "");
        terminate(self, d);
      } else {
        changed(self, d, "stopped", "");
        self->quit();
      }
    },
    [d](service_status_atom) { return status_of(*d).SerializeAsString(); },
    [d](service_logs_atom, uint32_t n) {
      auto [lines, truncated] = d->log.tail(n);
      protocol::Response resp;
      resp.mutable_status()->set_code(protocol::STATUS_CODE_OK);
      auto* r = resp.mutable_service_reply();
      for (auto& l : lines)
        r->add_lines(std::move(l));
      r->set_truncated(truncated);
      return resp.SerializeAsString();
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h, [d] {
      return std::make_pair(health_state(*d),
                            d->state
                              + (d->detail.empty() ? "" : ": " + d->detail));
    }));
}

} // namespace pact::agent
