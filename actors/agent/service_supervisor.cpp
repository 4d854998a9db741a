#include "actors/agent/service_supervisor.hpp"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/agent_metrics.hpp"
#include "actors/agent/link_command.hpp"
#include "actors/agent/service_actor.hpp"
#include "actors/agent/service_atoms.hpp"
#include "protocol/caf_types.hpp"
#include <pact/protocol/api.pb.h>
#include <pact/protocol/journal.pb.h>

namespace pact::agent {

namespace {

using namespace pact::protocol;

/// The newest log lines asked for by default, and at most.
constexpr uint32_t default_log_lines = 50;
constexpr uint32_t max_log_lines = 10'000;

struct running {
  node::service_spec spec;
  /// The backend that runs it.
  std::string backend;
  caf::actor actor;
  ServiceStatus status;
  /// When its current process started (status.uptime_seconds is as of the
  /// last change; answers count from here).
  std::chrono::steady_clock::time_point started{};
};

/// `r`'s status with its uptime as of now.
ServiceStatus fresh(const running& r) {
  auto s = r.status;
  if (s.pid() > 0)
    s.set_uptime_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - r.started)
                           .count());
  return s;
}

struct supervisor_data {
  supervision::health_handle h;
  service_supervisor_config cfg;
  /// Start order of the declared services that can start.
  std::vector<std::string> order;
  /// Declared services that cannot start, with the reason.
  std::map<std::string, std::string> blocked;
  std::map<std::string, running> services;
  /// Declared items that do not parse: name -> why.
  std::map<std::string, std::string> malformed;
  /// The overlay's supervisor_backend now ("pact" when it names none).
  std::string backend = "pact";
};

using shared = std::shared_ptr<supervisor_data>;
using self_ptr = caf::event_based_actor*;

/// Sends `cmd` to the journal link, which queues it while the journal is
/// away (never lost: its outbox is durable).
void record(self_ptr self, const shared& d, JournalCommand cmd) {
  cmd.set_kind(COMMAND_KIND_RECORD);
  cmd.set_record_type(ENTRY_TYPE_SERVICE_LIFECYCLE);
  cmd.mutable_scope()->set_node(d->cfg.node_id);
  if (d->cfg.wall)
    cmd.set_timestamp_unix_ms(d->cfg.wall->now_unix_ms());
  send_to_link(self, d->cfg.supervisor, d->cfg.journal_link_name,
               cmd.SerializeAsString(), "service-lifecycle entry");
}

void record_text(self_ptr self, const shared& d, const std::string& text) {
  JournalCommand cmd;
  cmd.set_message(text.substr(0, 4000));
  record(self, d, std::move(cmd));
}

bool dependencies_up(const shared& d, const node::service_spec& s) {
  for (const auto& dep : s.depends_on) {
    auto it = d->services.find(dep);
    if (it == d->services.end())
      return false;
    const auto& st = it->second.status.state();
    if (st != "running" && st != "exited")
      return false;
  }
  return true;
}

void spawn_service(self_ptr self, const shared& d,
                   const node::service_spec& spec) {
  service_actor_config c;
  c.spec = spec;
  c.root = d->cfg.root;
  c.limits = d->cfg.limits;
  c.stop_grace = d->cfg.stop_grace;
  c.supervisor = caf::actor_cast<caf::actor>(self);
  c.start = dependencies_up(d, spec);
  auto& r = d->services[spec.name];
  r.spec = spec;
  r.backend = d->backend;
  r.status.set_name(spec.name);
  r.status.set_state(c.start ? "starting" : "waiting");
  r.status.set_binary(spec.binary);
  r.status.set_restart(node::restart_name(spec.restart));
  if (!c.start)
    r.status.set_detail("waiting for " + [&] {
      std::string deps;
      for (const auto& x : spec.depends_on)
        deps += (deps.empty() ? "" : ", ") + x;
      return deps;
    }());
  r.actor = d->cfg.backends.at(d->backend)(
    self,
    supervision::health_handle{d->h.registry, "agent/services/" + spec.name},
    std::move(c));
  self->monitor(r.actor);
}

ServiceStatus blocked_status(const std::string& name, const std::string& why) {
  ServiceStatus s;
  s.set_name(name);
  s.set_state("failed");
  s.set_detail(why);
  return s;
}

/// Tells the drift watcher how every declared service is doing (a failing
/// one is drift, docs/drift.md).
void tell_drift_watcher(self_ptr self, const shared& d) {
  auto watcher = caf::actor_cast<caf::actor>(
    self->system().registry().get(drift_watcher_name));
  if (!watcher)
    return;
  ServiceReply all;
  for (const auto& [name, r] : d->services)
    *all.add_services() = r.status;
  for (const auto& [name, why] : d->blocked)
    *all.add_services() = blocked_status(name, why);
  for (const auto& [name, why] : d->malformed)
    *all.add_services() = blocked_status(name, why);
  self->send(watcher, service_states_atom::value, all.SerializeAsString());
}

/// Starts the waiting services whose dependencies are all up now.
void start_ready(self_ptr self, const shared& d) {
  for (const auto& name : d->order) {
    auto it = d->services.find(name);
    if (it == d->services.end() || it->second.status.state() != "waiting")
      continue;
    if (dependencies_up(d, it->second.spec)) {
      it->second.status.set_state("starting");
      self->send(it->second.actor, service_start_atom::value, uint64_t{0});
    }
  }
}

/// The backend the overlay names, "pact" when it names none. The journal
/// accepts only the names there are backends for; any other (a newer
/// journal's) is run by the agent, and said so.
std::string backend_for(const shared& d, const std::string& declared) {
  if (declared.empty())
    return "pact";
  if (!d->cfg.backends.count(declared)) {
    spdlog::error("services: supervisor_backend '{}' is not one this agent "
                  "has; the agent runs the services itself",
                  declared);
    return "pact";
  }
  return declared;
}

void declare(self_ptr self, const shared& d, const std::string& bytes,
             const std::string& declared_backend) {
  StateDelta items;
  if (!items.ParseFromString(bytes)) {
    spdlog::warn("services: dropped a malformed service list");
    return;
  }
  auto backend = backend_for(d, declared_backend);
  if (backend != d->backend)
    spdlog::info("services: supervisor backend {} (was {})", backend,
                 d->backend);
  d->backend = backend;
  std::vector<node::service_spec> specs;
  d->malformed.clear();
  for (const auto& i : items.items()) {
    if (i.action() == DELTA_ACTION_REMOVE)
      continue;
    auto s = node::parse_service(i.key(), i.value());
    if (!s) {
      spdlog::error("services: {}", s.err().message);
      d->malformed[i.key()] = s.err().message;
      continue;
    }
    specs.push_back(std::move(*s));
  }
  auto plan = node::plan_start(specs);
  std::map<std::string, const node::service_spec*> wanted;
  for (const auto& s : specs)
    if (!plan.blocked.count(s.name))
      wanted[s.name] = &s;
  // Stop, in the reverse of the old order, what is gone or changed.
  for (auto it = d->order.rbegin(); it != d->order.rend(); ++it) {
    auto r = d->services.find(*it);
    if (r == d->services.end())
      continue;
    auto w = wanted.find(*it);
    if (w != wanted.end() && w->second->declared == r->second.spec.declared
        && r->second.backend == d->backend)
      continue;
    spdlog::info("services: stopping {} ({})", *it,
                 w == wanted.end() ? "no longer declared"
                 : r->second.backend != d->backend
                   ? "supervisor backend changed"
                   : "declaration changed");
    self->demonitor(r->second.actor);
    self->send(r->second.actor, service_stop_atom::value);
    d->services.erase(r);
  }
  for (const auto& [name, why] : plan.blocked)
    if (!d->blocked.count(name)) { // newly blocked: logged and recorded once
      spdlog::error("services: {} cannot start: {}", name, why);
      record_text(self, d, "service " + name + ": failed: " + why);
    }
  d->order = plan.order;
  d->blocked = plan.blocked;
  for (const auto& name : d->order)
    if (!d->services.count(name))
      spawn_service(self, d, *wanted[name]);
  tell_drift_watcher(self, d);
}

std::string answer(Response resp) {
  if (!resp.has_status())
    resp.mutable_status()->set_code(STATUS_CODE_OK);
  return resp.SerializeAsString();
}

std::string refusal(StatusCode code, const std::string& message) {
  Response resp;
  resp.mutable_status()->set_code(code);
  resp.mutable_status()->set_message(message);
  return resp.SerializeAsString();
}

/// The service `name` as the API names it; null and `why` set when it is
/// not one this node supervises.
running* find(const shared& d, const std::string& name, std::string& why) {
  auto it = d->services.find(name);
  if (it != d->services.end())
    return &it->second;
  if (auto b = d->blocked.find(name); b != d->blocked.end())
    why = "service '" + name + "' cannot run: " + b->second;
  else if (auto m = d->malformed.find(name); m != d->malformed.end())
    why = m->second;
  else
    why = "service '" + name + "' is not declared on node " + d->cfg.node_id
          + " (pact service status lists the node's services)";
  return nullptr;
}

caf::result<std::string> status_call(const shared& d,
                                     const ServiceRequest& req) {
  Response resp;
  auto* out = resp.mutable_service_reply();
  out->set_node(d->cfg.node_id);
  if (!req.name().empty()) {
    std::string why;
    if (auto* r = find(d, req.name(), why))
      *out->add_services() = fresh(*r);
    else if (d->blocked.count(req.name()))
      *out->add_services() = blocked_status(req.name(),
                                            d->blocked.at(req.name()));
    else
      return refusal(STATUS_CODE_INVALID_ARGUMENT, why);
    return answer(std::move(resp));
  }
  for (const auto& name : d->order)
    if (auto it = d->services.find(name); it != d->services.end())
      *out->add_services() = fresh(it->second);
  for (const auto& [name, why] : d->blocked)
    *out->add_services() = blocked_status(name, why);
  for (const auto& [name, why] : d->malformed)
    *out->add_services() = blocked_status(name, why);
  return answer(std::move(resp));
}

caf::result<std::string> logs_call(self_ptr self, const shared& d,
                                   const ServiceRequest& req) {
  std::string why;
  auto* r = find(d, req.name(), why);
  if (r == nullptr)
    return refusal(STATUS_CODE_INVALID_ARGUMENT, why);
  auto n = req.lines() == 0 ? default_log_lines
                            : std::min(req.lines(), max_log_lines);
  auto rp = self->make_response_promise<std::string>();
  auto node = d->cfg.node_id;
  self->request(r->actor, std::chrono::seconds(5), service_logs_atom::value, n)
    .then(
      [rp, node](const std::string& bytes) mutable {
        Response resp;
        resp.ParseFromString(bytes);
        if (resp.status().code() == STATUS_CODE_OK)
          resp.mutable_service_reply()->set_node(node);
        rp.deliver(answer(std::move(resp)));
      },
      [rp, name = req.name()](caf::error&) mutable {
        rp.deliver(
          refusal(STATUS_CODE_UNAVAILABLE,
                  "service '" + name + "' did not answer; retry in a moment"));
      });
  return rp;
}

/// Restarts `r` once the node's commit window allows it: while the window
/// has expired with drift not committed, a restart is refused (the seed's
/// "Service restarts are subject to the commit window"; `pact extend`
/// opens it again).
caf::result<std::string> restart_call(self_ptr self, const shared& d,
                                      const ServiceRequest& req,
                                      const std::string& who) {
  std::string why;
  auto* r = find(d, req.name(), why);
  if (r == nullptr)
    return refusal(STATUS_CODE_INVALID_ARGUMENT, why);
  auto rp = self->make_response_promise<std::string>();
  auto name = req.name();
  auto actor = r->actor;
  auto node = d->cfg.node_id;
  auto restart = [self, d, rp, name, actor, node, who]() mutable {
    self->request(actor, std::chrono::seconds(30), service_restart_atom::value)
      .then(
        [self, d, rp, name, node, who](const std::string& st) mutable {
          Response resp;
          auto* out = resp.mutable_service_reply();
          out->set_node(node);
          out->add_services()->ParseFromString(st);
          record_text(self, d,
                      "service " + name + " restarted by " + who + ": "
                        + out->services(0).state()
                        + (out->services(0).detail().empty()
                             ? ""
                             : " (" + out->services(0).detail() + ")"));
          rp.deliver(answer(std::move(resp)));
        },
        [rp, name](caf::error&) mutable {
          rp.deliver(refusal(STATUS_CODE_UNAVAILABLE,
                             "service '" + name
                               + "' did not restart in time; see pact "
                                 "service status"));
        });
  };
  auto watcher = caf::actor_cast<caf::actor>(
    self->system().registry().get(drift_watcher_name));
  if (!watcher) {
    restart(); // no drift watcher: no window to honour
    return rp;
  }
  self->request(watcher, std::chrono::seconds(5), drift_atom::value)
    .then(
      [self, d, rp, restart, name, who](const std::string& bytes) mutable {
        DriftReply drift;
        drift.ParseFromString(bytes);
        if (drift.window_state() == DRIFT_WINDOW_STATE_EXPIRED) {
          record_text(self, d,
                      "restart of service " + name + " by " + who
                        + " refused: commit window expired");
          rp.deliver(refusal(STATUS_CODE_POLICY_REJECTED,
                             "commit window expired: the node's drift is "
                             "flagged for review and not committed; run "
                             "`pact extend` (or commit or roll back the "
                             "drift), then restart"));
          return;
        }
        restart();
      },
      [restart](caf::error&) mutable { restart(); });
  return rp;
}

/// Services by state for /metrics (agent_metrics.hpp); blocked and
/// malformed declarations count under those names.
void count_services(const supervisor_data& d) {
  std::map<std::string, size_t> by_state;
  for (const auto& [name, r] : d.services)
    ++by_state[r.status.state()];
  if (!d.blocked.empty())
    by_state["blocked"] = d.blocked.size();
  if (!d.malformed.empty())
    by_state["malformed"] = d.malformed.size();
  agent_metrics::get().services(by_state);
}

} // namespace

caf::behavior service_supervisor(caf::event_based_actor* self,
                                 supervision::health_handle h,
                                 service_supervisor_config cfg) {
  auto d = std::make_shared<supervisor_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  if (d->cfg.backends.empty())
    d->cfg.backends = default_backends(d->cfg.systemd);
  self->system().registry().put(service_supervisor_name,
                                caf::actor_cast<caf::strong_actor_ptr>(self));
  // A service actor that died without being told to stop (a crash of the
  // actor, not of its process): started again, as a supervisor does.
  self->set_down_handler([self, d](caf::down_msg& dm) {
    for (auto& [name, r] : d->services)
      if (r.actor.address() == dm.source) {
        spdlog::error("services: the actor of {} ended ({}); starting it "
                      "again",
                      name, supervision::error_text(self->system(), dm.reason));
        auto spec = r.spec;
        d->services.erase(name);
        spawn_service(self, d, spec);
        return;
      }
  });
  // Its service actors end with it (the agent shutting down, or this
  // supervisor restarted): each stops its process as it ends.
  self->attach_functor([d] {
    for (auto& [name, r] : d->services)
      caf::anon_send_exit(r.actor, caf::exit_reason::user_shutdown);
  });
  // Services the link handed over before this incarnation started.
  if (d->cfg.supervisor)
    self
      ->request(d->cfg.supervisor, std::chrono::seconds(5), child_atom::value,
                d->cfg.journal_link_name)
      .then(
        [self](const caf::actor& link) {
          if (link)
            self
              ->request(link, std::chrono::seconds(5),
                        declared_services_atom::value)
              .then(
                [self](const std::string& bytes, const std::string& backend) {
                  if (!bytes.empty())
                    self->send(self, declared_services_atom::value, bytes,
                               backend);
                },
                [](caf::error&) {});
        },
        [](caf::error&) {});
  supervision::report(self, d->h, ACTOR_STATE_RUNNING, "no services declared");
  supervision::start_heartbeat(self);
  auto state = [d] {
    // Each heartbeat recounts too: a declaration that removed services
    // sends no status.
    count_services(*d);
    size_t up = 0;
    for (const auto& [n, r] : d->services)
      if (r.status.state() == "running" || r.status.state() == "exited")
        ++up;
    auto total = d->services.size() + d->blocked.size() + d->malformed.size();
    auto detail = std::to_string(up) + "/" + std::to_string(total)
                  + " services up";
    return std::make_pair(
      up == total ? ACTOR_STATE_RUNNING : ACTOR_STATE_DEGRADED, detail);
  };
  return caf::message_handler{
    [self, d](declared_services_atom, const std::string& bytes,
              const std::string& backend) { declare(self, d, bytes, backend); },
    [self, d](service_status_atom, const std::string& name,
              const std::string& bytes) {
      auto it = d->services.find(name);
      if (it == d->services.end())
        return;
      ServiceStatus st;
      if (!st.ParseFromString(bytes))
        return;
      auto before = it->second.status.state();
      auto health_before = it->second.status.health();
      if (st.pid() > 0 && st.pid() != it->second.status.pid())
        it->second.started = std::chrono::steady_clock::now()
                             - std::chrono::seconds(st.uptime_seconds());
      it->second.status = st;
      agent_metrics::get().service_restarts(name, st.restarts());
      count_services(*d);
      // A crash is part of the node's story: one entry per crash (the
      // restart delay grows in a crash loop, which bounds them).
      if ((st.state() == "backoff" || st.state() == "failed")
          && before != st.state())
        record_text(self, d,
                    "service " + name + ": " + st.state() + ": " + st.detail());
      start_ready(self, d);
      if (before != st.state() || health_before != st.health())
        tell_drift_watcher(self, d);
    },
    [self, d](service_call_atom, const std::string& bytes,
              const std::string& who) -> caf::result<std::string> {
      ServiceRequest req;
      if (!req.ParseFromString(bytes))
        return refusal(STATUS_CODE_INVALID_ARGUMENT,
                       "malformed service request");
      switch (req.op()) {
        case ServiceRequest::OP_STATUS:
          return status_call(d, req);
        case ServiceRequest::OP_LOGS:
          return logs_call(self, d, req);
        case ServiceRequest::OP_RESTART:
          return restart_call(self, d, req, who);
        default:
          return refusal(STATUS_CODE_INVALID_ARGUMENT,
                         "service request without an operation");
      }
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h, state));
}

} // namespace pact::agent
