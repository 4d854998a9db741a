// `pact exec` on the agent (actors/agent/exec_api.hpp) under CAF's
// deterministic coordinator, with a scripted journal link holding the
// booted policy and node state: a strict refusal and a viewer's
// non-read-only command are recorded and answered without running
// anything; an emergency on the node lets an unlisted command run, its
// `started` record kept before it runs and its output streamed to the
// client before the reply.

#include <sys/stat.h>

#include <filesystem>

#include <doctest/doctest.h>

#include <caf/send.hpp>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/exec_api.hpp"
#include "tests/unit/actors/agent/agent_api_fixtures.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::agent;
using namespace pact::protocol;

namespace {

struct script {
  VClusterOverlay overlay;
  NodeDelta delta;
  std::vector<JournalCommand> records;
  std::vector<Response> replies;
  std::vector<ExecChunk> chunks;
  /// Chunks the client had when each reply came.
  std::vector<size_t> chunks_at_reply;
};

caf::behavior fake_link(caf::event_based_actor*, std::shared_ptr<script> s) {
  return {
    [s](declared_state_atom) {
      return std::make_tuple(s->overlay.SerializeAsString(),
                             s->delta.SerializeAsString());
    },
    [s](node_command_atom, const std::string& bytes) {
      JournalCommand cmd;
      CHECK(cmd.ParseFromString(bytes));
      s->records.push_back(cmd);
    },
  };
}

caf::behavior fake_client(caf::event_based_actor*, std::shared_ptr<script> s) {
  return {
    [s](exec_chunk_atom, const std::string& bytes) {
      ExecChunk c;
      CHECK(c.ParseFromString(bytes));
      s->chunks.push_back(c);
    },
    [s](const std::string& bytes) {
      Response r;
      CHECK(r.ParseFromString(bytes));
      s->replies.push_back(r);
      s->chunks_at_reply.push_back(s->chunks.size());
    },
  };
}

struct fixture : pact::test::coordinated_system {
  pact::test::temp_root root;
  std::shared_ptr<script> s = std::make_shared<script>();
  caf::actor api, link, sup, client;

  fixture() {
    root.mkdir("/usr/bin");
    for (const char* p : {"echo", "touch"})
      std::filesystem::copy_file(std::string("/bin/") + p,
                                 root.host(std::string("/usr/bin/") + p));
    s->overlay.set_vcluster("ml");
    s->overlay.mutable_policy()->add_exec_whitelist("echo");
    link = sys.spawn(fake_link, s);
    auto x = std::make_shared<exec_context>();
    x->cfg.root = root.path();
    x->node_id = "n1";
    x->vcluster = "ml";
    sup = sys.spawn(test::fake_link_supervisor, link);
    x->supervisor = sup;
    client = sys.spawn(fake_client, s);
    api = sys.spawn(
      test::fake_api_host,
      [x](caf::event_based_actor* self, const Request& req,
          const policy::authenticated& who, daemon::api_reply reply) {
        handle_exec(self, x, req, who, std::move(reply));
      },
      client);
    run();
  }

  ~fixture() {
    for (auto* a : {&api, &client, &sup, &link})
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    run();
  }

  void exec(std::vector<std::string> argv, const std::string& group) {
    Request req;
    req.set_request_id("r1");
    req.mutable_exec()->set_node("n1");
    for (auto& a : argv)
      req.mutable_exec()->add_argv(a);
    caf::anon_send(api, req.SerializeAsString(), group);
    // The program runs on a detached actor (its own thread).
    test::run_until(*this, [this] { return !s->replies.empty(); });
    REQUIRE(s->replies.size() == 1);
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "strict mode refuses an unlisted command, records "
                           "it and runs nothing") {
  auto marker = root.host("/marker");
  exec({"touch", marker}, "pact-ops-ml");
  CHECK(s->replies[0].status().code() == STATUS_CODE_NOT_WHITELISTED);
  CHECK(s->replies[0].status().message().find("command not whitelisted") == 0);
  CHECK(s->chunks.empty());
  CHECK_FALSE(std::filesystem::exists(marker));
  REQUIRE(s->records.size() == 1);
  const auto& rec = s->records[0];
  CHECK(rec.kind() == COMMAND_KIND_RECORD);
  CHECK(rec.record_type() == ENTRY_TYPE_EXEC_LOG);
  CHECK(rec.scope().node() == "n1");
  CHECK(rec.exec().phase() == "refused");
  CHECK(rec.exec().caller().principal() == "sam");
  CHECK(rec.exec().resolved_path() == "/usr/bin/touch");
}

TEST_CASE_FIXTURE(fixture, "a viewer runs only read-only commands") {
  exec({"echo", "hi"}, "pact-viewer-ml");
  CHECK(s->replies[0].status().code() == STATUS_CODE_UNAUTHORIZED);
  CHECK(s->replies[0].status().message().find("policy: denied: sam") == 0);
  CHECK(s->chunks.empty());
  REQUIRE(s->records.size() == 1);
  CHECK(s->records[0].exec().phase() == "refused");
}

TEST_CASE_FIXTURE(fixture, "an allowed command is recorded before it runs "
                           "and streams before the reply") {
  exec({"echo", "$(id)"}, "pact-ops-ml");
  REQUIRE(s->replies[0].status().code() == STATUS_CODE_OK);
  const auto& out = s->replies[0].exec_reply();
  CHECK(out.exit_code() == 0);
  CHECK(out.resolved_path() == "/usr/bin/echo");
  CHECK(out.chunks_sent() == s->chunks.size());
  std::string text;
  for (auto& c : s->chunks)
    text += c.data();
  CHECK(text == "$(id)\n");
  CHECK(s->chunks_at_reply[0] == s->chunks.size());
  run();
  REQUIRE(s->records.size() == 2);
  CHECK(s->records[0].exec().phase() == "started");
  CHECK(s->records[0].exec().detail() == "whitelisted");
  CHECK(s->records[1].exec().phase() == "finished");
  CHECK(s->records[1].exec().exit_code() == 0);
}

TEST_CASE_FIXTURE(fixture, "an emergency on the node relaxes the whitelist") {
  s->delta.set_state(NODE_STATE_EMERGENCY);
  auto marker = root.host("/marker");
  exec({"touch", marker}, "pact-ops-ml");
  CHECK(s->replies[0].status().code() == STATUS_CODE_OK);
  CHECK(std::filesystem::exists(marker));
  run();
  REQUIRE(s->records.size() == 2);
  CHECK(s->records[0].exec().detail() == "emergency: not whitelisted");
}
