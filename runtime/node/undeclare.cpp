#include "runtime/node/undeclare.hpp"

#include <set>

#include "runtime/node/converge.hpp"
#include "runtime/node/file_baseline.hpp"
#include "runtime/node/scanners.hpp"

namespace pact::node {

using namespace pact::protocol;

observed_items read_before(const std::string& root,
                           const std::vector<DeltaItem>& items,
                           size_t max_file_bytes) {
  observed_items out;
  std::vector<std::string> sysctl;
  for (const auto& i : items)
    if (i.category() == DELTA_CATEGORY_FILES) {
      // Where the write will land (root_fs.hpp), a symlinked directory
      // on the way included.
      if (auto v = read_node_file(root, i.key(), max_file_bytes))
        out[{i.category(), i.key()}] = v->value;
    } else if (i.category() == DELTA_CATEGORY_KERNEL
               && i.key().rfind(module_prefix, 0) != 0) {
      sysctl.push_back(i.key());
    }
  for (auto& [id, v] : scan_sysctl(root, sysctl))
    out[id] = std::move(v);
  return out;
}

void remember_before(StateDelta& before, const std::string& root,
                     const std::vector<DeltaItem>& todo,
                     const std::vector<DeltaItem>& declared,
                     size_t max_file_bytes) {
  std::set<item_id> known;
  for (const auto& i : declared)
    known.insert({i.category(), i.key()});
  for (const auto& i : before.items())
    known.insert({i.category(), i.key()});
  std::vector<DeltaItem> first;
  for (const auto& i : todo)
    if (!known.count({i.category(), i.key()}))
      first.push_back(i);
  auto read = before_delta(read_before(root, first, max_file_bytes));
  for (auto& i : *read.mutable_items())
    *before.add_items() = std::move(i);
}

StateDelta before_delta(const observed_items& before) {
  StateDelta d;
  for (const auto& [id, v] : before) {
    auto* i = d.add_items();
    i->set_category(static_cast<DeltaCategory>(id.first));
    i->set_key(id.second);
    i->set_action(v.present ? DELTA_ACTION_ADD : DELTA_ACTION_REMOVE);
    i->set_value(v.value);
  }
  return d;
}

observed_items before_items(const StateDelta& delta) {
  observed_items out;
  for (const auto& i : delta.items())
    out[{i.category(), i.key()}] = i.action() == DELTA_ACTION_REMOVE
                                     ? item_value::absent()
                                     : item_value::of(i.value());
  return out;
}

std::vector<restore_step> plan_dropped(const drift_state& s,
                                       const declared_state& next) {
  std::vector<restore_step> plan;
  for (const auto& [id, declared] : s.declared().items) {
    if (next.find(id) || s.find(id) != nullptr)
      continue; // still declared, or drifting: the drift rules decide
    auto earlier = s.baseline(id);
    if (!earlier
        || same_value(static_cast<category>(id.first), *earlier, declared))
      continue;
    plan.push_back({id, declared, *earlier, {}});
  }
  order_steps(plan);
  return plan;
}

std::vector<restore_step> plan_declared_absent(const drift_state& s,
                                               const declared_state& next) {
  std::vector<restore_step> plan;
  for (const auto& [id, declared] : s.declared().items) {
    if (id.first != DELTA_CATEGORY_FILES || !declared.present
        || s.find(id) != nullptr)
      continue; // only a file that is there as declared until now
    auto after = next.find(id);
    if (!after || after->present)
      continue;
    plan.push_back({id, declared, item_value::absent(), {}});
  }
  order_steps(plan);
  return plan;
}

namespace {

/// Executes `plan` and records it as one AUTO_CONVERGE command saying
/// `what` was done.
void execute_recorded(std::vector<restore_step> plan,
                      const declared_state& next, const std::string& node,
                      backend_map& backends, const char* what,
                      window_actions& out) {
  if (plan.empty())
    return;
  auto done = execute_steps(std::move(plan), next.raw, {false}, backends);
  std::vector<converge_result> named;
  for (const auto& r : done) {
    named.push_back({{r.step.id, r.step.target, r.step.actual, false, 0},
                     r.restored(),
                     r.outcome.detail});
    out.touched.push_back(r.step.id);
    out.loud |= !r.restored();
  }
  JournalCommand c;
  c.set_kind(COMMAND_KIND_AUTO_CONVERGE);
  c.set_declared_change(true);
  c.mutable_scope()->set_node(node);
  *c.mutable_state_delta() = restored_delta(done);
  c.set_message(converge_message(what, named));
  out.log.push_back(c.message());
  out.commands.push_back(std::move(c));
}

} // namespace

window_actions undeclare(const drift_state& s, const declared_state& next,
                         const std::string& node, backend_map& backends) {
  window_actions out;
  execute_recorded(plan_dropped(s, next), next, node, backends,
                   "put back what the node held before these items were "
                   "declared",
                   out);
  execute_recorded(plan_declared_absent(s, next), next, node, backends,
                   "removed the files the node delta now declares absent", out);
  return out;
}

window_actions undeclare(const drift_state& s, const VClusterOverlay& overlay,
                         const NodeDelta& delta, const std::string& node,
                         backend_map& backends) {
  auto next = declared_state::from(overlay, delta);
  if (!next || !s.declared_known())
    return {};
  return undeclare(s, *next, node, backends);
}

} // namespace pact::node
