// Boot-config streaming through the gateway (issue 4 item 4): a replica
// and a gateway in one actor system (journal_fixture.hpp: the test
// coordinator); the test plays the agent, sending the request envelope and
// receiving the BootChunk stream (overlay chunks with version and checksum,
// the node's committed delta, the completion marker) before the reply, and
// reassembling it with the agent's boot_assembler.

#include <doctest/doctest.h>

#include "runtime/journal/boot_assembler.hpp"
#include "runtime/policy/token.hpp"
#include "tests/unit/actors/journal/journal_fixture.hpp"

using namespace pact;
using namespace pact::protocol;

namespace {

const std::string secret = "boot-config-test-secret-0123456789";

/// journal_fixture with a gateway and an admin token.
struct fixture : journal::test::journal_fixture {
  std::string token;

  explicit fixture(size_t max_in_flight = 4096)
    : journal_fixture(gateway_of(max_in_flight)) {
    policy::token_claims claims;
    claims.subject = "boot-test";
    claims.issuer = "pact-dev";
    claims.audience = "pact";
    claims.groups = {"pact-platform-admin"};
    claims.expires_at = wall->now_unix_ms() / 1000 + 3600;
    token = policy::sign_hs256(claims, secret);
  }

  static journal::gateway_config gateway_of(size_t max_in_flight) {
    journal::gateway_config gc;
    gc.verifier.hmac_secret = secret;
    gc.max_in_flight = max_in_flight;
    return gc;
  }

  /// A request envelope with the version and the token.
  Request envelope() {
    Request req;
    req.set_version(PROTOCOL_VERSION_1);
    req.set_token(token);
    return req;
  }

  /// Sends one request through the gateway; requires its answer.
  Response call(Request req) {
    req.set_version(PROTOCOL_VERSION_1);
    req.set_token(token);
    auto a = ask<std::string>(gateway, api_atom::value,
                              req.SerializeAsString());
    REQUIRE(a->done);
    REQUIRE_MESSAGE(!a->err, caf::to_string(a->err));
    Response resp;
    REQUIRE(resp.ParseFromString(std::get<0>(a->value)));
    return resp;
  }

  void command(JournalCommand cmd) {
    Request req;
    *req.mutable_command()->mutable_command() = std::move(cmd);
    auto resp = call(req);
    REQUIRE_MESSAGE(resp.status().code() == STATUS_CODE_OK,
                    resp.status().message());
  }

  /// Requests boot config as an agent would and collects the stream.
  std::pair<std::vector<BootChunk>, Response>
  boot(const std::string& node, uint64_t have_version = 0,
       const std::string& have_checksum = {}, uint32_t chunk_bytes = 0) {
    auto req = envelope();
    auto* b = req.mutable_boot_config();
    b->set_node(node);
    b->set_have_version(have_version);
    b->set_have_checksum(have_checksum);
    b->set_chunk_bytes(chunk_bytes);
    struct stream {
      std::vector<BootChunk> chunks;
      Response resp;
      bool replied = false;
    };
    auto got = std::make_shared<stream>();
    // The agent: chunks arrive as messages of their own, then the reply.
    auto agent = sys.spawn([got](caf::event_based_actor*) -> caf::behavior {
      return {
        [got](boot_chunk_atom, const std::string& bytes) {
          BootChunk c;
          CHECK(c.ParseFromString(bytes));
          got->chunks.push_back(c);
        },
        [got](const std::string& bytes) {
          CHECK(got->resp.ParseFromString(bytes));
          got->replied = true;
        },
      };
    });
    caf::send_as(agent, gateway, api_atom::value, req.SerializeAsString());
    run();
    REQUIRE_MESSAGE(got->replied, "no boot-config reply");
    caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
    run();
    return {got->chunks, got->resp};
  }
};

JournalCommand overlay_apply(int sysctls) {
  JournalCommand c;
  c.set_kind(COMMAND_KIND_OVERLAY_APPLY);
  auto* o = c.add_overlays();
  o->set_vcluster("ml");
  o->mutable_attributes()->set_base_image("rocky9");
  for (int i = 0; i < sysctls; ++i) {
    auto* item = o->add_items();
    item->set_category(DELTA_CATEGORY_KERNEL);
    item->set_action(DELTA_ACTION_ADD);
    item->set_key("net.test.key" + std::to_string(i));
    item->set_value(std::string(100, 'v'));
  }
  return c;
}

} // namespace

TEST_CASE("boot config streams the overlay in chunks, the node delta, then "
          "the marker") {
  fixture fx;
  fx.command(overlay_apply(200)); // ~25 KiB of overlay
  JournalCommand enroll;
  enroll.set_kind(COMMAND_KIND_NODE_ENROLL);
  enroll.mutable_scope()->set_node("n7");
  enroll.set_vcluster("ml");
  fx.command(enroll);
  JournalCommand commit;
  commit.set_kind(COMMAND_KIND_COMMIT);
  commit.mutable_scope()->set_node("n7");
  commit.set_ttl_seconds(3600);
  auto* item = commit.mutable_state_delta()->add_items();
  item->set_category(DELTA_CATEGORY_KERNEL);
  item->set_action(DELTA_ACTION_ADD);
  item->set_key("vm.nr_hugepages");
  item->set_value("2048");
  fx.command(commit);

  auto [chunks, resp] = fx.boot("n7", 0, "", 4096);
  REQUIRE_MESSAGE(resp.status().code() == STATUS_CODE_OK,
                  resp.status().message());
  REQUIRE(chunks.size() >= 8); // 25 KiB in 4 KiB chunks, delta, marker
  CHECK(chunks.front().has_overlay());
  CHECK(chunks[chunks.size() - 2].has_node_delta());
  CHECK(chunks.back().has_complete());
  CHECK(resp.boot_config_reply().chunks_sent() == chunks.size());
  journal::boot_assembler asm_;
  for (auto& c : chunks)
    REQUIRE(asm_.feed(c));
  REQUIRE(asm_.done());
  const auto& got = asm_.get();
  REQUIRE(got.overlay);
  CHECK(got.overlay->vcluster() == "ml");
  CHECK(got.overlay->items_size() == 200);
  CHECK(got.overlay->attributes().base_image() == "rocky9");
  CHECK(got.overlay->version() == 1);
  CHECK(!got.overlay->checksum().empty());
  REQUIRE(got.node_delta.items_size() == 1);
  CHECK(got.node_delta.items(0).value() == "2048");
  CHECK(got.complete.version() == got.overlay->version());

  SUBCASE("an agent at the latest version gets only the marker") {
    auto [again, r2] = fx.boot("n7", got.overlay->version(),
                               got.overlay->checksum());
    REQUIRE(r2.status().code() == STATUS_CODE_OK);
    REQUIRE(again.size() == 1);
    CHECK(again[0].complete().up_to_date());
  }
  SUBCASE("a vCluster commit produces a new version") {
    fx.command(overlay_apply(3));
    auto [fresh, r3] = fx.boot("n7", got.overlay->version(),
                               got.overlay->checksum());
    journal::boot_assembler b;
    for (auto& c : fresh)
      REQUIRE(b.feed(c));
    REQUIRE(b.get().overlay);
    CHECK(b.get().overlay->version() > got.overlay->version());
    CHECK(b.get().overlay->items_size() == 3);
  }
  SUBCASE("a node enrolled nowhere is refused with a reason") {
    auto [none, r4] = fx.boot("stranger");
    CHECK(none.empty());
    CHECK(r4.status().code() != STATUS_CODE_OK);
    CHECK(r4.status().message().find("not enrolled") != std::string::npos);
  }
}

TEST_CASE("the boot assembler refuses a broken stream") {
  BootChunk a;
  a.mutable_overlay()->set_index(1); // chunk 0 missing
  a.mutable_overlay()->set_count(2);
  journal::boot_assembler b;
  CHECK(!b.feed(a));
  BootChunk done;
  done.mutable_complete()->set_overlay_chunks(2);
  journal::boot_assembler c;
  CHECK(!c.feed(done)); // marker without the promised chunks
}

TEST_CASE("the gateway refuses requests beyond its in-flight bound") {
  fixture fx{3};
  // Wait until the replica serves, then hold three watches open.
  JournalCommand bl;
  bl.set_kind(COMMAND_KIND_BLACKLIST_ADD);
  bl.mutable_scope()->set_global(true);
  bl.set_blacklist_pattern("/tmp/**");
  fx.command(bl);
  auto watch = fx.envelope();
  watch.mutable_watch()->set_after_sequence(1);
  watch.mutable_watch()->set_wait_ms(3000);
  std::vector<std::shared_ptr<journal::test::answer<std::string>>> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(fx.ask<std::string>(fx.gateway, api_atom::value,
                                       watch.SerializeAsString()));
  Request status;
  status.mutable_log()->set_limit(1);
  auto resp = fx.call(status);
  CHECK(resp.status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(resp.status().message().find("overloaded") != std::string::npos);
  // The held watches end empty after their wait; then requests pass again.
  auto answered = [&] {
    int n = 0;
    for (auto& h : held)
      n += h->done ? 1 : 0;
    return n;
  };
  CHECK(answered() == 0);
  REQUIRE_MESSAGE(fx.until([&] { return answered() == 3; },
                           std::chrono::seconds(10)),
                  "held watches never answered");
  resp = fx.call(status);
  CHECK(resp.status().code() == STATUS_CODE_OK);
}

TEST_CASE("a node's boot reads that node's record only, not every node's") {
  // The boot's authorization needs the booting node's vCluster; reading
  // every node record for it made each boot cost O(nodes) in the replica
  // and the gateway, and a boot storm of N agents O(N²)
  // (docs/benchmarks.md "Agent boot storm").
  fixture fx;
  fx.command(overlay_apply(2));
  for (const auto* node : {"n1", "n2", "n3"}) {
    JournalCommand enroll;
    enroll.set_kind(COMMAND_KIND_NODE_ENROLL);
    enroll.mutable_scope()->set_node(node);
    enroll.set_vcluster("ml");
    fx.command(enroll);
  }
  // Between the gateway and its replica: records the state reads.
  auto reads = std::make_shared<std::vector<StateRequest>>();
  auto replica
    = caf::actor_cast<caf::actor>(fx.sys.registry().get(journal::replica_name));
  REQUIRE(replica);
  auto spy = fx.sys.spawn(
    [replica, reads](caf::event_based_actor* self) -> caf::behavior {
      return {
        [self, replica, reads](query_atom, const std::string& bytes) {
          JournalQuery q;
          CHECK(q.ParseFromString(bytes));
          if (q.has_state())
            reads->push_back(q.state());
          return self->delegate(replica, query_atom::value, bytes);
        },
      };
    });
  // The registry keeps the first entry of a name (erase, then put). The
  // replica puts itself back on its next tick; time stands still from here
  // on (fx.run() delivers only what is due).
  auto install = [&fx](const caf::actor& a) {
    fx.sys.registry().erase(journal::replica_name);
    fx.sys.registry().put(journal::replica_name,
                          caf::actor_cast<caf::strong_actor_ptr>(a));
  };
  install(spy);
  policy::token_claims node;
  node.subject = "n2";
  node.issuer = "pact-dev";
  node.audience = "pact";
  node.groups = {"pact-node"};
  node.principal_type = "service";
  node.expires_at = fx.wall->now_unix_ms() / 1000 + 3600;
  fx.token = policy::sign_hs256(node, secret);

  auto [chunks, resp] = fx.boot("n2");
  REQUIRE_MESSAGE(resp.status().code() == STATUS_CODE_OK,
                  resp.status().message());
  CHECK(chunks.back().has_complete());
  REQUIRE(reads->size() == 1);
  CHECK(reads->front().node() == "n2");

  SUBCASE("another node's boot is still refused") {
    reads->clear();
    auto [none, refused] = fx.boot("n3");
    CHECK(none.empty());
    CHECK(refused.status().code() == STATUS_CODE_UNAUTHORIZED);
  }
  install(replica);
  caf::anon_send_exit(spy, caf::exit_reason::user_shutdown);
  fx.run();
}
