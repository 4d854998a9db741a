// Committing a node's live drift (runtime/node/drift_commit.hpp): the
// items must still be as shown, become SET/REMOVE items with conditions
// on what the journal declares, and what cannot be committed by value is
// refused by name.

#include <filesystem>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "runtime/node/drift_commit.hpp"
#include "tests/unit/runtime/node/operator_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using pact::test::temp_root;

namespace {

using pact::test::files;
using pact::test::kernel;
using pact::test::t0;

file_meta_reader fixed_meta() {
  return [](const std::string&) {
    return std::optional<file_meta>(file_meta{"0640", "root", "adm"});
  };
}

/// The request a CLI sends after `pact diff`: the items as shown.
protocol::DriftCommitRequest shown(const drift_state& s) {
  protocol::DriftCommitRequest req;
  *req.mutable_items() = s.reply("n1", {}).items();
  req.set_message("tuned");
  req.set_ttl_seconds(3600);
  return req;
}

/// A state whose baseline holds /etc/motd and /etc/hosts and whose journal
/// declares vm.swappiness = 60.
struct fixture {
  temp_root r;
  drift_state s{pact::test::small_cap_settings(r)};
  fixture() {
    r.write("/etc/motd", "hello\n");
    r.write("/etc/hosts", "127.0.0.1 localhost\n");
    REQUIRE(s.observe_file("/etc/motd", t0));
    REQUIRE(s.observe_file("/etc/hosts", t0));
    s.mark_baseline_taken();
    protocol::VClusterOverlay o;
    auto* i = o.add_items();
    i->set_category(kernel);
    i->set_action(protocol::DELTA_ACTION_ADD);
    i->set_key("vm.swappiness");
    i->set_value("60");
    REQUIRE(s.set_declared(o, {}, t0));
    s.observe_source(drift_source::sysctl,
                     {{{kernel, "vm.swappiness"}, item_value::of("60")}}, t0);
  }
};

} // namespace

TEST_CASE("drift becomes SET and REMOVE items conditional on declared "
          "state") {
  fixture f;
  f.r.write("/etc/motd", "tuned\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 1));
  std::filesystem::remove(f.r.host("/etc/hosts"));
  REQUIRE(f.s.observe_file("/etc/hosts", t0 + 1));
  f.s.observe_source(drift_source::sysctl,
                     {{{kernel, "vm.swappiness"}, item_value::of("10")}},
                     t0 + 1);
  auto cmd = drift_commit_command(f.s, shown(f.s), "n1", fixed_meta());
  REQUIRE(cmd);
  CHECK(cmd->kind() == protocol::COMMAND_KIND_COMMIT);
  CHECK(cmd->scope().node() == "n1");
  CHECK(cmd->ttl_seconds() == 3600);
  const auto& items = cmd->state_delta().items();
  REQUIRE(items.size() == 3);
  CHECK(items[0].key() == "/etc/hosts");
  CHECK(items[0].action() == protocol::DELTA_ACTION_REMOVE);
  CHECK(items[1].key() == "/etc/motd");
  CHECK(items[1].action() == protocol::DELTA_ACTION_SET);
  auto j = nlohmann::json::parse(items[1].value());
  CHECK(j["content"] == "tuned\n");
  CHECK(j["mode"] == "0640");
  CHECK(j["group"] == "adm");
  CHECK(items[2].key() == "vm.swappiness");
  CHECK(items[2].value() == "10");
  // Baseline items must still be undeclared; the declared sysctl must
  // still be declared as the agent compared it.
  REQUIRE(cmd->expect_previous_size() == 3);
  CHECK_FALSE(cmd->expect_previous(0).present());
  CHECK_FALSE(cmd->expect_previous(1).present());
  CHECK(cmd->expect_previous(2).present());
  CHECK(cmd->expect_previous(2).value() == "60");
}

TEST_CASE("an item that changed after it was shown is a conflict") {
  fixture f;
  f.r.write("/etc/motd", "first\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 1));
  auto req = shown(f.s);
  SUBCASE("changed again") {
    f.r.write("/etc/motd", "second\n");
    REQUIRE(f.s.observe_file("/etc/motd", t0 + 2));
    auto cmd = drift_commit_command(f.s, req, "n1", fixed_meta());
    REQUIRE_FALSE(cmd);
    CHECK(cmd.err().code == exit_code::conflict);
    CHECK(cmd.err().message.find("/etc/motd changed again")
          != std::string::npos);
  }
  SUBCASE("put back") {
    f.r.write("/etc/motd", "hello\n");
    REQUIRE(f.s.observe_file("/etc/motd", t0 + 2));
    auto cmd = drift_commit_command(f.s, req, "n1", fixed_meta());
    REQUIRE_FALSE(cmd);
    CHECK(cmd.err().code == exit_code::conflict);
    CHECK(cmd.err().message.find("no longer drifts") != std::string::npos);
  }
  SUBCASE("nothing shown") {
    auto cmd = drift_commit_command(f.s, protocol::DriftCommitRequest{}, "n1",
                                    fixed_meta());
    REQUIRE_FALSE(cmd);
    CHECK(cmd.err().code == exit_code::general_error);
  }
}

TEST_CASE("what cannot be committed by value is refused by name") {
  fixture f;
  f.r.write("/etc/big", std::string(100, 'x')); // over the 64-byte cap
  REQUIRE(f.s.observe_file("/etc/big", t0 + 1));
  f.r.write("/etc/bin", std::string("\xff\xfe", 2));
  REQUIRE(f.s.observe_file("/etc/bin", t0 + 1));
  std::filesystem::create_symlink("/etc/motd", f.r.host("/etc/link"));
  REQUIRE(f.s.observe_file("/etc/link", t0 + 1));
  f.r.write("/etc/motd", "fine\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 1));
  auto cmd = drift_commit_command(f.s, shown(f.s), "n1", fixed_meta());
  REQUIRE_FALSE(cmd);
  CHECK(cmd.err().code == exit_code::general_error);
  const auto& m = cmd.err().message;
  CHECK(m.find("/etc/big is known only by its hash") != std::string::npos);
  CHECK(m.find("/etc/bin is not UTF-8") != std::string::npos);
  CHECK(m.find("/etc/link is a symlink") != std::string::npos);
  CHECK(m.find("/etc/motd") == std::string::npos);
}

TEST_CASE("a file name that is not UTF-8 is refused by name, not a false "
          "conflict") {
  // It is shown escaped ("\\xff"); looked up by the shown key it was never
  // found, so every commit on the node was "no longer drifts" (exit 4),
  // and a file literally named like the escape was taken for it (tester).
  fixture f;
  f.r.write(std::string("/etc/bad\xffname"), "x\n");
  REQUIRE(f.s.observe_file(std::string("/etc/bad\xffname"), t0 + 1));
  f.r.write("/etc/motd", "fine\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 1));
  auto cmd = drift_commit_command(f.s, shown(f.s), "n1", fixed_meta());
  REQUIRE_FALSE(cmd);
  CHECK(cmd.err().code == exit_code::general_error);
  CHECK(cmd.err().message.find("/etc/bad\\xffname is a name that is not "
                               "UTF-8")
        != std::string::npos);
  // A file whose literal name is the escape looks the same: ambiguous.
  f.r.write("/etc/bad\\xffname", "y\n");
  REQUIRE(f.s.observe_file("/etc/bad\\xffname", t0 + 2));
  auto both = drift_commit_command(f.s, shown(f.s), "n1", fixed_meta());
  REQUIRE_FALSE(both);
  CHECK(both.err().code == exit_code::general_error);
}

TEST_CASE("a recorded commit stops its items drifting at once") {
  fixture f;
  f.r.write("/etc/motd", "tuned\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 1));
  f.s.observe_source(drift_source::sysctl,
                     {{{kernel, "vm.swappiness"}, item_value::of("10")}},
                     t0 + 1);
  auto cmd = drift_commit_command(f.s, shown(f.s), "n1", fixed_meta());
  REQUIRE(cmd);
  // As the journal records it: actions resolved.
  auto recorded = cmd->state_delta();
  recorded.mutable_items(0)->set_action(protocol::DELTA_ACTION_ADD);
  recorded.mutable_items(1)->set_action(protocol::DELTA_ACTION_MODIFY);
  f.s.apply_committed(recorded, t0 + 2);
  CHECK(f.s.items().empty());
  CHECK(f.s.node_delta().items_size() == 2);
  // Drift from now on is against the committed values.
  f.r.write("/etc/motd", "again\n");
  REQUIRE(f.s.observe_file("/etc/motd", t0 + 3));
  REQUIRE(f.s.items().size() == 1);
  CHECK(f.s.items()[0].declared.value == "tuned\n");
  CHECK(f.s.items()[0].from_journal);
}
