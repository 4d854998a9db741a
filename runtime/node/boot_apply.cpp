#include "runtime/node/boot_apply.hpp"

#include <map>

#include <algorithm>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

namespace pact::node {

using namespace pact::protocol;

namespace {

using item_key = std::pair<int, std::string>;

void count(boot_report& r, apply_outcome::kind k) {
  switch (k) {
    case apply_outcome::kind::applied:
      ++r.applied;
      break;
    case apply_outcome::kind::recorded:
      ++r.recorded;
      break;
    case apply_outcome::kind::handed_off:
      ++r.handed_off;
      break;
    case apply_outcome::kind::failed:
      ++r.failed;
      break;
  }
}

} // namespace

std::vector<DeltaItem> effective_items(const VClusterOverlay& overlay,
                                       const NodeDelta& delta) {
  std::map<item_key, DeltaItem> items;
  for (const auto& i : overlay.items())
    items[{i.category(), i.key()}] = i;
  for (const auto& i : delta.items()) {
    item_key k{i.category(), i.key()};
    if (i.action() == DELTA_ACTION_REMOVE) {
      items.erase(k);
      continue;
    }
    items[k] = i;
  }
  std::vector<DeltaItem> out;
  for (auto& [k, i] : items) {
    i.set_action(DELTA_ACTION_ADD);
    i.clear_previous();
    out.push_back(std::move(i));
  }
  return out;
}

std::string category_name(DeltaCategory c) {
  switch (c) {
    case DELTA_CATEGORY_MOUNTS:
      return "mounts";
    case DELTA_CATEGORY_FILES:
      return "files";
    case DELTA_CATEGORY_NETWORK:
      return "network";
    case DELTA_CATEGORY_SERVICES:
      return "services";
    case DELTA_CATEGORY_KERNEL:
      return "kernel";
    case DELTA_CATEGORY_PACKAGES:
      return "packages";
    case DELTA_CATEGORY_GPU:
      return "gpu";
    default:
      return "unspecified";
  }
}

std::string boot_report::summary() const {
  return std::to_string(applied) + " applied, " + std::to_string(recorded)
         + " recorded, " + std::to_string(handed_off) + " handed off, "
         + std::to_string(failed) + " failed";
}

int apply_rank(DeltaCategory c) {
  switch (c) {
    case DELTA_CATEGORY_KERNEL:
      return 0;
    case DELTA_CATEGORY_MOUNTS:
      return 1;
    case DELTA_CATEGORY_FILES:
      return 2;
    case DELTA_CATEGORY_NETWORK:
      return 3;
    case DELTA_CATEGORY_PACKAGES:
      return 4;
    default:
      return 5;
  }
}

boot_report apply_items(const std::vector<DeltaItem>& items,
                        backend_map& backends) {
  auto ordered = items;
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const DeltaItem& a, const DeltaItem& b) {
                     return apply_rank(a.category()) < apply_rank(b.category());
                   });
  boot_report r;
  std::set<DeltaCategory> used;
  for (const auto& i : ordered) {
    apply_outcome o;
    if (i.category() == DELTA_CATEGORY_SERVICES) {
      r.services.push_back(i);
      o = {apply_outcome::kind::handed_off, "to the service supervisor"};
    } else if (auto it = backends.find(i.category()); it != backends.end()) {
      o = it->second->apply(i.key(), i.value());
      used.insert(i.category());
    } else {
      o = {apply_outcome::kind::handed_off,
           "no " + category_name(i.category()) + " backend in this agent"};
    }
    count(r, o.k);
    r.items.push_back({i, std::move(o)});
  }
  // Backends that gather their items (network) act once, at the end.
  for (auto c : used) {
    auto o = backends[c]->finish();
    if (o.k == apply_outcome::kind::failed) {
      DeltaItem whole;
      whole.set_category(c);
      whole.set_key("(all " + category_name(c) + " items)");
      count(r, o.k);
      r.items.push_back({whole, std::move(o)});
    }
  }
  return r;
}

std::string report_json(const boot_report& r, const std::string& source,
                        const std::string& vcluster, uint64_t version) {
  nlohmann::json j;
  j["source"] = source;
  j["vcluster"] = vcluster;
  j["overlay_version"] = version;
  j["summary"] = r.summary();
  j["items"] = nlohmann::json::array();
  for (const auto& i : r.items)
    j["items"].push_back({{"category", category_name(i.item.category())},
                          {"key", i.item.key()},
                          {"outcome", to_string(i.outcome.k)},
                          {"detail", i.outcome.detail}});
  return j.dump(2) + "\n";
}

std::vector<protocol::DeltaItem>
changed_items(const std::vector<protocol::DeltaItem>& before,
              const std::vector<protocol::DeltaItem>& after) {
  std::map<std::pair<int, std::string>, const std::string*> old;
  for (const auto& i : before)
    old[{i.category(), i.key()}] = &i.value();
  // One file holds every network setting (apply_backends.hpp): when any of
  // them changes or goes, all that remain are written again.
  size_t network_after = 0;
  bool network_changed = false;
  std::vector<protocol::DeltaItem> out;
  for (const auto& i : after) {
    auto it = old.find({i.category(), i.key()});
    bool changed = it == old.end() || *it->second != i.value();
    bool network = i.category() == DELTA_CATEGORY_NETWORK;
    network_after += network;
    network_changed |= network && changed;
    if (changed && !network)
      out.push_back(i);
  }
  size_t network_before = std::count_if(
    before.begin(), before.end(), [](const protocol::DeltaItem& i) {
      return i.category() == DELTA_CATEGORY_NETWORK;
    });
  if (network_changed || network_before != network_after)
    for (const auto& i : after)
      if (i.category() == DELTA_CATEGORY_NETWORK)
        out.push_back(i);
  return out;
}

} // namespace pact::node
