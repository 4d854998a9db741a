// The journal's node state follows the agent (runtime/node/state_report.hpp):
// a boot that replaced uncommitted local edits says which, and a journal
// state left drifted or converging with no drift on the node is resolved
// once (tester, issue 11).

#include <doctest/doctest.h>

#include "runtime/node/state_report.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using namespace pact::protocol;
using pact::test::temp_root;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;

DeltaItem file(const std::string& path, const std::string& content) {
  DeltaItem i;
  i.set_category(DELTA_CATEGORY_FILES);
  i.set_action(DELTA_ACTION_ADD);
  i.set_key(path);
  i.set_value(R"({"content":")" + content + R"(","mode":"0644"})");
  return i;
}

DeltaItem sysctl(const std::string& key, const std::string& value) {
  DeltaItem i;
  i.set_category(DELTA_CATEGORY_KERNEL);
  i.set_action(DELTA_ACTION_ADD);
  i.set_key(key);
  i.set_value(value);
  return i;
}

declared_state declared(const std::vector<DeltaItem>& items) {
  VClusterOverlay o;
  o.set_vcluster("ml");
  for (const auto& i : items)
    *o.add_items() = i;
  auto d = declared_state::from(o, {});
  REQUIRE(d);
  return *d;
}

struct follow_fixture {
  temp_root r;
  drift_state s{[this] {
    drift_settings st;
    st.root = r.path();
    st.settle_ms = 0;
    return st;
  }()};
  state_follower f;

  void declare(NodeState journal_state) {
    NodeDelta delta;
    delta.set_state(journal_state);
    VClusterOverlay o;
    o.set_vcluster("ml");
    REQUIRE(s.set_declared(o, delta, t0));
  }
  void start(NodeState journal_state) {
    r.write("/etc/motd", "hello\n");
    declare(journal_state);
    REQUIRE(s.observe_file("/etc/motd", t0));
    s.mark_baseline_taken();
  }
  /// Two checks (polls): the first only notices.
  size_t resolutions() {
    auto a = f.check(s, "n1");
    auto second = f.check(s, "n1");
    for (auto& c : second.commands)
      a.commands.push_back(std::move(c));
    for (const auto& c : a.commands) {
      CHECK(c.kind() == COMMAND_KIND_RECORD);
      CHECK(c.record_type() == ENTRY_TYPE_DRIFT_RESOLVED);
      CHECK(c.scope().node() == "n1");
    }
    return a.commands.size();
  }
};

} // namespace

TEST_CASE("a boot's replaced local edits: what differs from what the "
          "previous boot applied") {
  auto applied = std::vector<DeltaItem>{file("/etc/motd", "declared"),
                                        file("/etc/issue", "declared"),
                                        sysctl("vm.swappiness", "10"),
                                        file("/etc/new", "declared")};
  observed_items before;
  before[{DELTA_CATEGORY_FILES, "/etc/motd"}] = item_value::of("edited");
  before[{DELTA_CATEGORY_FILES, "/etc/issue"}] = item_value::of("declared");
  before[{DELTA_CATEGORY_KERNEL, "vm.swappiness"}] = item_value::of("60\n");
  before[{DELTA_CATEGORY_FILES, "/etc/new"}] = item_value::absent();
  // The previous boot wrote motd, issue and swappiness; /etc/new is newly
  // declared (its absence is no edit).
  auto previous
    = declared({file("/etc/motd", "declared"), file("/etc/issue", "declared"),
                sysctl("vm.swappiness", "10")});
  auto edits = replaced_edits(applied, before, previous);
  REQUIRE(edits.items_size() == 2);
  CHECK(edits.items(0).key() == "/etc/motd");
  CHECK(edits.items(0).action() == DELTA_ACTION_MODIFY);
  CHECK(edits.items(0).value() == "edited");
  CHECK(edits.items(1).key() == "vm.swappiness");
  CHECK(edits.items(1).value() == "60\n");
  auto text = replaced_text(edits);
  CHECK(text.find("; replaced 2 uncommitted local edit(s): ") == 0);
  CHECK(text.find("/etc/motd") != std::string::npos);
  CHECK(replaced_text({}).empty());
  // A first boot (nothing applied before) replaces no edit.
  CHECK(replaced_edits(applied, before, declared_state{}).items_size() == 0);
}

TEST_CASE("a journal state left drifted with no drift on the node is "
          "resolved once") {
  follow_fixture x;
  x.start(NODE_STATE_DRIFTED);
  CHECK(x.resolutions() == 1);
  // The journal has not answered yet: not again.
  CHECK(x.resolutions() == 0);
  // The journal left drift, then is stale again (a later restart): again.
  x.declare(NODE_STATE_COMMITTED);
  CHECK(x.resolutions() == 0);
  x.declare(NODE_STATE_CONVERGING);
  CHECK(x.resolutions() == 1);
  // An emergency may hide a drifted state: resolved once as well.
  x.declare(NODE_STATE_OBSERVE_ONLY);
  CHECK(x.resolutions() == 0);
  x.declare(NODE_STATE_EMERGENCY);
  CHECK(x.resolutions() == 1);
  CHECK(x.resolutions() == 0);
}

TEST_CASE("the agent's own auto-converge record (a rollback's restore) is "
          "followed by a resolution once nothing drifts") {
  follow_fixture x;
  x.start(NODE_STATE_COMMITTED);
  CHECK(x.resolutions() == 0);
  JournalCommand restore;
  restore.set_kind(COMMAND_KIND_AUTO_CONVERGE);
  x.f.note(restore);
  CHECK(x.resolutions() == 1);
  CHECK(x.resolutions() == 0);
}

TEST_CASE("nothing is resolved while the node drifts, before the baseline, "
          "or when the window rules resolved it") {
  follow_fixture x;
  x.r.write("/etc/motd", "hello\n");
  x.declare(NODE_STATE_DRIFTED);
  CHECK(x.resolutions() == 0); // not looked yet
  REQUIRE(x.s.observe_file("/etc/motd", t0));
  x.s.mark_baseline_taken();
  x.r.write("/etc/motd", "changed\n");
  REQUIRE(x.s.observe_file("/etc/motd", t0 + 1));
  CHECK(x.resolutions() == 0); // drifts
  x.r.write("/etc/motd", "hello\n");
  REQUIRE(x.s.observe_file("/etc/motd", t0 + 2));
  JournalCommand resolved;
  resolved.set_kind(COMMAND_KIND_RECORD);
  resolved.set_record_type(ENTRY_TYPE_DRIFT_RESOLVED);
  x.f.note(resolved);
  CHECK(x.resolutions() == 0);
}
