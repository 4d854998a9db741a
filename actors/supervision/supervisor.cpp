#include "actors/supervision/supervisor.hpp"

#include <deque>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/system_messages.hpp>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

namespace pact::supervision {

namespace {

using clock_time = caf::actor_clock::time_point;

struct child_slot {
  child_spec spec;
  caf::actor current;
  uint32_t restarts = 0;
};

struct sup_data {
  supervisor_spec spec;
  std::vector<child_slot> slots;
  /// Times of recent restarts (any child), oldest first.
  std::deque<clock_time> recent;
  bool stopping = false;
};

void start_child(caf::event_based_actor* self, sup_data& d, child_slot& c) {
  health_handle h{d.spec.self.registry, c.spec.name};
  c.current = c.spec.start(self, h);
  if (d.spec.self.registry)
    self->send(d.spec.self.registry, protocol::health_register_atom::value,
               c.spec.name, c.spec.kind, d.spec.self.name, c.current);
  self->monitor(c.current);
}

void stop_children(caf::event_based_actor* self, sup_data& d,
                   const caf::error& reason) {
  d.stopping = true;
  for (auto i = d.slots.rbegin(); i != d.slots.rend(); ++i)
    if (i->current)
      self->send_exit(i->current, reason);
}

bool should_restart(const child_slot& c, const caf::error& reason) {
  bool abnormal = reason && reason != caf::exit_reason::user_shutdown;
  switch (c.spec.restart) {
    case restart_type::permanent:
      return true;
    case restart_type::transient:
      return abnormal;
    case restart_type::temporary:
      return false;
  }
  return false;
}

/// Records a restart and returns false when the intensity is exceeded.
bool within_intensity(caf::event_based_actor* self, sup_data& d) {
  auto now = self->clock().now();
  auto horizon = now - d.spec.intensity.within;
  while (!d.recent.empty() && d.recent.front() <= horizon)
    d.recent.pop_front();
  if (d.recent.size() >= d.spec.intensity.max_restarts)
    return false;
  d.recent.push_back(now);
  return true;
}

void on_child_down(caf::event_based_actor* self, sup_data& d,
                   const caf::down_msg& dm) {
  for (auto& c : d.slots) {
    if (!c.current || c.current.address() != dm.source)
      continue;
    c.current = nullptr;
    if (d.stopping || !should_restart(c, dm.reason))
      return;
    if (!within_intensity(self, d)) {
      // Escalate: this supervisor cannot keep its children alive.
      stop_children(self, d, caf::exit_reason::user_shutdown);
      self->quit(supervision_escalated(c.spec.name,
                                       error_text(self->system(), dm.reason)));
      return;
    }
    ++c.restarts;
    if (d.spec.self.registry)
      self->send(d.spec.self.registry, protocol::health_restart_atom::value,
                 c.spec.name, c.restarts);
    start_child(self, d, c);
    return;
  }
}

} // namespace

caf::error supervision_escalated(const std::string& child,
                                 const std::string& last_reason) {
  return caf::make_error(caf::sec::runtime_error,
                         "restart intensity exceeded by " + child
                           + "; last failure: " + last_reason);
}

caf::behavior supervisor(caf::event_based_actor* self, supervisor_spec spec) {
  auto d = std::make_shared<sup_data>();
  d->spec = std::move(spec);
  for (auto& c : d->spec.children)
    d->slots.push_back(child_slot{c, nullptr, 0});
  self->set_down_handler(
    [self, d](caf::down_msg& dm) { on_child_down(self, *d, dm); });
  self->set_exit_handler([self, d](caf::exit_msg& em) {
    stop_children(self, *d, em.reason);
    self->quit(em.reason);
  });
  for (auto& c : d->slots)
    start_child(self, *d, c);
  auto state = [d] {
    size_t alive = 0;
    for (auto& c : d->slots)
      alive += c.current ? 1 : 0;
    auto st = alive == d->slots.size() ? protocol::ACTOR_STATE_RUNNING
                                       : protocol::ACTOR_STATE_DEGRADED;
    return std::make_pair(st, std::to_string(alive) + "/"
                                + std::to_string(d->slots.size())
                                + " children alive");
  };
  auto [st, detail] = state();
  report(self, d->spec.self, st, detail);
  start_heartbeat(self);
  return caf::message_handler{
    [d](protocol::child_atom, const std::string& name) -> caf::actor {
      for (auto& c : d->slots)
        if (c.spec.name == name)
          return c.current;
      return caf::actor{};
    },
    [d](protocol::children_atom) {
      std::vector<std::string> names;
      for (auto& c : d->slots)
        names.push_back(c.spec.name);
      return names;
    },
  }
    .or_else(heartbeat_behavior(self, d->spec.self, state));
}

child_spec nested_supervisor(std::string name, std::vector<child_spec> children,
                             restart_intensity intensity) {
  child_spec c;
  c.name = name;
  c.kind = "supervisor";
  c.start = [children = std::move(children),
             intensity](caf::event_based_actor* sup, const health_handle& h) {
    return sup->spawn(supervisor, supervisor_spec{h, children, intensity});
  };
  return c;
}

} // namespace pact::supervision
