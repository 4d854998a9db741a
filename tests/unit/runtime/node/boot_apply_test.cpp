// boot_apply: the node's effective items (overlay + node delta) and their
// application in order through the backends, under a temporary root.

#include "runtime/node/boot_apply.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/runtime/node/boot_test_util.hpp"

using namespace pact::node;
using namespace pact::protocol;
using pact::node::test::temp_root;

namespace {

DeltaItem item(DeltaCategory c, DeltaAction a, const std::string& key,
               const std::string& value) {
  DeltaItem i;
  i.set_category(c);
  i.set_action(a);
  i.set_key(key);
  i.set_value(value);
  return i;
}

VClusterOverlay overlay() {
  VClusterOverlay o;
  o.set_vcluster("ml");
  o.set_version(3);
  *o.add_items() = item(DELTA_CATEGORY_FILES, DELTA_ACTION_ADD, "/etc/motd",
                        R"({"content":"ml\n","mode":"0644"})");
  *o.add_items() = item(DELTA_CATEGORY_SERVICES, DELTA_ACTION_ADD, "dcgm",
                        R"({"binary":"/usr/bin/dcgm"})");
  *o.add_items() = item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD,
                        "vm.swappiness", "10");
  *o.add_items() = item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD,
                        "vm.nr_hugepages", "0");
  *o.add_items() = item(DELTA_CATEGORY_MOUNTS, DELTA_ACTION_ADD, "/scratch",
                        R"({"read_only":false,"source":"s:/x","type":"nfs"})");
  return o;
}

} // namespace

TEST_CASE("the node delta overrides, adds and removes overlay items") {
  NodeDelta d;
  *d.add_items() = item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY,
                        "vm.swappiness", "60");
  *d.add_items() = item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_REMOVE,
                        "vm.nr_hugepages", "");
  *d.add_items() = item(DELTA_CATEGORY_NETWORK, DELTA_ACTION_ADD, "mtu",
                        "9000");
  d.mutable_items(0)->set_previous("10");
  auto items = effective_items(overlay(), d);
  REQUIRE(items.size() == 5);
  std::map<std::string, std::string> by_key;
  for (const auto& i : items) {
    CHECK(i.action() == DELTA_ACTION_ADD);
    CHECK(i.previous().empty());
    by_key[i.key()] = i.value();
  }
  CHECK(by_key["vm.swappiness"] == "60");
  CHECK(by_key.count("vm.nr_hugepages") == 0);
  CHECK(by_key["mtu"] == "9000");
}

TEST_CASE("apply_items applies in order, hands services off and reports "
          "every item") {
  temp_root r;
  host_settings h;
  h.root = r.path;
  h.run = [](const std::vector<std::string>&) -> pact::status { return {}; };
  auto backends = make_backends(h);
  auto items = effective_items(overlay(), NodeDelta{});
  auto rep = apply_items(items, backends);
  CHECK(r.read("/proc/sys/vm/swappiness") == "10\n");
  CHECK(r.read("/etc/motd") == "ml\n");
  REQUIRE(rep.services.size() == 1);
  CHECK(rep.services[0].key() == "dcgm");
  CHECK(rep.applied == 3);
  CHECK(rep.recorded == 1); // the mount
  CHECK(rep.handed_off == 1);
  CHECK(rep.failed == 0);
  CHECK(rep.summary() == "3 applied, 1 recorded, 1 handed off, 0 failed");
  // Kernel first, then mounts, files; services last.
  std::vector<std::string> order;
  for (const auto& i : rep.items)
    order.push_back(i.item.key());
  CHECK(order
        == std::vector<std::string>{"vm.nr_hugepages", "vm.swappiness",
                                    "/scratch", "/etc/motd", "dcgm"});
  auto j = nlohmann::json::parse(report_json(rep, "journal", "ml", 3));
  CHECK(j["source"] == "journal");
  CHECK(j["overlay_version"] == 3);
  CHECK(j["items"][2]["outcome"] == "recorded");
  CHECK(j["items"][2]["detail"]
        == "would mount nfs s:/x on /scratch "
           "read-write");
}

TEST_CASE("a failing item does not stop the others") {
  temp_root r;
  host_settings h;
  h.root = r.path;
  h.run = [](const std::vector<std::string>&) -> pact::status { return {}; };
  auto backends = make_backends(h);
  std::vector<DeltaItem> items{
    item(DELTA_CATEGORY_FILES, DELTA_ACTION_ADD, "relative/path", "{}"),
    item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "kernel.x", "1"),
    item(DELTA_CATEGORY_GPU, DELTA_ACTION_ADD, "mig", "true")};
  auto rep = apply_items(items, backends);
  CHECK(rep.failed == 1);
  CHECK(rep.applied == 1);
  CHECK(rep.handed_off == 1); // no GPU backend here
  CHECK(r.read("/proc/sys/kernel/x") == "1\n");
}

TEST_CASE("a running node applies only what its declared state changed") {
  std::vector<DeltaItem> before
    = {item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.a", "1"),
       item(DELTA_CATEGORY_FILES, DELTA_ACTION_ADD, "/etc/motd", "hi\n"),
       item(DELTA_CATEGORY_FILES, DELTA_ACTION_ADD, "/etc/gone", "x\n")};
  std::vector<DeltaItem> after
    = {item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.a", "2"),
       item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.b", "1"),
       item(DELTA_CATEGORY_FILES, DELTA_ACTION_ADD, "/etc/motd", "hi\n")};
  auto todo = changed_items(before, after);
  REQUIRE(todo.size() == 2); // not /etc/motd: a drifted copy stays as it is
  CHECK(todo[0].key() == "vm.a");
  CHECK(todo[0].value() == "2");
  CHECK(todo[1].key() == "vm.b");
  CHECK(changed_items(after, after).empty());
  // The same key in another dimension is another item.
  auto other = changed_items(
    before, {item(DELTA_CATEGORY_PACKAGES, DELTA_ACTION_ADD, "vm.a", "1")});
  CHECK(other.size() == 1);
}

TEST_CASE("a running node writes every network setting again when one "
          "changes or goes (they share one file)") {
  std::vector<DeltaItem> before
    = {item(DELTA_CATEGORY_NETWORK, DELTA_ACTION_ADD, "mtu", "9000"),
       item(DELTA_CATEGORY_NETWORK, DELTA_ACTION_ADD, "bond0", "{}"),
       item(DELTA_CATEGORY_NETWORK, DELTA_ACTION_ADD, "dns", "[]")};
  auto changed = before;
  changed[0].set_value("1500");
  auto todo = changed_items(before, changed);
  REQUIRE(todo.size() == 3);
  CHECK(todo[0].key() == "mtu");
  CHECK(todo[0].value() == "1500");
  std::vector<DeltaItem> dropped{before[0], before[1]};
  CHECK(changed_items(before, dropped).size() == 2);
  CHECK(changed_items(before, before).empty());
}
