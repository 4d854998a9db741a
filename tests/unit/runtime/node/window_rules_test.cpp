// The commit window's rules (runtime/node/window_rules.hpp) over the drift
// state: one record per expiry, enforce converges, warn is loud, a resolved
// episode is recorded, the journal's deadline and the node delta's TTL.

#include <doctest/doctest.h>

#include "runtime/common/files.hpp"
#include "runtime/node/scanners.hpp"
#include "runtime/node/window_rules.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using pact::test::temp_root;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;
constexpr auto files_dim = protocol::DELTA_CATEGORY_FILES;
constexpr auto kernel_dim = protocol::DELTA_CATEGORY_KERNEL;
/// The shortest window (60 s) and a bit.
constexpr int64_t past_window = 61'000;

protocol::VClusterOverlay overlay_with(protocol::EnforcementMode mode) {
  protocol::VClusterOverlay o;
  o.set_vcluster("ml");
  o.mutable_policy()->set_enforcement_mode(mode);
  // Any magnitude gives the 60 s floor.
  o.mutable_policy()->set_base_commit_window_seconds(60);
  return o;
}

struct fixture {
  temp_root r;
  drift_state s{[this] {
    drift_settings st;
    st.root = r.path();
    st.settle_ms = 0;
    return st;
  }()};
  backend_map backends = [this] {
    host_settings h;
    h.root = r.path();
    return make_backends(h);
  }();

  explicit fixture(protocol::EnforcementMode mode,
                   const protocol::NodeDelta& delta = {}) {
    r.write("/etc/motd", "hello\n");
    REQUIRE(s.set_declared(overlay_with(mode), delta, t0));
    REQUIRE(s.observe_file("/etc/motd", t0));
    s.mark_baseline_taken();
  }
  /// Changes motd and records the episode (the window opens).
  void drift(int64_t at) {
    r.write("/etc/motd", "changed\n");
    REQUIRE(s.observe_file("/etc/motd", at));
    REQUIRE(s.take_episode(at));
  }
  std::string motd() {
    auto c = files::read_all(r.host("/etc/motd"));
    REQUIRE(c);
    return *c;
  }
};

std::vector<protocol::EntryType> records(const window_actions& a) {
  std::vector<protocol::EntryType> out;
  for (const auto& c : a.commands)
    out.push_back(c.kind() == protocol::COMMAND_KIND_AUTO_CONVERGE
                    ? protocol::ENTRY_TYPE_AUTO_CONVERGE
                    : c.record_type());
  return out;
}

} // namespace

TEST_CASE("observe: one window-expired record per expiry, nothing changed") {
  fixture f(protocol::ENFORCEMENT_MODE_OBSERVE);
  f.drift(t0);
  CHECK(keep_window(f.s, "n1", t0 + 1000, f.backends).commands.empty());
  auto a = keep_window(f.s, "n1", t0 + past_window, f.backends);
  REQUIRE(a.commands.size() == 1);
  const auto& c = a.commands[0];
  CHECK(c.kind() == protocol::COMMAND_KIND_RECORD);
  CHECK(c.record_type() == protocol::ENTRY_TYPE_WINDOW_EXPIRED);
  CHECK(c.scope().node() == "n1");
  CHECK(c.message()
        == "commit window expired: 1 drifted item(s) flagged for review: "
           "files:/etc/motd");
  REQUIRE(c.state_delta().items_size() == 1);
  CHECK(c.state_delta().items(0).key() == "/etc/motd");
  CHECK_FALSE(a.loud);
  CHECK(f.motd() == "changed\n");
  // Exactly once per expiry.
  CHECK(
    keep_window(f.s, "n1", t0 + 2 * past_window, f.backends).commands.empty());
  CHECK(f.s.window().phase() == window_phase::expired);
}

TEST_CASE("warn: the same record, logged loudly") {
  fixture f(protocol::ENFORCEMENT_MODE_WARN);
  f.drift(t0);
  auto a = keep_window(f.s, "n1", t0 + past_window, f.backends);
  CHECK(
    records(a)
    == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_WINDOW_EXPIRED});
  CHECK(a.loud);
  CHECK(f.motd() == "changed\n");
}

TEST_CASE("enforce: converges, records it, and the drift resolves") {
  fixture f(protocol::ENFORCEMENT_MODE_ENFORCE);
  f.drift(t0);
  auto a = keep_window(f.s, "n1", t0 + past_window, f.backends);
  REQUIRE(
    records(a)
    == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_WINDOW_EXPIRED,
                                        protocol::ENTRY_TYPE_AUTO_CONVERGE});
  const auto& conv = a.commands[1];
  CHECK(conv.message().find("restored 1 item(s): files:/etc/motd")
        != std::string::npos);
  REQUIRE(conv.state_delta().items_size() == 1);
  CHECK(conv.state_delta().items(0).value() == "hello\n");
  CHECK(f.motd() == "hello\n");
  REQUIRE(a.touched.size() == 1);
  // The watcher looks again: drift gone, the episode ends, one resolution.
  REQUIRE(f.s.observe_file("/etc/motd", t0 + past_window + 1));
  CHECK_FALSE(f.s.take_episode(t0 + past_window + 1));
  auto after = keep_window(f.s, "n1", t0 + past_window + 2, f.backends);
  CHECK(
    records(after)
    == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_DRIFT_RESOLVED});
  CHECK(
    keep_window(f.s, "n1", t0 + past_window + 3, f.backends).commands.empty());
  CHECK(f.s.window().phase() == window_phase::closed);
}

TEST_CASE("enforce: drift found while the window stays expired is "
          "converged once") {
  fixture f(protocol::ENFORCEMENT_MODE_ENFORCE);
  // Over the size cap of 0 bytes kept content: only a hash, never restored.
  f.r.write("/var/big", "original");
  drift_settings st;
  st.root = f.r.path();
  st.settle_ms = 0;
  st.limits.max_total_bytes = 0; // the baseline keeps hashes only
  drift_state s(st);
  REQUIRE(
    s.set_declared(overlay_with(protocol::ENFORCEMENT_MODE_ENFORCE), {}, t0));
  REQUIRE(s.observe_file("/var/big", t0));
  s.mark_baseline_taken();
  f.r.write("/var/big", "changed");
  REQUIRE(s.observe_file("/var/big", t0));
  REQUIRE(s.take_episode(t0));
  auto a = keep_window(s, "n1", t0 + past_window, f.backends);
  REQUIRE(a.commands.size() == 2);
  CHECK(a.commands[1].message().find("not restored: files:/var/big (held "
                                     "only as a hash")
        != std::string::npos);
  CHECK(a.loud);
  // Not retried at every poll.
  CHECK(
    keep_window(s, "n1", t0 + past_window + 1, f.backends).commands.empty());
  // New drift while expired: converged at once, without a new window.
  f.r.write("/etc/new", "x");
  REQUIRE(s.observe_file("/etc/new", t0 + past_window + 2));
  REQUIRE(s.take_episode(t0 + past_window + 2));
  auto later = keep_window(s, "n1", t0 + past_window + 3, f.backends);
  REQUIRE(
    records(later)
    == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_AUTO_CONVERGE});
  CHECK(later.commands[0].message().find("restored 1 item(s): files:/etc/new")
        != std::string::npos);
  CHECK_FALSE(files::exists(f.r.host("/etc/new")));
}

TEST_CASE("the journal's deadline moves the window, once per change") {
  protocol::NodeDelta delta;
  delta.set_window_ends_unix_ms(t0 + 600'000);
  fixture f(protocol::ENFORCEMENT_MODE_ENFORCE, delta);
  // `pact extend` before a planned change: the watcher follows the
  // journal's deadline as the declared state arrives, opening a window the
  // drift then belongs to: 600 s, not 60 s.
  CHECK(f.s.follow_journal_window(t0) == window_event::extended);
  f.drift(t0);
  CHECK(f.s.window().ends_ms() == t0 + 600'000);
  // Already there: following it changes nothing.
  CHECK(f.s.follow_journal_window(t0) == window_event::none);
  CHECK(keep_window(f.s, "n1", t0 + past_window, f.backends).commands.empty());
  // Expired, then `pact extend`: the window opens again from the journal.
  CHECK(keep_window(f.s, "n1", t0 + 600'000, f.backends).commands.size() == 2);
  delta.set_window_ends_unix_ms(t0 + 1'500'000);
  REQUIRE(f.s.set_declared(overlay_with(protocol::ENFORCEMENT_MODE_OBSERVE),
                           delta, t0));
  CHECK(f.s.follow_journal_window(t0 + 900'000) == window_event::extended);
  CHECK(f.s.window().phase() == window_phase::open);
  CHECK(f.s.window().ends_ms() == t0 + 1'500'000);
  // An unchanged deadline never reopens a window that closed.
  f.s.window().on_clean();
  REQUIRE(f.s.set_declared(overlay_with(protocol::ENFORCEMENT_MODE_OBSERVE),
                           delta, t0));
  CHECK(f.s.follow_journal_window(t0 + 900'000) == window_event::none);
  CHECK(f.s.window().phase() == window_phase::closed);
}

TEST_CASE("an emergency in the journal gives the window its emergency "
          "length, and ending it leaves the deadline") {
  fixture f(protocol::ENFORCEMENT_MODE_ENFORCE);
  CHECK(f.s.follow_journal_emergency(t0) == window_event::none);
  protocol::NodeDelta delta;
  delta.set_state(protocol::NODE_STATE_EMERGENCY);
  auto overlay = overlay_with(protocol::ENFORCEMENT_MODE_ENFORCE);
  overlay.mutable_policy()->set_emergency_window_seconds(14400);
  REQUIRE(f.s.set_declared(overlay, delta, t0));
  CHECK(f.s.follow_journal_emergency(t0) == window_event::extended);
  CHECK(f.s.window().emergency());
  CHECK(f.s.window().phase() == window_phase::open);
  CHECK(f.s.window().ends_ms() == t0 + 14'400'000);
  // Drift meanwhile belongs to that window, not to a 60 s one.
  f.drift(t0 + 1000);
  CHECK(keep_window(f.s, "n1", t0 + past_window, f.backends).commands.empty());
  // Seen again: nothing more.
  CHECK(f.s.follow_journal_emergency(t0 + 2000) == window_event::none);
  // Ended: the mode goes, the deadline stays.
  delta.set_state(protocol::NODE_STATE_COMMITTED);
  REQUIRE(f.s.set_declared(overlay, delta, t0 + 3000));
  CHECK(f.s.follow_journal_emergency(t0 + 3000) == window_event::none);
  CHECK_FALSE(f.s.window().emergency());
  CHECK(f.s.window().ends_ms() == t0 + 14'400'000);
}

TEST_CASE("a node delta's TTL: its keys are flagged and converged at once") {
  temp_root r;
  r.write("/proc/sys/vm/swappiness", "10\n");
  drift_settings st;
  st.root = r.path();
  st.settle_ms = 0;
  drift_state s(st);
  auto overlay = overlay_with(protocol::ENFORCEMENT_MODE_ENFORCE);
  auto* declared = overlay.add_items();
  declared->set_category(kernel_dim);
  declared->set_key("vm.swappiness");
  declared->set_action(protocol::DELTA_ACTION_ADD);
  declared->set_value("60");
  protocol::NodeDelta delta;
  *delta.add_items() = *declared;
  delta.mutable_items(0)->set_value("10");
  delta.set_delta_sequence(7);
  delta.set_delta_expires_unix_ms(t0 + 1000);
  REQUIRE(s.set_declared(overlay, delta, t0));
  s.mark_baseline_taken();
  auto scan = [&](int64_t at) {
    s.observe_source(drift_source::sysctl,
                     scan_sysctl(r.path(), s.sysctl_keys()), at);
  };
  scan(t0);
  CHECK(s.items().empty()); // the delta's 10 is declared
  CHECK(s.expire_delta(t0 + 999).empty());
  auto keys = s.expire_delta(t0 + 1000);
  REQUIRE(keys.size() == 1);
  CHECK(s.expire_delta(t0 + 2000).empty()); // once per delta
  CHECK(s.expired_delta_sequence() == 7);
  scan(t0 + 1000);
  REQUIRE(s.items().size() == 1); // the overlay's 60 is declared again
  backend_map b = [&] {
    host_settings h;
    h.root = r.path();
    return make_backends(h);
  }();
  auto a = delta_expired(s, "n1", keys, t0 + 1000, b);
  REQUIRE(
    records(a)
    == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_WINDOW_EXPIRED,
                                        protocol::ENTRY_TYPE_AUTO_CONVERGE});
  CHECK(a.commands[0].message().rfind("committed node delta (entry 7) "
                                      "expired: 1 drifted item(s)",
                                      0)
        == 0);
  auto now = files::read_all(r.host("/proc/sys/vm/swappiness"));
  REQUIRE(now);
  CHECK(*now == "60\n");
  // Their window is spent; flagged already, they are not recorded again
  // as drift, but their resolution is.
  CHECK(s.window().phase() == window_phase::expired);
  CHECK_FALSE(s.take_episode(t0 + 1000));
  // The same delta again (the boot stream repeats it): still expired. A
  // new commit declares its items again.
  REQUIRE(s.set_declared(overlay, delta, t0));
  scan(t0 + 3000);
  CHECK(s.items().empty());
  CHECK_FALSE(s.take_episode(t0 + 3000));
  CHECK(
    records(keep_window(s, "n1", t0 + 3000, b))
    == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_DRIFT_RESOLVED});
  CHECK(s.window().phase() == window_phase::closed);
  delta.set_delta_sequence(9);
  delta.set_delta_expires_unix_ms(t0 + 100'000);
  REQUIRE(s.set_declared(overlay, delta, t0));
  scan(t0 + 3001);
  REQUIRE(s.items().size() == 1);
  CHECK(s.items()[0].declared.value == "10");
}

TEST_CASE("an expired delta's key the overlay lacks is expected absent") {
  temp_root r;
  r.write("/etc/local.conf", "mine\n");
  drift_settings st;
  st.root = r.path();
  drift_state s(st);
  protocol::NodeDelta delta;
  auto* i = delta.add_items();
  i->set_category(files_dim);
  i->set_key("/etc/local.conf");
  i->set_action(protocol::DELTA_ACTION_ADD);
  i->set_value(R"({"content":"mine\n"})");
  delta.set_delta_sequence(3);
  delta.set_delta_expires_unix_ms(t0);
  REQUIRE(s.set_declared(overlay_with(protocol::ENFORCEMENT_MODE_OBSERVE),
                         delta, t0));
  s.mark_baseline_taken();
  s.observe_declared_files(t0 - 1);
  CHECK(s.items().empty());
  REQUIRE(s.expire_delta(t0).size() == 1);
  s.observe_declared_files(t0);
  REQUIRE(s.items().size() == 1);
  CHECK_FALSE(s.items()[0].declared.present);
  backend_map b;
  auto a = delta_expired(s, "n1", {{files_dim, "/etc/local.conf"}}, t0, b);
  CHECK(
    records(a)
    == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_WINDOW_EXPIRED});
  // Observe: nothing removed, and no window opens for the flagged item.
  CHECK(files::exists(r.host("/etc/local.conf")));
  CHECK_FALSE(s.take_episode(t0 + 1000));
  CHECK(s.window().phase() == window_phase::expired);
  CHECK(keep_window(s, "n1", t0 + 100'000, b).commands.empty());
}

TEST_CASE("an expired delta whose keys match the overlay records nothing") {
  fixture f(protocol::ENFORCEMENT_MODE_ENFORCE);
  auto a = delta_expired(f.s, "n1", {{kernel_dim, "vm.x"}}, t0, f.backends);
  CHECK(a.commands.empty());
  REQUIRE(a.log.size() == 1);
  CHECK(a.log[0].find("nothing to flag") != std::string::npos);
}

TEST_CASE("the test divisor shortens windows after the 60 s floor") {
  window_policy p;
  p.base_commit_window_seconds = 60;
  p.test_divisor = 20;
  commit_window w(p);
  w.on_drift(t0, 1.0);
  CHECK(w.ends_ms() == t0 + 3000);
}

TEST_CASE("an extension is not carried over to a later drift episode") {
  // Tester, issue 11: `pact extend` in one episode gave every later,
  // unrelated episode the extended deadline while the journal still held
  // it.
  fixture f(protocol::ENFORCEMENT_MODE_OBSERVE);
  f.drift(t0);
  REQUIRE(f.s.window().ends_ms() == t0 + 60'000);
  protocol::NodeDelta delta;
  delta.set_window_ends_unix_ms(t0 + 3'600'000); // `pact extend 60`
  REQUIRE(f.s.set_declared(overlay_with(protocol::ENFORCEMENT_MODE_OBSERVE),
                           delta, t0));
  REQUIRE(f.s.follow_journal_window(t0 + 1000) == window_event::extended);
  // The episode ends (undone).
  f.r.write("/etc/motd", "hello\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 2000));
  CHECK_FALSE(f.s.take_episode(t0 + 2000));
  CHECK(f.s.window().phase() == window_phase::closed);
  CHECK(keep_window(f.s, "n1", t0 + 2000, f.backends).commands.size() == 1);
  // A later episode, the journal still naming the old deadline: a fresh
  // window by the formula (60 s here).
  f.drift(t0 + 600'000);
  CHECK(f.s.window().phase() == window_phase::open);
  CHECK(f.s.window().opened_ms() == t0 + 600'000);
  CHECK(f.s.window().ends_ms() == t0 + 660'000);
  CHECK(f.s.follow_journal_window(t0 + 600'001) == window_event::none);
  CHECK(keep_window(f.s, "n1", t0 + 660'000, f.backends).commands.size()
        == 1); // window-expired on time
}

TEST_CASE("a policy turning enforce converges the drift flagged before") {
  // Tester, issue 11: `pact apply` of an enforce policy left the drift
  // flagged under observe as it was.
  for (bool named : {true, false}) {
    CAPTURE(named);
    fixture f(protocol::ENFORCEMENT_MODE_OBSERVE);
    f.drift(t0);
    REQUIRE(
      records(keep_window(f.s, "n1", t0 + past_window, f.backends))
      == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_WINDOW_EXPIRED});
    CHECK(enforce_flagged(f.s, "n1", f.backends).commands.empty());
    REQUIRE(f.s.set_declared(overlay_with(protocol::ENFORCEMENT_MODE_ENFORCE),
                             {}, t0));
    // The watcher names the reason; else the next poll converges anyway.
    auto a = named ? enforce_flagged(f.s, "n1", f.backends)
                   : keep_window(f.s, "n1", t0 + past_window + 1, f.backends);
    REQUIRE(
      records(a)
      == std::vector<protocol::EntryType>{protocol::ENTRY_TYPE_AUTO_CONVERGE});
    CHECK(a.commands[0].message().find("restored 1 item(s): files:/etc/motd")
          != std::string::npos);
    if (named)
      CHECK(a.commands[0].message().rfind(
              "converged to the declared state after the commit window "
              "expired (enforcement_mode is now enforce)",
              0)
            == 0);
    CHECK(f.motd() == "hello\n");
    // Once: nothing left to converge.
    CHECK(enforce_flagged(f.s, "n1", f.backends).commands.empty());
    CHECK(keep_window(f.s, "n1", t0 + past_window + 2, f.backends)
            .commands.empty());
  }
}
