#include "runtime/node/restore_core.hpp"

#include <algorithm>

#include "runtime/node/boot_apply.hpp"

namespace pact::node {

namespace {

using namespace pact::protocol;
using kind = apply_outcome::kind;

apply_outcome failed(std::string why) {
  return {kind::failed, std::move(why)};
}

bool file_removal(const restore_step& s) {
  return s.id.first == DELTA_CATEGORY_FILES && !s.target.present;
}

item_backend* backend_of(backend_map& backends, int cat) {
  auto it = backends.find(static_cast<DeltaCategory>(cat));
  return it == backends.end() ? nullptr : it->second.get();
}

/// The declared value when there is one, else what the agent kept.
const std::string& value_of(const restore_step& s) {
  return s.target_raw.empty() ? s.target.value : s.target_raw;
}

apply_outcome restore_file(const restore_step& s, item_backend* files) {
  if (files == nullptr)
    return failed("no file backend");
  const auto& key = s.id.second;
  if (!s.target.present)
    return files->remove(key);
  if (!s.target_raw.empty())
    return files->apply(key, s.target_raw);
  if (s.target.value.rfind(sha256_prefix, 0) == 0)
    return failed("held only as a hash (larger than the baseline's content "
                  "cap); restore it by hand");
  return files->restore(key, s.target.value);
}

apply_outcome restore_kernel(const restore_step& s, item_backend* sysctl) {
  if (s.id.second.rfind(module_prefix, 0) == 0)
    return failed("the agent does not load or unload kernel modules; use "
                  "modprobe");
  if (!s.target.present)
    return failed("a kernel parameter cannot be unset");
  if (sysctl == nullptr)
    return failed("no kernel backend");
  return sysctl->restore(s.id.second, value_of(s));
}

apply_outcome restore_mount(const restore_step& s, const restore_rules& rules,
                            item_backend* mounts) {
  if (!s.target.present && !rules.unmount_extra)
    return failed("an extra mount is not unmounted (it may be in use); "
                  "unmount it by hand");
  if (mounts == nullptr)
    return failed("no mount backend");
  if (!s.target.present)
    return mounts->remove(s.id.second);
  return mounts->apply(s.id.second, value_of(s));
}

apply_outcome restore_package(const restore_step& s, item_backend* packages) {
  if (!s.target.present)
    return failed("pact does not uninstall packages; remove " + s.id.second
                  + " by hand if it should go");
  if (packages == nullptr)
    return failed("no package backend");
  return packages->apply(s.id.second, value_of(s));
}

/// One file holds every network setting: it is written again from all of
/// the target state's network items, whichever of them changed.
apply_outcome rewrite_network(const declared_values& declared,
                              item_backend* network) {
  if (network == nullptr)
    return failed("no network backend");
  for (const auto& [id, raw] : declared)
    if (id.first == DELTA_CATEGORY_NETWORK)
      if (auto o = network->apply(id.second, raw); o.k == kind::failed)
        return o;
  return network->finish();
}

} // namespace

declared_values index_declared(const std::vector<protocol::DeltaItem>& items) {
  declared_values out;
  for (const auto& i : items)
    out[{i.category(), i.key()}] = i.value();
  return out;
}

protocol::StateDelta declared_services(const declared_values& declared) {
  protocol::StateDelta out;
  for (const auto& [id, raw] : declared)
    if (id.first == DELTA_CATEGORY_SERVICES) {
      auto* i = out.add_items();
      i->set_category(DELTA_CATEGORY_SERVICES);
      i->set_action(DELTA_ACTION_ADD);
      i->set_key(id.second);
      i->set_value(raw);
    }
  return out;
}

bool touches_services(const std::vector<step_result>& done) {
  return std::any_of(done.begin(), done.end(), [](const step_result& r) {
    return r.step.id.first == DELTA_CATEGORY_SERVICES;
  });
}

void order_steps(std::vector<restore_step>& plan) {
  std::stable_sort(
    plan.begin(), plan.end(), [](const restore_step& a, const restore_step& b) {
      int ra = apply_rank(static_cast<DeltaCategory>(a.id.first)) * 2
               + (file_removal(a) ? 0 : 1);
      int rb = apply_rank(static_cast<DeltaCategory>(b.id.first)) * 2
               + (file_removal(b) ? 0 : 1);
      if (ra != rb)
        return ra < rb;
      // Removals deepest first: a path sorts after its
      // directory.
      return file_removal(a) && a.id.second > b.id.second;
    });
}

std::vector<step_result>
execute_steps(std::vector<restore_step> plan, const declared_values& declared,
              const restore_rules& rules, backend_map& backends) {
  order_steps(plan);
  apply_outcome network;
  if (std::any_of(plan.begin(), plan.end(), [](const restore_step& s) {
        return s.id.first == DELTA_CATEGORY_NETWORK;
      }))
    network = rewrite_network(declared,
                              backend_of(backends, DELTA_CATEGORY_NETWORK));
  std::vector<step_result> out;
  out.reserve(plan.size());
  for (auto& s : plan) {
    auto* b = backend_of(backends, s.id.first);
    apply_outcome o;
    switch (s.id.first) {
      case DELTA_CATEGORY_FILES:
        o = restore_file(s, b);
        break;
      case DELTA_CATEGORY_KERNEL:
        o = restore_kernel(s, b);
        break;
      case DELTA_CATEGORY_MOUNTS:
        o = restore_mount(s, rules, b);
        break;
      case DELTA_CATEGORY_PACKAGES:
        o = restore_package(s, b);
        break;
      case DELTA_CATEGORY_NETWORK:
        o = network;
        break;
      case DELTA_CATEGORY_SERVICES:
        o = {kind::handed_off, "to the service supervisor"};
        break;
      default:
        o = {kind::handed_off, "to the GPU poller"};
    }
    out.push_back({std::move(s), std::move(o)});
  }
  return out;
}

protocol::DeltaItem restored_item(const item_id& id, const item_value& before,
                                  const item_value& after) {
  // The reverse of the drift: what was there is now the previous value.
  return to_delta_item({id, before, after, false, 0});
}

protocol::StateDelta restored_delta(const std::vector<step_result>& r) {
  protocol::StateDelta delta;
  for (const auto& c : r)
    if (c.restored())
      *delta.add_items() = restored_item(c.step.id, c.step.actual,
                                         c.step.target);
  return delta;
}

} // namespace pact::node
