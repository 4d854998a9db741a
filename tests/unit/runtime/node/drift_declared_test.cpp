// Drift as declarations come and go, and where the node's files are
// (tester, issue 11): a dropped declaration's drift is measured against the
// baseline at once; what an item declared after the boot held before is
// remembered; a root that is gone is not every file deleted; a declared
// file under a symlinked directory is read where it was written; sizes are
// of the bytes, not of their UTF-8-safe text.

#include <filesystem>

#include <doctest/doctest.h>

#include "runtime/node/root_fs.hpp"
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

protocol::VClusterOverlay
overlay_of(const std::vector<std::pair<std::string, std::string>>& declared) {
  protocol::VClusterOverlay o;
  for (const auto& [path, content] : declared)
    *o.add_items() = item(files, path,
                          R"({"content":")" + content + R"(","mode":"0644"})");
  return o;
}

/// /etc/motd "hello\n" in the baseline, nothing else.
struct watched {
  temp_root r;
  drift_state s{pact::test::small_cap_settings(r)};
  watched() {
    r.write("/etc/motd", "hello\n");
    REQUIRE(s.observe_file("/etc/motd", t0));
    s.mark_baseline_taken();
  }
};

std::vector<std::string> keys(const drift_state& s) {
  std::vector<std::string> out;
  for (const auto& d : s.items())
    out.push_back(d.id.second);
  return out;
}

} // namespace

TEST_CASE("a dropped declaration's drift is measured against the baseline "
          "at once") {
  watched w;
  REQUIRE(
    w.s.set_declared(overlay_of({{"/etc/motd", "declared\\n"}}), {}, t0 + 1));
  // The node still holds its own content: drift against the declaration.
  REQUIRE(w.s.items().size() == 1);
  CHECK(w.s.items()[0].declared == item_value::of("declared\n"));

  SUBCASE("back to the baseline's content: no drift") {
    REQUIRE(w.s.set_declared({}, {}, t0 + 2));
    CHECK(w.s.items().empty());
  }
  SUBCASE("another content: drift against the baseline, not the old "
          "declaration") {
    w.r.write("/etc/motd", "by hand\n");
    REQUIRE(w.s.observe_file("/etc/motd", t0 + 2));
    REQUIRE(w.s.set_declared({}, {}, t0 + 3));
    REQUIRE(w.s.items().size() == 1);
    CHECK(w.s.items()[0].declared == item_value::of("hello\n"));
    CHECK_FALSE(w.s.items()[0].from_journal);
    auto r = w.s.reply("n1", {});
    REQUIRE(r.items_size() == 1);
    CHECK(r.items(0).declared() == "hello\n");
  }
  SUBCASE("a node delta that drops it (a rollback) does the same") {
    protocol::NodeDelta delta;
    *delta.add_items() = item(files, "/etc/motd",
                              R"({"content":"node\n","mode":"0644"})");
    REQUIRE(w.s.set_declared({}, delta, t0 + 2));
    CHECK(w.s.items()[0].declared == item_value::of("node\n"));
    w.s.set_node_items({}, t0 + 3);
    CHECK(w.s.items().empty());
  }
}

TEST_CASE("a file declared, then dropped, without drift is looked at again") {
  // Nothing drifted, so nothing re-read it: a file pact wrote stayed
  // unseen once its declaration went (it was absent from the baseline).
  watched w;
  auto o = overlay_of({{"/etc/app.conf", "managed\\n"}});
  w.r.write("/etc/app.conf", "managed\n"); // the journal link applied it
  REQUIRE(w.s.set_declared(o, {}, t0 + 1));
  REQUIRE(w.s.items().empty());
  REQUIRE(w.s.set_declared({}, {}, t0 + 2));
  REQUIRE(keys(w.s) == std::vector<std::string>{"/etc/app.conf"});
  CHECK_FALSE(w.s.items()[0].declared.present);
}

TEST_CASE("what an item first declared by an update held is remembered") {
  temp_root r;
  r.write("/etc/app.conf", "local\n");
  r.write("/proc/sys/vm/swappiness", "60\n");
  auto boot = effective_items(overlay_of({{"/etc/motd", "m"}}), {});
  protocol::StateDelta before;
  remember_before(before, r.path(), boot, {}, 64);
  REQUIRE(before.items_size() == 1); // /etc/motd, absent before the boot
  r.write("/etc/motd", "m");
  // An update declares two more and changes motd: only the new ones are
  // read, before they are written.
  auto later = overlay_of({{"/etc/motd", "m2"}, {"/etc/app.conf", "x"}});
  *later.add_items() = item(kernel, "vm.swappiness", "10");
  remember_before(before, r.path(), effective_items(later, {}), boot, 64);
  auto got = before_items(before);
  REQUIRE(got.size() == 3);
  CHECK_FALSE(got.at({files, "/etc/motd"}).present);
  CHECK(got.at({files, "/etc/app.conf"}) == item_value::of("local\n"));
  CHECK(got.at({kernel, "vm.swappiness"}) == item_value::of("60"));
  // Dropped and declared again: what it held before pact, not pact's value.
  r.write("/etc/app.conf", "x");
  remember_before(before, r.path(), effective_items(later, {}), {}, 64);
  CHECK(before_items(before).at({files, "/etc/app.conf"})
        == item_value::of("local\n"));
}

TEST_CASE("a root that is gone is not a node whose files were all deleted") {
  watched w;
  REQUIRE(
    w.s.set_declared(overlay_of({{"/etc/motd", "hello\\n"}}), {}, t0 + 1));
  REQUIRE(w.s.items().empty());
  auto away = w.r.path() + ".away";
  std::filesystem::rename(w.r.path(), away);
  auto st = w.s.observe_file("/etc/motd", t0 + 2);
  CHECK_FALSE(st);
  w.s.observe_declared_files(t0 + 2);
  // A new declared state meanwhile compares nothing under the lost root.
  REQUIRE(w.s.set_declared(
    overlay_of({{"/etc/motd", "hello\\n"}, {"/etc/app.conf", "a"}}), {},
    t0 + 3));
  CHECK(w.s.items().empty());
  CHECK_FALSE(w.s.take_episode(t0 + 10'000).has_value());
  std::filesystem::rename(away, w.r.path());
  w.s.observe_declared_files(t0 + 4);
  // Back: what is really missing is drift again.
  CHECK(keys(w.s) == std::vector<std::string>{"/etc/app.conf"});
}

TEST_CASE("a declared file under a symlinked directory is read where it was "
          "written") {
  temp_root r;
  r.mkdir("/srv/conf");
  r.mkdir("/etc");
  // Absolute: inside the root it leads to ROOT/srv/conf; the host would
  // take it to /srv/conf.
  std::filesystem::create_directory_symlink("/srv/conf", r.host("/etc/conf.d"));
  host_settings h;
  h.root = r.path();
  auto backends = make_backends(h);
  protocol::VClusterOverlay o
    = overlay_of({{"/etc/conf.d/x.conf", "declared\\n"}});
  // What it held before: nothing (read where the write will land).
  auto before = read_before(r.path(), effective_items(o, {}), 64);
  CHECK_FALSE(before.at({files, "/etc/conf.d/x.conf"}).present);
  auto report = apply_items(effective_items(o, {}), backends);
  REQUIRE(report.failed == 0);
  // The report (last-boot.json) names the place written.
  CHECK(report.items[0].outcome.detail.rfind(r.host("/srv/conf/x.conf"), 0)
        == 0);
  CHECK(pact::test::read_node_file(r, "/srv/conf/x.conf") == "declared\n");

  drift_state s{pact::test::small_cap_settings(r)};
  for (const char* p : {"/etc/conf.d", "/srv/conf/x.conf"}) // the walk
    REQUIRE(s.observe_file(p, t0));
  s.mark_baseline_taken();
  REQUIRE(s.set_declared(o, {}, t0 + 1));
  s.observe_declared_files(t0 + 1); // as the periodic scan does
  CHECK(s.items().empty());         // not "missing"
  auto read = read_node_file(r.path(), "/etc/conf.d/x.conf", 64);
  REQUIRE(read);
  CHECK(read->resolved == "/srv/conf/x.conf");
  CHECK(read->value == item_value::of("declared\n"));

  // Changed where it lives: one item, the declared one.
  r.write("/srv/conf/x.conf", "by hand\n");
  REQUIRE(s.observe_file("/srv/conf/x.conf", t0 + 2));
  CHECK(keys(s) == std::vector<std::string>{"/etc/conf.d/x.conf"});
  CHECK(s.items()[0].actual == item_value::of("by hand\n"));
  // Dropped: the place is a file of its own again (against its baseline).
  REQUIRE(s.set_declared({}, {}, t0 + 3));
  REQUIRE(s.observe_file("/srv/conf/x.conf", t0 + 4));
  CHECK(keys(s) == std::vector<std::string>{"/srv/conf/x.conf"});
}

TEST_CASE("a file that is not UTF-8 has the size of its bytes") {
  watched w;
  const std::string bytes = "\xff\xfe\n"; // 3 bytes, 9 as UTF-8-safe text
  w.r.write("/etc/motd", bytes);
  REQUIRE(w.s.observe_file("/etc/motd", t0 + 1));
  auto r = w.s.reply("n1", {});
  REQUIRE(r.items_size() == 1);
  CHECK(r.items(0).actual() == "\\xff\\xfe\n");
  REQUIRE(r.items(0).has_actual_bytes());
  CHECK(r.items(0).actual_bytes() == 3);
  REQUIRE(r.items(0).has_declared_bytes());
  CHECK(r.items(0).declared_bytes() == 6);
  // A hash or a symlink has no size to give.
  std::filesystem::remove(w.r.host("/etc/motd"));
  std::filesystem::create_symlink("/x", w.r.host("/etc/motd"));
  REQUIRE(w.s.observe_file("/etc/motd", t0 + 2));
  r = w.s.reply("n1", {});
  CHECK_FALSE(r.items(0).has_actual_bytes());
}

TEST_CASE("an item a commit of drift declares goes back to what it drifted "
          "from when its declaration goes") {
  // The same kind as an update's items: only the boot's had an earlier
  // value, so a file that appeared, was committed, then undeclared, stayed.
  watched w;
  w.r.write("/etc/new", "by hand\n");
  REQUIRE(w.s.observe_file("/etc/new", t0 + 1));
  REQUIRE(w.s.set_declared({}, {}, t0 + 1));
  REQUIRE(keys(w.s) == std::vector<std::string>{"/etc/new"});
  protocol::StateDelta recorded;
  *recorded.add_items() = item(files, "/etc/new",
                               R"({"content":"by hand\n","mode":"0644"})");
  w.s.apply_committed(recorded, t0 + 2);
  CHECK(w.s.items().empty());
  auto earlier = w.s.baseline({files, "/etc/new"});
  REQUIRE(earlier);
  CHECK_FALSE(earlier->present);
  auto plan = plan_dropped(w.s, *declared_state::from({}, {}));
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].id == item_id{files, "/etc/new"});
  CHECK_FALSE(plan[0].target.present);
}
