#include "actors/supervision/health_registry.hpp"

#include <map>
#include <set>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "actors/supervision/health.hpp"
#include "protocol/caf_types.hpp"

namespace pact::supervision {

namespace {

using namespace pact::protocol;

struct registry_state {
  registry_identity id;
  std::shared_ptr<const pact::clock> wall;
  /// Registration order, so a snapshot lists parents before children.
  std::vector<std::string> order;
  std::map<std::string, ActorHealth> rows;
  std::map<caf::actor_addr, std::string> by_addr;

  static inline const char* name = "pact.health-registry";

  ActorHealth* find(const std::string& n) {
    auto i = rows.find(n);
    return i == rows.end() ? nullptr : &i->second;
  }
};

using registry_actor = caf::stateful_actor<registry_state>;

/// Finds or creates the row for `name`; rows created by an early report
/// (the child's first report may overtake its registration) keep their
/// state.
ActorHealth& row_for(registry_state& st, const std::string& name, bool& fresh) {
  auto [it, inserted] = st.rows.try_emplace(name);
  fresh = inserted;
  if (inserted) {
    st.order.push_back(name);
    it->second.set_name(name);
    it->second.set_state(ACTOR_STATE_STARTING);
  }
  return it->second;
}

void on_register(registry_actor* self, const std::string& name,
                 const std::string& kind, const std::string& parent,
                 const caf::actor& who) {
  auto& st = self->state;
  bool fresh = false;
  auto& row = row_for(st, name, fresh);
  row.set_kind(kind);
  row.set_parent(parent);
  // A new incarnation that already reported itself up keeps that state;
  // otherwise it is starting.
  if (!fresh && row.state() != ACTOR_STATE_RUNNING
      && row.state() != ACTOR_STATE_DEGRADED)
    row.set_state(ACTOR_STATE_STARTING);
  row.set_last_activity_unix_ms(st.wall->now_unix_ms());
  if (who) {
    st.by_addr[who.address()] = name;
    self->monitor(who);
  }
}

void on_down(registry_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto i = st.by_addr.find(dm.source);
  if (i == st.by_addr.end())
    return;
  auto name = i->second;
  st.by_addr.erase(i);
  auto row = st.find(name);
  if (!row)
    return;
  bool normal = !dm.reason || dm.reason == caf::exit_reason::user_shutdown;
  row->set_state(normal ? ACTOR_STATE_STOPPED : ACTOR_STATE_FAILED);
  if (!normal)
    row->set_detail("terminated: " + error_text(self->system(), dm.reason));
  row->set_mailbox_depth(0);
  row->set_last_activity_unix_ms(st.wall->now_unix_ms());
}

/// Appends `name` and its descendants, depth first, in registration order.
void append_subtree(registry_state& st, const std::string& name,
                    HealthTree& tree, std::set<std::string>& done) {
  if (!done.insert(name).second)
    return;
  *tree.add_actors() = st.rows[name];
  for (auto& n : st.order)
    if (st.rows[n].parent() == name)
      append_subtree(st, n, tree, done);
}

std::string snapshot(registry_actor* self) {
  auto& st = self->state;
  HealthTree tree;
  tree.set_component(st.id.component);
  tree.set_node_id(st.id.node_id);
  tree.set_version(st.id.version);
  tree.set_taken_unix_ms(st.wall->now_unix_ms());
  std::set<std::string> done;
  for (auto& n : st.order) {
    auto& parent = st.rows[n].parent();
    if (parent.empty() || st.rows.count(parent) == 0)
      append_subtree(st, n, tree, done);
  }
  return tree.SerializeAsString();
}

caf::behavior registry(registry_actor* self, registry_identity id,
                       std::shared_ptr<const pact::clock> wall) {
  self->state.id = std::move(id);
  self->state.wall = std::move(wall);
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  return {
    [self](health_register_atom, const std::string& name,
           const std::string& kind, const std::string& parent,
           const caf::actor& who) {
      on_register(self, name, kind, parent, who);
    },
    [self](health_report_atom, const std::string& name, int32_t state,
           const std::string& detail, uint64_t depth) {
      if (!ActorState_IsValid(state))
        return;
      bool fresh = false;
      auto* row = &row_for(self->state, name, fresh);
      row->set_state(static_cast<ActorState>(state));
      row->set_detail(detail);
      row->set_mailbox_depth(depth);
      row->set_last_activity_unix_ms(self->state.wall->now_unix_ms());
    },
    [self](health_restart_atom, const std::string& name, uint32_t restarts) {
      auto row = self->state.find(name);
      if (!row)
        return;
      row->set_restarts(restarts);
      row->set_state(ACTOR_STATE_RESTARTING);
      row->set_last_activity_unix_ms(self->state.wall->now_unix_ms());
    },
    [self](health_snapshot_atom) { return snapshot(self); },
  };
}

} // namespace

caf::actor spawn_health_registry(caf::actor_system& sys, registry_identity id,
                                 std::shared_ptr<const pact::clock> wall) {
  return sys.spawn(registry, std::move(id), std::move(wall));
}

} // namespace pact::supervision
