// The drift watcher's operator requests (actors/agent/drift_operator.hpp)
// under CAF's deterministic coordinator, with a scripted journal link: a
// commit of drift goes to the journal with the operator's token and its
// conditions, and clears the drift; a changed item or a journal conflict
// writes nothing; a rollback restores files and records the restore; a
// file known only by its hash is refused before the journal is asked.

#include <filesystem>
#include <fstream>
#include <iterator>

#include <doctest/doctest.h>

#include <caf/send.hpp>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/drift_setup.hpp"
#include "actors/supervision/health_registry.hpp"
#include "tests/unit/actors/coordinator_config.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::agent;
using namespace pact::protocol;

namespace {

/// The journal link's side: what it was asked, and how the "journal"
/// answers an operator request.
struct link_script {
  std::vector<Request> calls;
  std::vector<JournalCommand> node_commands;
  /// What it was asked to pass on to the service supervisor.
  std::vector<StateDelta> services;
  std::function<Response(const Request&)> answer = [](const Request& r) {
    Response resp;
    resp.mutable_status()->set_code(STATUS_CODE_OK);
    auto* result = resp.mutable_command_reply()->mutable_result();
    result->add_sequences(7);
    *result->mutable_state_delta() = r.command().command().state_delta();
    return resp;
  };
};

caf::behavior fake_link(caf::event_based_actor*,
                        std::shared_ptr<link_script> s) {
  return {
    [s](node_command_atom, const std::string& bytes) {
      JournalCommand cmd;
      CHECK(cmd.ParseFromString(bytes));
      s->node_commands.push_back(cmd);
    },
    [s](declared_services_atom, const std::string& bytes) {
      StateDelta d;
      CHECK(d.ParseFromString(bytes));
      s->services.push_back(d);
    },
    [s](operator_call_atom, const std::string& bytes) -> std::string {
      Request r;
      CHECK(r.ParseFromString(bytes));
      s->calls.push_back(r);
      return s->answer(r).SerializeAsString();
    },
  };
}

struct fixture : pact::test::coordinated_system {
  pact::test::temp_root root;
  std::shared_ptr<link_script> link = std::make_shared<link_script>();
  caf::actor registry
    = supervision::spawn_health_registry(sys, {"agent", "n1", "0"}, wall);
  caf::actor sup;

  fixture() {
    root.write("/etc/motd", "hello\n");
    root.write("/etc/big", std::string(100, 'b'));
    root.write("/proc/sys/vm/swappiness", "60\n");
    drift_watcher_config c;
    c.always_excluded = {"/proc"}; // scanned as sysctl, not watched
    c.node_id = "n1";
    c.wall = wall;
    c.host.root = root.path();
    node::drift_settings s;
    s.root = root.path();
    s.limits.max_file_bytes = 64;
    s.sysctl_keys = {"vm.swappiness"};
    c.shared = std::make_shared<drift_shared>(s);
    supervision::child_spec l{
      "agent/journal-link", "journal-link",
      [script = link](caf::event_based_actor* p,
                      const supervision::health_handle&) {
        return p->spawn(fake_link, script);
      }};
    sup = sys.spawn(supervision::supervisor,
                    supervision::supervisor_spec{
                      {registry, "agent"}, {l, drift_child(c)}, {}});
    run();
    // Declared state from the journal: an empty overlay.
    caf::anon_send(watcher(), declared_state_atom::value,
                   VClusterOverlay().SerializeAsString(), std::string());
    run();
  }

  caf::actor watcher() {
    caf::actor result;
    sys.spawn([&](caf::event_based_actor* self) {
      self
        ->request(sup, caf::infinite, child_atom::value,
                  std::string("agent/drift-watcher"))
        .then([&](const caf::actor& a) { result = a; });
    });
    run();
    REQUIRE(result);
    return result;
  }

  void tick(int64_t ms) {
    wall->advance_ms(ms);
    sched.trigger_timeouts();
    run();
  }

  DriftReply drift() {
    DriftReply r;
    auto w = watcher();
    sys.spawn([&](caf::event_based_actor* self) {
      self->request(w, caf::infinite, drift_atom::value)
        .then(
          [&](const std::string& bytes) { CHECK(r.ParseFromString(bytes)); });
    });
    run();
    return r;
  }

  template <class Atom>
  Response ask(const std::string& body) {
    Response resp;
    auto w = watcher();
    sys.spawn([&](caf::event_based_actor* self) {
      self->request(w, caf::infinite, Atom::value, body, std::string("tok"))
        .then([&](const std::string& bytes) {
          CHECK(resp.ParseFromString(bytes));
        });
    });
    run();
    return resp;
  }

  Response commit(const DriftReply& shown) {
    DriftCommitRequest req;
    *req.mutable_items() = shown.items();
    req.set_message("tuned");
    req.set_ttl_seconds(3600);
    return ask<drift_commit_atom>(req.SerializeAsString());
  }

  Response rollback(uint64_t to, const NodeDelta& items = {}) {
    NodeRollbackRequest req;
    req.set_rollback_to(to);
    *req.mutable_node_items() = items.items();
    return ask<node_rollback_atom>(req.SerializeAsString());
  }

  std::string read(const std::string& p) {
    std::ifstream in(root.host(p), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  ~fixture() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a commit of drift is proposed with the "
                           "operator's token and clears the drift") {
  root.write("/etc/motd", "tuned\n");
  tick(60);
  auto shown = drift();
  REQUIRE(shown.items_size() == 1);
  auto resp = commit(shown);
  INFO(resp.status().message());
  REQUIRE(resp.status().code() == STATUS_CODE_OK);
  CHECK(resp.drift_commit_reply().command().result().sequences(0) == 7);
  REQUIRE(link->calls.size() == 1);
  const auto& req = link->calls[0];
  CHECK(req.token() == "tok");
  const auto& cmd = req.command().command();
  CHECK(cmd.kind() == COMMAND_KIND_COMMIT);
  CHECK(cmd.scope().node() == "n1");
  CHECK(cmd.message() == "tuned");
  CHECK_FALSE(cmd.client_request_id().empty());
  REQUIRE(cmd.expect_previous_size() == 1);
  CHECK_FALSE(cmd.expect_previous(0).present());
  CHECK(drift().items_size() == 0);
  // The next change drifts against what was committed.
  root.write("/etc/motd", "again\n");
  tick(60);
  auto r = drift();
  REQUIRE(r.items_size() == 1);
  CHECK(r.items(0).declared() == "tuned\n");
}

TEST_CASE_FIXTURE(fixture, "a file changed after it was shown is a conflict "
                           "and the journal is not asked") {
  root.write("/etc/motd", "first\n");
  tick(60);
  auto shown = drift();
  root.write("/etc/motd", "second\n"); // no tick: the request itself polls
  auto resp = commit(shown);
  CHECK(resp.status().code() == STATUS_CODE_CONFLICT);
  CHECK(resp.status().message().find("/etc/motd changed again")
        != std::string::npos);
  CHECK(link->calls.empty());
  CHECK(drift().items_size() == 1);
}

TEST_CASE_FIXTURE(fixture, "the journal's conflict is passed on and the "
                           "drift stays") {
  root.write("/etc/motd", "tuned\n");
  tick(60);
  link->answer = [](const Request&) {
    Response resp;
    resp.mutable_status()->set_code(STATUS_CODE_CONFLICT);
    resp.mutable_status()->set_message(
      "files:/etc/motd of node:n1 is 'x', not unset as expected "
      "(--if-previous); nothing was written");
    return resp;
  };
  auto resp = commit(drift());
  CHECK(resp.status().code() == STATUS_CODE_CONFLICT);
  CHECK(resp.status().message()
        == "the node's declared state changed since its drift was shown: "
           "files:/etc/motd of node:n1 is 'x', not unset as expected; "
           "nothing was written");
  CHECK(drift().items_size() == 1);
}

TEST_CASE_FIXTURE(fixture, "a rollback restores the files and records the "
                           "restore") {
  root.write("/etc/motd", "broken\n");
  root.write("/etc/extra", "new\n");
  tick(60);
  REQUIRE(drift().items_size() == 2);
  auto resp = rollback(3);
  INFO(resp.status().message());
  REQUIRE(resp.status().code() == STATUS_CODE_OK);
  REQUIRE(link->calls.size() == 1);
  const auto& cmd = link->calls[0].command().command();
  CHECK(link->calls[0].token() == "tok");
  CHECK(cmd.kind() == COMMAND_KIND_ROLLBACK);
  CHECK(cmd.rollback_to() == 3);
  CHECK(resp.node_rollback_reply().restored_size() == 2);
  CHECK(read("/etc/motd") == "hello\n");
  CHECK_FALSE(std::filesystem::exists(root.host("/etc/extra")));
  CHECK(drift().items_size() == 0);
  tick(60); // the record goes out with the next poll
  // The auto-converge makes the journal say converging; with no drift left
  // the agent resolves it (tester, issue 11: `converging` stayed in
  // `pact status` after commit + rollback).
  REQUIRE(link->node_commands.size() == 2);
  const auto& rec = link->node_commands[0];
  CHECK(rec.kind() == COMMAND_KIND_AUTO_CONVERGE);
  CHECK(rec.message() == "restored 2 item(s) to entry 3 after a rollback");
  CHECK(rec.state_delta().items_size() == 2);
  CHECK(link->node_commands[1].record_type() == ENTRY_TYPE_DRIFT_RESOLVED);
  tick(60);
  CHECK(link->node_commands.size() == 2); // once
}

TEST_CASE_FIXTURE(fixture, "a rollback needing a hash-only file is refused "
                           "before the journal is asked") {
  root.write("/etc/big", "small\n");
  tick(60);
  auto resp = rollback(3);
  CHECK(resp.status().code() == STATUS_CODE_INVALID_ARGUMENT);
  CHECK(resp.status().message().find("cannot restore /etc/big")
        != std::string::npos);
  CHECK(link->calls.empty());
  CHECK(read("/etc/big") == "small\n");
}

TEST_CASE_FIXTURE(fixture, "after a rollback the watcher agrees with what was "
                           "written: no false drift episode") {
  root.write("/proc/sys/vm/swappiness", "10\n");
  root.write("/etc/motd", "tuned\n");
  tick(30'000); // the periodic scan reads the sysctl
  tick(400);    // the episode settles and is recorded
  auto shown = drift();
  REQUIRE(shown.items_size() == 2);
  auto committed = commit(shown);
  INFO(committed.status().message());
  REQUIRE(committed.status().code() == STATUS_CODE_OK);
  CHECK(drift().items_size() == 0);
  tick(60);
  link->node_commands.clear(); // the episode and its resolution

  // Back to before the commit: the node delta is empty again.
  auto resp = rollback(3);
  INFO(resp.status().message());
  REQUIRE(resp.status().code() == STATUS_CODE_OK);
  CHECK(resp.node_rollback_reply().restored_size() == 2);
  CHECK(read("/proc/sys/vm/swappiness") == "60\n");
  CHECK(read("/etc/motd") == "hello\n");
  CHECK(drift().items_size() == 0);
  for (int i = 0; i < 5; ++i)
    tick(400); // longer than an episode takes to settle
  REQUIRE_FALSE(link->node_commands.empty());
  for (const auto& c : link->node_commands) {
    INFO(c.message());
    CHECK(c.kind() != COMMAND_KIND_DRIFT_DETECTED);
  }
  CHECK(link->node_commands[0].kind() == COMMAND_KIND_AUTO_CONVERGE);
}

TEST_CASE_FIXTURE(fixture, "a rollback that changes the declared services "
                           "hands them to the supervisor seam") {
  NodeDelta with_service;
  auto* svc = with_service.add_items();
  svc->set_category(DELTA_CATEGORY_SERVICES);
  svc->set_action(DELTA_ACTION_ADD);
  svc->set_key("slurmd");
  svc->set_value(R"({"binary":"/usr/sbin/slurmd"})");
  auto resp = rollback(3, with_service);
  INFO(resp.status().message());
  REQUIRE(resp.status().code() == STATUS_CODE_OK);
  REQUIRE(resp.node_rollback_reply().restored_size() == 1);
  const auto& r = resp.node_rollback_reply().restored(0);
  CHECK(r.key() == "slurmd");
  CHECK(r.outcome() == "handed-off");
  REQUIRE(link->services.size() == 1);
  REQUIRE(link->services[0].items_size() == 1);
  CHECK(link->services[0].items(0).key() == "slurmd");
  CHECK(link->services[0].items(0).value() == svc->value());
  // Nothing was put back on the node by the agent itself: no record.
  tick(60);
  CHECK(link->node_commands.empty());
}
