// The drift watcher's state (runtime/node/drift_state.hpp): baseline, then
// drift against baseline and declared state, episodes and the window.

#include <filesystem>

#include <doctest/doctest.h>

#include "runtime/node/drift_state.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using pact::test::temp_root;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;
constexpr auto files = protocol::DELTA_CATEGORY_FILES;
constexpr auto kernel = protocol::DELTA_CATEGORY_KERNEL;

drift_settings settings_for(const temp_root& r) {
  drift_settings s;
  s.root = r.path();
  s.limits.max_file_bytes = 64;
  s.settle_ms = 300;
  return s;
}

protocol::DeltaItem item(protocol::DeltaCategory c, const std::string& key,
                         const std::string& value) {
  protocol::DeltaItem i;
  i.set_category(c);
  i.set_action(protocol::DELTA_ACTION_ADD);
  i.set_key(key);
  i.set_value(value);
  return i;
}

std::vector<std::string> keys(const drift_state& s) {
  std::vector<std::string> out;
  for (const auto& d : s.items())
    out.push_back(d.id.second);
  return out;
}

} // namespace

TEST_CASE("files drift against their baseline and stop when put back") {
  temp_root r;
  r.write("/etc/motd", "hello\n");
  r.write("/etc/hosts", "127.0.0.1 localhost\n");
  drift_state s(settings_for(r));
  REQUIRE(s.observe_file("/etc/motd", t0));
  REQUIRE(s.observe_file("/etc/hosts", t0));
  s.mark_baseline_taken();
  CHECK(s.items().empty());

  r.write("/etc/motd", "changed\n");
  REQUIRE(s.observe_file("/etc/motd", t0 + 1));
  r.write("/etc/new", "x");
  REQUIRE(s.observe_file("/etc/new", t0 + 2));
  std::filesystem::remove(r.host("/etc/hosts"));
  REQUIRE(s.observe_file("/etc/hosts", t0 + 3));
  CHECK(keys(s)
        == std::vector<std::string>{"/etc/hosts", "/etc/motd", "/etc/new"});
  auto reply = s.reply("n1", {});
  REQUIRE(reply.items_size() == 3);
  const auto& motd = reply.items(1);
  CHECK(motd.declared() == "hello\n");
  CHECK(motd.actual() == "changed\n");
  CHECK(motd.unified_diff().find("-hello\n+changed\n") != std::string::npos);
  CHECK(motd.since_unix_ms() == t0 + 1);
  CHECK(reply.items(0).declared_present());
  CHECK_FALSE(reply.items(0).actual_present());
  CHECK_FALSE(reply.items(2).declared_present());
  CHECK(reply.magnitude() == doctest::Approx(3.0));
  CHECK_FALSE(reply.declared_state_known());

  r.write("/etc/motd", "hello\n");
  REQUIRE(s.observe_file("/etc/motd", t0 + 4));
  CHECK(keys(s) == std::vector<std::string>{"/etc/hosts", "/etc/new"});
}

TEST_CASE("declared state wins over the baseline; hash-only is not "
          "restorable") {
  temp_root r;
  r.write("/etc/motd", "node's own\n");
  r.write("/etc/big", std::string(100, 'b'));
  drift_state s(settings_for(r));
  REQUIRE(s.observe_file("/etc/motd", t0));
  REQUIRE(s.observe_file("/etc/big", t0));
  s.mark_baseline_taken();
  protocol::VClusterOverlay overlay;
  *overlay.add_items() = item(files, "/etc/motd",
                              R"({"content":"declared\n","mode":"0644"})");
  REQUIRE(s.set_declared(overlay, {}, t0));
  s.observe_declared_files(t0 + 1);
  auto d = s.items();
  REQUIRE(d.size() == 1);
  CHECK(d[0].from_journal);
  CHECK(d[0].declared == item_value::of("declared\n"));

  r.write("/etc/big", std::string(100, 'c'));
  REQUIRE(s.observe_file("/etc/big", t0 + 2));
  auto reply = s.reply("n1", {"/srv"});
  REQUIRE(reply.items_size() == 2);
  CHECK(reply.items(0).key() == "/etc/big");
  CHECK_FALSE(reply.items(0).restorable());
  CHECK(reply.items(0).unified_diff().empty());
  CHECK(reply.items(1).restorable());
  CHECK(reply.declared_state_known());
  CHECK(reply.scan_fallback_paths_size() == 1);
}

TEST_CASE("periodic sources: first scan is the baseline, declared keys "
          "always count") {
  temp_root r;
  drift_settings st = settings_for(r);
  st.sysctl_keys = {"vm.swappiness"};
  drift_state s(st);
  protocol::VClusterOverlay overlay;
  *overlay.add_items() = item(kernel, "vm.nr_hugepages", "2048");
  REQUIRE(s.set_declared(overlay, {}, t0));
  CHECK(s.sysctl_keys()
        == std::vector<std::string>{"vm.nr_hugepages", "vm.swappiness"});
  observed_items first{{{kernel, "vm.swappiness"}, item_value::of("60")},
                       {{kernel, "vm.nr_hugepages"}, item_value::of("0")}};
  s.observe_source(drift_source::sysctl, first, t0);
  // Declared 2048, observed 0: drift even on the first scan.
  CHECK(keys(s) == std::vector<std::string>{"vm.nr_hugepages"});
  observed_items second = first;
  second[{kernel, "vm.swappiness"}] = item_value::of("10");
  second[{kernel, "vm.nr_hugepages"}] = item_value::of("2048");
  s.observe_source(drift_source::sysctl, second, t0 + 1);
  CHECK(keys(s) == std::vector<std::string>{"vm.swappiness"});
  // Modules are their own source: a sysctl scan never clears them.
  s.observe_source(drift_source::modules,
                   {{{kernel, "module:xfs"}, item_value::of("loaded")}}, t0);
  s.observe_source(drift_source::modules, {}, t0 + 2);
  s.observe_source(drift_source::sysctl, second, t0 + 3);
  CHECK(keys(s) == std::vector<std::string>{"module:xfs", "vm.swappiness"});
}

TEST_CASE("one journal entry per episode, not per write") {
  temp_root r;
  r.write("/etc/a", "1");
  drift_state s(settings_for(r));
  REQUIRE(s.observe_file("/etc/a", t0));
  s.mark_baseline_taken();
  CHECK_FALSE(s.take_episode(t0));
  for (int i = 0; i < 5; ++i) {
    r.write("/etc/a", "write " + std::to_string(i));
    REQUIRE(s.observe_file("/etc/a", t0 + 100 * i));
  }
  // Still settling: the last new item appeared at t0.
  CHECK(s.window().phase() == window_phase::closed);
  auto e = s.take_episode(t0 + 200);
  CHECK_FALSE(e);
  CHECK(s.window().phase() == window_phase::open);
  e = s.take_episode(t0 + 400);
  REQUIRE(e);
  REQUIRE(e->items_size() == 1);
  CHECK(e->items(0).value() == "write 4");
  CHECK_FALSE(s.take_episode(t0 + 1000));
  // A new item in the same episode is recorded on its own.
  r.write("/etc/b", "new");
  REQUIRE(s.observe_file("/etc/b", t0 + 2000));
  CHECK_FALSE(s.take_episode(t0 + 2100));
  e = s.take_episode(t0 + 2300);
  REQUIRE(e);
  REQUIRE(e->items_size() == 1);
  CHECK(e->items(0).key() == "/etc/b");
  // Drift gone: the episode ends and the window closes.
  r.write("/etc/a", "1");
  std::filesystem::remove(r.host("/etc/b"));
  s.observe_gone_dir("/etc", t0 + 3000);
  CHECK(s.items().empty());
  CHECK_FALSE(s.take_episode(t0 + 3000));
  CHECK(s.window().phase() == window_phase::closed);
  // The next drift is a new episode and is recorded again.
  r.write("/etc/a", "again");
  REQUIRE(s.observe_file("/etc/a", t0 + 4000));
  REQUIRE(s.take_episode(t0 + 4300));
}

TEST_CASE("a newly blacklisted path stops drifting") {
  temp_root r;
  drift_state s(settings_for(r));
  s.mark_baseline_taken();
  r.write("/var/cache/x", "1");
  REQUIRE(s.observe_file("/var/cache/x", t0));
  REQUIRE(s.items().size() == 1);
  auto b = blacklist::compile({"/var/cache/**"});
  REQUIRE(b.has_value());
  s.forget_excluded(*b);
  CHECK(s.items().empty());
}

TEST_CASE("a large episode is recorded in bounded batches") {
  temp_root r;
  drift_settings st = settings_for(r);
  st.max_episode_items = 2;
  drift_state s(st);
  s.mark_baseline_taken();
  for (auto name : {"/a", "/b", "/c", "/d", "/e"}) {
    r.write(name, "x");
    REQUIRE(s.observe_file(name, t0));
  }
  std::vector<int> sizes;
  while (auto e = s.take_episode(t0 + 1000))
    sizes.push_back(e->items_size());
  CHECK(sizes == std::vector<int>{2, 2, 1});
}

TEST_CASE("drifted content is bounded; beyond the budget values are hashes") {
  temp_root r;
  drift_settings st = settings_for(r);
  st.limits.max_total_bytes = 10;
  drift_state s(st);
  s.mark_baseline_taken();
  r.write("/a", "123456");
  r.write("/b", "789012");
  REQUIRE(s.observe_file("/a", t0));
  REQUIRE(s.observe_file("/b", t0));
  CHECK(s.actual_content_bytes() == 6);
  auto items = s.items();
  REQUIRE(items.size() == 2);
  CHECK(items[0].actual.value == "123456");
  CHECK(items[1].actual.value.rfind("sha256:", 0) == 0);
  // Drift that goes away gives its bytes back.
  std::filesystem::remove(r.host("/a"));
  REQUIRE(s.observe_file("/a", t0 + 1));
  CHECK(s.actual_content_bytes() == 0);
  REQUIRE(s.observe_file("/b", t0 + 2));
  CHECK(s.actual_content_bytes() == 6);
  REQUIRE(s.items().size() == 1);
  CHECK(s.items()[0].actual.value == "789012");
}

TEST_CASE("a failing declared service is drift; a running one, a changed "
          "declaration and a removed service are not") {
  temp_root r;
  drift_state s(settings_for(r));
  s.mark_baseline_taken();
  constexpr auto services = protocol::DELTA_CATEGORY_SERVICES;
  protocol::VClusterOverlay overlay;
  *overlay.add_items() = item(services, "web", R"({"binary":"/usr/bin/web"})");
  *overlay.add_items() = item(services, "db", R"({"binary":"/usr/bin/db"})");
  REQUIRE(s.set_declared(overlay, {}, t0));
  s.observe_services({}, t0);
  CHECK(s.items().empty());
  s.observe_services({{"web", "backoff: exited with status 3"},
                      {"ghost", "failed: not declared here"}},
                     t0 + 1);
  auto d = s.items();
  REQUIRE(d.size() == 1); // an undeclared service is never an item
  CHECK(d[0].id == item_id{services, "web"});
  CHECK(d[0].actual == item_value::of("backoff: exited with status 3"));
  CHECK(d[0].declared == item_value::of(R"({"binary":"/usr/bin/web"})"));
  CHECK(d[0].from_journal);
  // Recovered: no longer drift.
  s.observe_services({}, t0 + 2);
  CHECK(s.items().empty());
  // The declaration changes: compared with the new one, from the last
  // report, without waiting for the supervisor (no transient drift).
  protocol::VClusterOverlay changed;
  *changed.add_items() = item(services, "web", R"({"binary":"/usr/bin/w2"})");
  REQUIRE(s.set_declared(changed, {}, t0 + 3));
  CHECK(s.items().empty());
  // db's declaration went: its failure is not drift (it is stopped).
  s.observe_services({{"db", "failed: stopping"}}, t0 + 4);
  CHECK(s.items().empty());
}
