// Restoring a node (runtime/node/node_restore.hpp): the plan against the
// declared state to return to, the refusals (hash-only files, active
// consumers) and the restore itself under a temporary root.

#include <filesystem>

#include <doctest/doctest.h>

#include "runtime/node/drift_commit.hpp"
#include "runtime/node/node_restore.hpp"
#include "tests/unit/runtime/node/operator_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using pact::test::temp_root;

namespace {

using pact::test::files;
using pact::test::kernel;
using pact::test::t0;
constexpr auto item = pact::test::delta_item;
constexpr auto mounts = protocol::DELTA_CATEGORY_MOUNTS;
constexpr auto services = protocol::DELTA_CATEGORY_SERVICES;

declared_state declared_of(const protocol::VClusterOverlay& o,
                           const protocol::NodeDelta& d) {
  auto s = declared_state::from(o, d);
  REQUIRE(s);
  return *s;
}

host_settings host_of(const temp_root& r) {
  host_settings h;
  h.root = r.path();
  h.run = [](const std::vector<std::string>&) -> status {
    return make_error("nothing runs in a unit test");
  };
  return h;
}

/// Baseline /etc/motd "hello\n" and /etc/big (over the cap), declared
/// state empty.
struct fixture {
  temp_root r;
  drift_state s{pact::test::small_cap_settings(r)};
  fixture() {
    r.write("/etc/motd", "hello\n");
    r.write("/etc/big", std::string(100, 'b'));
    REQUIRE(s.observe_file("/etc/motd", t0));
    REQUIRE(s.observe_file("/etc/big", t0));
    s.mark_baseline_taken();
    REQUIRE(s.set_declared({}, {}, t0));
  }
};

} // namespace

TEST_CASE("a rollback restores drifted files to the state of the entry") {
  fixture f;
  // Committed: /etc/motd = "tuned\n" (the node delta), then changed again.
  protocol::NodeDelta committed;
  *committed.add_items() = item(files, "/etc/motd",
                                file_item_value("tuned\n", {"0600", "", ""}));
  f.r.write("/etc/motd", "tuned\n");
  f.s.set_node_items(committed, t0 + 1);
  CHECK(f.s.items().empty());
  f.r.write("/etc/motd", "oops\n");
  f.r.write("/etc/extra", "new\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 2));
  REQUIRE(f.s.observe_file("/etc/extra", t0 + 2));
  REQUIRE(f.s.items().size() == 2);

  SUBCASE("to the commit: its content and mode, new files removed") {
    auto next = declared_of({}, committed);
    auto plan = plan_restore(f.s, next);
    REQUIRE(plan.size() == 2);
    CHECK(plan[0].id.second == "/etc/extra");
    CHECK_FALSE(plan[0].target.present);
    CHECK(plan[1].target.value == "tuned\n");
    REQUIRE(check_restore(plan, f.s.declared(), next, {}, false));
    auto host = host_of(f.r);
    auto backends = make_backends(host);
    auto out = restored_items(execute_restore(plan, next, backends));
    REQUIRE(out.size() == 2);
    CHECK(out[0].outcome() == "applied");
    CHECK(out[1].outcome() == "applied");
    CHECK(pact::test::read_node_file(f.r, "/etc/motd") == "tuned\n");
    CHECK((std::filesystem::status(f.r.host("/etc/motd")).permissions()
           & std::filesystem::perms::all)
          == std::filesystem::perms(0600));
    CHECK_FALSE(std::filesystem::exists(f.r.host("/etc/extra")));
    f.s.set_node_items(committed, t0 + 3);
    CHECK(f.s.items().empty());
  }
  SUBCASE("to before the commit: the baseline's content") {
    declared_state next = declared_of({}, {});
    auto plan = plan_restore(f.s, next);
    REQUIRE(plan.size() == 2);
    CHECK(plan[1].target.value == "hello\n");
    auto host = host_of(f.r);
    auto backends = make_backends(host);
    execute_restore(plan, next, backends);
    CHECK(pact::test::read_node_file(f.r, "/etc/motd") == "hello\n");
    f.s.set_node_items({}, t0 + 3);
    CHECK(f.s.items().empty());
  }
}

TEST_CASE("a file known only by its hash is named and nothing is restored") {
  fixture f;
  f.r.write("/etc/big", "small now\n");
  f.r.write("/etc/motd", "changed\n");
  REQUIRE(f.s.observe_file("/etc/big", t0 + 1));
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 1));
  auto next = declared_of({}, {});
  auto plan = plan_restore(f.s, next);
  REQUIRE(plan.size() == 2);
  auto st = check_restore(plan, f.s.declared(), next, {}, false);
  REQUIRE_FALSE(st);
  CHECK(st.err().code == exit_code::general_error);
  CHECK(st.err().message.find("cannot restore /etc/big") != std::string::npos);
  CHECK(st.err().message.find("/etc/motd") == std::string::npos);
  // --force does not make a hash into content.
  CHECK_FALSE(check_restore(plan, f.s.declared(), next, {}, true));
  // And execution alone never writes a hash as content.
  auto host = host_of(f.r);
  auto backends = make_backends(host);
  auto out = restored_items(execute_restore(plan, next, backends));
  CHECK(out[0].outcome() == "failed");
  CHECK(pact::test::read_node_file(f.r, "/etc/big") == "small now\n");
}

TEST_CASE("unmounting a mount in use or stopping a needed service is "
          "blocked unless forced") {
  fixture f;
  const std::string nfs
    = R"({"options":"rw","read_only":false,"source":"s:/x","type":"nfs"})";
  f.s.observe_source(drift_source::mounts, {}, t0); // baseline: no mounts
  f.s.observe_source(drift_source::mounts,
                     {{{mounts, "/scratch"}, item_value::of(nfs)}}, t0 + 1);
  auto next = declared_of({}, {});
  auto plan = plan_restore(f.s, next);
  REQUIRE(plan.size() == 1);
  CHECK_FALSE(plan[0].target.present);

  consumers idle;
  idle.mounted = {"/scratch"};
  CHECK(check_restore(plan, f.s.declared(), next, idle, false));

  consumers busy = idle;
  busy.held = {{"/scratch/job/out.log", "process 4242"}};
  auto st = check_restore(plan, f.s.declared(), next, busy, false);
  REQUIRE_FALSE(st);
  CHECK(st.err().code == exit_code::rollback_blocked);
  CHECK(st.err().message.find("rollback blocked by active consumers")
        != std::string::npos);
  CHECK(st.err().message.find("process 4242") != std::string::npos);
  CHECK(check_restore(plan, f.s.declared(), next, busy, true));

  consumers nested = idle;
  nested.mounted.push_back("/scratch/sub");
  nested.mounted.push_back("/scratchpad"); // not below /scratch
  st = check_restore(plan, f.s.declared(), next, nested, false);
  REQUIRE_FALSE(st);
  CHECK(st.err().message.find("/scratch/sub is mounted below it")
        != std::string::npos);
  CHECK(st.err().message.find("/scratchpad") == std::string::npos);

  // Not root under a temporary root: the unmount is recorded, not done.
  auto host = host_of(f.r);
  auto backends = make_backends(host);
  auto out = restored_items(execute_restore(plan, next, backends));
  CHECK(out[0].outcome() == "recorded");
  CHECK(out[0].detail() == "would unmount /scratch");

  // Services: dropping db while web (still declared) depends on it.
  protocol::NodeDelta both;
  *both.add_items() = item(services, "db", R"({"binary":"/bin/db"})");
  *both.add_items() = item(services, "web",
                           R"({"binary":"/bin/web","depends_on":["db"]})");
  protocol::NodeDelta web_only;
  *web_only.add_items() = both.items(1);
  auto now = declared_of({}, both);
  st = check_restore({}, now, declared_of({}, web_only), {}, false);
  REQUIRE_FALSE(st);
  CHECK(st.err().code == exit_code::rollback_blocked);
  CHECK(st.err().message.find("service db would be stopped but web depends "
                              "on it")
        != std::string::npos);
  // Both go: nobody is left depending on db.
  CHECK(check_restore({}, now, declared_of({}, {}), {}, false));
}

TEST_CASE("consumers are read from /proc under the root") {
  temp_root r;
  r.mkdir("/proc/4242/fd");
  r.mkdir("/proc/self");
  std::filesystem::create_symlink("/scratch/job", r.host("/proc/4242/cwd"));
  std::filesystem::create_symlink("/", r.host("/proc/4242/root"));
  std::filesystem::create_symlink("/scratch/job/out.log",
                                  r.host("/proc/4242/fd/3"));
  std::filesystem::create_symlink("pipe:[123]", r.host("/proc/4242/fd/4"));
  auto c = read_consumers(r.path(),
                          {{{mounts, "/scratch"}, item_value::of("{}")}});
  CHECK(c.mounted == std::vector<std::string>{"/scratch"});
  REQUIRE(c.held.size() == 2);
  CHECK(c.held[0].first == "/scratch/job");
  CHECK(c.held[0].second == "process 4242");
  CHECK(c.held[1].first == "/scratch/job/out.log");
}

TEST_CASE("sysctl keys are written back; modules are reported, not loaded") {
  fixture f;
  f.s.observe_source(drift_source::sysctl,
                     {{{kernel, "vm.swappiness"}, item_value::of("60")}}, t0);
  f.s.observe_source(drift_source::sysctl,
                     {{{kernel, "vm.swappiness"}, item_value::of("10")}},
                     t0 + 1);
  f.s.observe_source(drift_source::modules, {}, t0);
  f.s.observe_source(drift_source::modules,
                     {{{kernel, "module:evil"}, item_value::of("loaded")}},
                     t0 + 1);
  auto next = declared_of({}, {});
  auto plan = plan_restore(f.s, next);
  REQUIRE(plan.size() == 2);
  auto host = host_of(f.r);
  auto backends = make_backends(host);
  auto out = restored_items(execute_restore(plan, next, backends));
  CHECK(out[0].key() == "module:evil");
  CHECK(out[0].outcome() == "failed");
  CHECK(out[0].detail().find("does not load or unload") != std::string::npos);
  CHECK(out[1].outcome() == "applied");
  CHECK(pact::test::read_node_file(f.r, "/proc/sys/vm/swappiness") == "60\n");
}

TEST_CASE("a rollback restores a file a directory took the place of") {
  fixture f;
  std::filesystem::remove(f.r.host("/etc/motd"));
  f.r.write("/etc/motd/new", "x\n"); // rm motd; mkdir motd; a file in it
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 1));
  REQUIRE(f.s.observe_file("/etc/motd/new", t0 + 1));
  REQUIRE(f.s.items().size() == 2);
  auto next = declared_of({}, {});
  auto plan = plan_restore(f.s, next);
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].id.second == "/etc/motd/new"); // out of the way first
  REQUIRE(check_restore(plan, f.s.declared(), next, {}, false));
  auto host = host_of(f.r);
  auto backends = make_backends(host);
  auto out = restored_items(execute_restore(plan, next, backends));
  REQUIRE(out.size() == 2);
  for (const auto& o : out) {
    INFO(o.key() << ": " << o.detail());
    CHECK(o.outcome() == "applied");
  }
  CHECK(pact::test::read_node_file(f.r, "/etc/motd") == "hello\n");
  f.s.set_node_items({}, t0 + 2);
  CHECK(f.s.items().empty());
}

TEST_CASE("after a rollback the drift state holds what was written: no "
          "false episode") {
  fixture f;
  f.s.observe_source(drift_source::sysctl,
                     {{{kernel, "vm.swappiness"}, item_value::of("60")}}, t0);
  // Tuned and committed: the node delta declares 10; the episode ends.
  f.s.observe_source(drift_source::sysctl,
                     {{{kernel, "vm.swappiness"}, item_value::of("10")}},
                     t0 + 1);
  REQUIRE(f.s.take_episode(t0 + 1000));
  protocol::NodeDelta committed;
  *committed.add_items() = item(kernel, "vm.swappiness", "10");
  f.s.set_node_items(committed, t0 + 1001);
  REQUIRE(f.s.items().empty());
  CHECK_FALSE(f.s.take_episode(t0 + 2000));
  CHECK(f.s.take_resolution());

  // Rolled back to before the commit: 60 (the baseline) is written back
  // and the scan that read 10 is not taken for the node's state.
  auto next = declared_of({}, {});
  auto host = host_of(f.r);
  auto backends = make_backends(host);
  auto done = execute_restore(plan_restore(f.s, next), next, backends);
  REQUIRE(done.size() == 1);
  CHECK(done[0].restored());
  CHECK(pact::test::read_node_file(f.r, "/proc/sys/vm/swappiness") == "60\n");
  f.s.note_restored(done);
  f.s.set_node_items({}, t0 + 3000);
  CHECK(f.s.items().empty());
  CHECK_FALSE(f.s.take_episode(t0 + 5000));
  CHECK_FALSE(f.s.take_resolution());

  // What was only recorded (not done) is not taken as written.
  f.s.observe_source(drift_source::mounts, {}, t0);
  const std::string nfs
    = R"({"options":"rw","read_only":false,"source":"s:/x","type":"nfs"})";
  f.s.observe_source(drift_source::mounts,
                     {{{mounts, "/scratch"}, item_value::of(nfs)}}, t0 + 6000);
  auto mount_plan = plan_restore(f.s, next);
  auto unmounted = execute_restore(mount_plan, next, backends);
  REQUIRE(unmounted.size() == 1);
  CHECK(unmounted[0].outcome.k == apply_outcome::kind::recorded);
  f.s.note_restored(unmounted);
  f.s.set_node_items({}, t0 + 7000);
  CHECK(f.s.items().size() == 1);
}
