// Items the declared state stops declaring (runtime/node/undeclare.hpp): what
// they held before the boot applied them is read first, and they go back to
// it — a file pact created goes away — unless they drift.

#include <filesystem>

#include <doctest/doctest.h>

#include "runtime/node/undeclare.hpp"
#include "tests/unit/runtime/node/operator_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using pact::test::files;
using pact::test::kernel;
using pact::test::t0;
constexpr auto item = pact::test::delta_item;
using pact::test::temp_root;

namespace {

declared_state declared_of(const protocol::VClusterOverlay& o) {
  auto s = declared_state::from(o, {});
  REQUIRE(s);
  return *s;
}

/// The image holds /etc/motd "image\n" and vm.swappiness 60; the overlay
/// declares /etc/motd, /etc/new.conf and vm.swappiness = 10; the boot reads
/// what they held, applies them, then the drift state takes its baseline.
struct booted {
  temp_root r;
  drift_state s{pact::test::small_cap_settings(r)};
  protocol::VClusterOverlay overlay;
  backend_map backends;
  booted() {
    r.write("/etc/motd", "image\n");
    r.write("/proc/sys/vm/swappiness", "60\n");
    *overlay.add_items() = item(files, "/etc/motd",
                                R"({"content":"declared\n","mode":"0644"})");
    *overlay.add_items() = item(files, "/etc/new.conf",
                                R"({"content":"new\n","mode":"0644"})");
    *overlay.add_items() = item(kernel, "vm.swappiness", "10");
    host_settings h;
    h.root = r.path();
    backends = make_backends(h);
    auto items = effective_items(overlay, {});
    auto before = read_before(r.path(), items, 64);
    REQUIRE(before.size() == 3);
    CHECK_FALSE(before.at({files, "/etc/new.conf"}).present);
    CHECK(before.at({kernel, "vm.swappiness"}).value == "60");
    // Through the message between the journal link and the watcher.
    auto back = before_items(before_delta(before));
    CHECK(back == before);
    REQUIRE(apply_items(items, backends).failed == 0);
    for (const char* p : {"/etc/motd", "/etc/new.conf"})
      REQUIRE(s.observe_file(p, t0));
    s.mark_baseline_taken();
    REQUIRE(s.set_declared(overlay, {}, t0));
    s.note_undeclared(back);
    s.observe_source(drift_source::sysctl,
                     scan_sysctl(r.path(), {"vm.swappiness"}), t0);
    REQUIRE(s.items().empty());
  }
};

} // namespace

TEST_CASE("items the declared state drops go back to what they held before "
          "the boot") {
  booted b;
  auto next = declared_of({});
  auto plan = plan_dropped(b.s, next);
  REQUIRE(plan.size() == 3);
  auto out = undeclare(b.s, next, "n1", b.backends);
  REQUIRE(out.commands.size() == 1);
  const auto& c = out.commands[0];
  CHECK(c.kind() == protocol::COMMAND_KIND_AUTO_CONVERGE);
  CHECK(c.declared_change()); // the node's state stays (a tester's F5)
  CHECK(c.scope().node() == "n1");
  CHECK(c.message().rfind("put back what the node held before these items "
                          "were declared: restored 3 item(s)",
                          0)
        == 0);
  CHECK(c.state_delta().items_size() == 3);
  CHECK(out.touched.size() == 3);
  CHECK_FALSE(out.loud);
  CHECK(pact::test::read_node_file(b.r, "/etc/motd") == "image\n");
  CHECK_FALSE(std::filesystem::exists(b.r.host("/etc/new.conf")));
  CHECK(pact::test::read_node_file(b.r, "/proc/sys/vm/swappiness") == "60\n");

  // The drift state agrees once it looks again.
  REQUIRE(b.s.set_declared({}, {}, t0));
  for (const char* p : {"/etc/motd", "/etc/new.conf"})
    REQUIRE(b.s.observe_file(p, t0 + 1));
  b.s.observe_source(drift_source::sysctl,
                     scan_sysctl(b.r.path(), {"vm.swappiness"}), t0 + 1);
  CHECK(b.s.items().empty());
}

TEST_CASE("a dropped item that drifts, or that is still declared, is left "
          "alone") {
  booted b;
  b.r.write("/etc/motd", "edited by hand\n");
  REQUIRE(b.s.observe_file("/etc/motd", t0 + 1));
  protocol::VClusterOverlay keep_new;
  *keep_new.add_items() = b.overlay.items(1); // /etc/new.conf
  auto plan = plan_dropped(b.s, declared_of(keep_new));
  // /etc/motd drifts (nobody committed the edit): the drift rules decide.
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].id == item_id{kernel, "vm.swappiness"});
  // Nothing dropped: nothing to do, nothing recorded.
  auto none = undeclare(b.s, declared_of(b.overlay), "n1", b.backends);
  CHECK(none.commands.empty());
  CHECK(none.touched.empty());
}

TEST_CASE("an item declared after the agent started goes back to its "
          "baseline") {
  temp_root r;
  drift_state s{pact::test::small_cap_settings(r)};
  r.write("/etc/app.conf", "local\n");
  REQUIRE(s.observe_file("/etc/app.conf", t0));
  s.mark_baseline_taken();
  REQUIRE(s.set_declared({}, {}, t0));
  protocol::VClusterOverlay o;
  *o.add_items() = item(files, "/etc/app.conf",
                        R"({"content":"managed\n","mode":"0600"})");
  r.write("/etc/app.conf", "managed\n"); // the journal link applied it
  REQUIRE(s.set_declared(o, {}, t0));
  REQUIRE(s.observe_file("/etc/app.conf", t0 + 1));
  REQUIRE(s.items().empty());
  host_settings h;
  h.root = r.path();
  auto backends = make_backends(h);
  auto out = undeclare(s, declared_of({}), "n1", backends);
  REQUIRE(out.commands.size() == 1);
  CHECK(pact::test::read_node_file(r, "/etc/app.conf") == "local\n");
}

namespace {

/// A node delta declaring `keys` absent (`pact commit --unset`).
protocol::NodeDelta unsets(
  std::initializer_list<std::pair<protocol::DeltaCategory, const char*>> keys) {
  protocol::NodeDelta d;
  for (auto [c, k] : keys) {
    auto i = item(c, k, "");
    i.set_action(protocol::DELTA_ACTION_REMOVE);
    *d.add_items() = i;
  }
  return d;
}

} // namespace

TEST_CASE("a file a node delta now declares absent is removed at once") {
  // Issue 11, a tester's finding (F4): `pact commit --unset files:/etc/x
  // NODE` left the file in place, shown as drift ("added") and removed only
  // when a window expired under enforce; a new declaration is applied at
  // once, and "absent" is one.
  booted b;
  auto delta = unsets({{files, "/etc/new.conf"}, {kernel, "vm.swappiness"}});
  auto next = declared_state::from(b.overlay, delta);
  REQUIRE(next);
  auto plan = plan_declared_absent(b.s, *next);
  REQUIRE(plan.size() == 1); // a sysctl key cannot be made absent
  CHECK(plan[0].id == item_id{files, "/etc/new.conf"});
  auto out = undeclare(b.s, b.overlay, delta, "n1", b.backends);
  REQUIRE(out.commands.size() == 1);
  CHECK(out.commands[0].declared_change());
  CHECK(out.commands[0].message().rfind("removed the files the node delta "
                                        "now declares absent",
                                        0)
        == 0);
  CHECK_FALSE(std::filesystem::exists(b.r.host("/etc/new.conf")));
  CHECK(pact::test::read_node_file(b.r, "/etc/motd") == "declared\n");
  CHECK(pact::test::read_node_file(b.r, "/proc/sys/vm/swappiness") == "10\n");
  // The drift state agrees: declared absent, and absent.
  REQUIRE(b.s.set_declared(b.overlay, delta, t0));
  REQUIRE(b.s.observe_file("/etc/new.conf", t0 + 1));
  CHECK(b.s.find({files, "/etc/new.conf"}) == nullptr);
}

TEST_CASE("a file declared absent that drifts, or is already absent, is "
          "left to the drift rules") {
  booted b;
  b.r.write("/etc/new.conf", "edited by hand\n");
  REQUIRE(b.s.observe_file("/etc/new.conf", t0 + 1));
  auto next = declared_state::from(b.overlay,
                                   unsets({{files, "/etc/new.conf"}}));
  REQUIRE(next);
  CHECK(plan_declared_absent(b.s, *next).empty());
  // Declared absent already: nothing moves.
  booted c;
  auto gone = unsets({{files, "/etc/motd"}});
  auto twice = declared_state::from(c.overlay, gone);
  REQUIRE(twice);
  REQUIRE(c.s.set_declared(c.overlay, gone, t0));
  CHECK(plan_declared_absent(c.s, *twice).empty());
}
