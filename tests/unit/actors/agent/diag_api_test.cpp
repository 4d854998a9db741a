// `pact diag` on the agent (actors/agent/diag_api.hpp) under CAF's
// deterministic coordinator, with a scripted journal link holding the
// booted policy: an allowed diag answers the filtered lines of the ring
// buffer only once its record is kept; a bad pattern and a caller without
// rights are refused and recorded with nothing read; when the link cannot
// keep the record, nothing is shown.

#include <doctest/doctest.h>

#include <caf/send.hpp>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/diag_api.hpp"
#include "tests/unit/actors/agent/agent_api_fixtures.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::agent;
using namespace pact::protocol;

namespace {

struct script {
  VClusterOverlay overlay;
  std::vector<JournalCommand> records;
  std::vector<Response> replies;
  /// The link refuses to keep records (its outbox failed).
  bool refuse_records = false;
};

caf::behavior fake_link(caf::event_based_actor*, std::shared_ptr<script> s) {
  return {
    [s](declared_state_atom) {
      return std::make_tuple(s->overlay.SerializeAsString(), std::string());
    },
    [s](node_command_atom, const std::string& bytes) -> caf::result<void> {
      if (s->refuse_records)
        return caf::make_error(caf::sec::runtime_error);
      JournalCommand cmd;
      CHECK(cmd.ParseFromString(bytes));
      s->records.push_back(cmd);
      return caf::unit;
    },
  };
}

caf::behavior fake_client(caf::event_based_actor*, std::shared_ptr<script> s) {
  return {
    [s](const std::string& bytes) {
      Response r;
      CHECK(r.ParseFromString(bytes));
      s->replies.push_back(r);
    },
  };
}

struct fixture : pact::test::coordinated_system {
  pact::test::temp_root root;
  std::shared_ptr<script> s = std::make_shared<script>();
  caf::actor api, link, sup, client;

  fixture() {
    root.write("/dev/kmsg", "6,1,1000000,-;boot\n"
                            "3,2,2000000,-;NVRM: Xid 79\n");
    s->overlay.set_vcluster("ml");
    link = sys.spawn(fake_link, s);
    auto x = std::make_shared<diag_context>();
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
        handle_diag(self, x, req, who, std::move(reply));
      },
      client);
    run();
  }

  ~fixture() {
    for (auto* a : {&api, &client, &sup, &link})
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    run();
  }

  void diag(const std::string& grep, const std::string& group) {
    Request req;
    req.set_request_id("r1");
    req.mutable_diag()->set_source("dmesg");
    req.mutable_diag()->set_grep(grep);
    caf::anon_send(api, req.SerializeAsString(), group);
    // The sources are read on a detached actor (its own thread).
    test::run_until(*this, [this] { return !s->replies.empty(); });
    REQUIRE(s->replies.size() == 1);
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "an allowed diag answers its lines, recorded") {
  diag("Xid", "pact-viewer-ml");
  REQUIRE(s->replies[0].status().code() == STATUS_CODE_OK);
  const auto& r = s->replies[0].diag_reply();
  CHECK(r.node() == "n1");
  REQUIRE(r.blocks_size() == 1);
  CHECK(r.blocks(0).source() == "dmesg");
  REQUIRE(r.blocks(0).lines_size() == 1);
  CHECK(r.blocks(0).lines(0) == "[    2.000000] NVRM: Xid 79");
  REQUIRE(s->records.size() == 1);
  const auto& rec = s->records[0];
  CHECK(rec.record_type() == ENTRY_TYPE_EXEC_LOG);
  CHECK(rec.scope().node() == "n1");
  CHECK(rec.exec().phase() == "finished");
  CHECK(rec.exec().caller().principal() == "sam");
  CHECK(rec.exec().exec_id() == "r1");
  std::vector<std::string> argv(rec.exec().argv().begin(),
                                rec.exec().argv().end());
  CHECK(argv
        == std::vector<std::string>{"pact-diag", "--source", "dmesg", "--grep",
                                    "Xid"});
}

TEST_CASE_FIXTURE(fixture, "a bad pattern is refused and recorded") {
  diag("(a", "pact-ops-ml");
  CHECK(s->replies[0].status().code() == STATUS_CODE_INVALID_ARGUMENT);
  CHECK(s->replies[0].status().message().find("is not an RE2 pattern")
        != std::string::npos);
  CHECK_FALSE(s->replies[0].has_diag_reply());
  REQUIRE(s->records.size() == 1);
  CHECK(s->records[0].exec().phase() == "refused");
}

TEST_CASE_FIXTURE(fixture, "another vCluster's operator is refused") {
  diag("", "pact-ops-other");
  CHECK(s->replies[0].status().code() == STATUS_CODE_UNAUTHORIZED);
  CHECK(s->replies[0].status().message()
        == "policy: denied: sam may not read the diagnostics of nodes of "
           "vCluster ml (needs pact-ops-ml, pact-regulated-ml, "
           "pact-viewer-ml, pact-service-ai or pact-platform-admin)");
  REQUIRE(s->records.size() == 1);
  CHECK(s->records[0].exec().phase() == "refused");
}

TEST_CASE_FIXTURE(fixture, "nothing is shown that the link did not keep") {
  s->refuse_records = true;
  diag("", "pact-ops-ml");
  CHECK(s->replies[0].status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(s->replies[0].status().message().find("could not keep the audit "
                                              "record")
        != std::string::npos);
  CHECK_FALSE(s->replies[0].has_diag_reply());
}
