// Boot-config streaming through the gateway (issue 4 item 4): a replica
// and a gateway in one actor system; the test plays the agent, sending the
// request envelope and receiving the BootChunk stream (overlay chunks with
// version and checksum, the node's committed delta, the completion marker)
// before the reply, and reassembling it with the agent's boot_assembler.

#include <doctest/doctest.h>

#include <cstdlib>
#include <thread>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/journal/gateway.hpp"
#include "actors/journal/replica.hpp"
#include "actors/supervision/health_registry.hpp"
#include "actors/supervision/supervisor.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/journal/boot_assembler.hpp"
#include "runtime/policy/token.hpp"
#include <pact/protocol/api.pb.h>

using namespace pact;
using namespace pact::protocol;

namespace {

const std::string secret = "boot-config-test-secret-0123456789";

struct fixture {
  std::string dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor registry, sup, gateway;
  std::string token;

  explicit fixture(size_t max_in_flight = 4096) {
    char tmpl[] = "/tmp/pact-boot-XXXXXX";
    dir = mkdtemp(tmpl);
    protocol::configure(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    auto wall = std::make_shared<system_clock>();
    registry = supervision::spawn_health_registry(*sys, {"t", "1", "0"}, wall);
    journal::replica_config rc;
    rc.node_id = 1;
    rc.listen = {"127.0.0.1", std::make_shared<std::atomic<uint16_t>>(0),
                 nullptr};
    rc.data_dir = dir;
    rc.bootstrap.voters = {1};
    rc.tick = std::chrono::milliseconds(10);
    rc.metrics = std::make_shared<journal::raft_metrics>("1");
    rc.wall = wall;
    journal::gateway_config gc;
    gc.listen = {"127.0.0.1", std::make_shared<std::atomic<uint16_t>>(0),
                 nullptr};
    gc.registry = registry;
    gc.verifier.hmac_secret = secret;
    gc.wall = wall;
    gc.max_in_flight = max_in_flight;
    using supervision::health_handle;
    std::vector<supervision::child_spec> children{
      {"journal/replica", "raft-replica",
       [rc](caf::event_based_actor* s, const health_handle& h) {
         return journal::spawn_replica(s, h, rc);
       }},
      {"journal/gateway", "gateway",
       [gc](caf::event_based_actor* s, const health_handle& h) {
         return s->spawn(journal::gateway, h, gc);
       }}};
    sup = sys->spawn(supervision::supervisor,
                     supervision::supervisor_spec{{registry, "journal"},
                                                  children, {}});
    policy::token_claims claims;
    claims.subject = "boot-test";
    claims.issuer = "pact-dev";
    claims.audience = "pact";
    claims.groups = {"pact-platform-admin"};
    claims.expires_at = wall->now_unix_ms() / 1000 + 3600;
    token = policy::sign_hs256(claims, secret);
    caf::scoped_actor self{*sys};
    for (int i = 0; i < 400 && !gateway; ++i) {
      self->request(sup, std::chrono::seconds(1), child_atom::value,
                    std::string("journal/gateway"))
        .receive([&](caf::actor a) { gateway = a; }, [](caf::error&) {});
      if (!gateway)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    REQUIRE(gateway);
  }

  ~fixture() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    std::system(("rm -rf '" + dir + "'").c_str());
  }

  /// Sends one request; retries while the replica is still electing itself.
  Response call(Request req) {
    req.set_version(PROTOCOL_VERSION_1);
    req.set_token(token);
    caf::scoped_actor self{*sys};
    Response resp;
    for (int attempt = 0; attempt < 200; ++attempt) {
      self->request(gateway, std::chrono::seconds(5), api_atom::value,
                    req.SerializeAsString())
        .receive([&](const std::string& b) { resp.ParseFromString(b); },
                 [&](caf::error& e) { FAIL(caf::to_string(e)); });
      if (resp.status().code() != STATUS_CODE_UNAVAILABLE)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
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
    Request req;
    req.set_version(PROTOCOL_VERSION_1);
    req.set_token(token);
    auto* b = req.mutable_boot_config();
    b->set_node(node);
    b->set_have_version(have_version);
    b->set_have_checksum(have_checksum);
    b->set_chunk_bytes(chunk_bytes);
    caf::scoped_actor self{*sys};
    self->send(gateway, api_atom::value, req.SerializeAsString());
    std::vector<BootChunk> chunks;
    Response resp;
    bool replied = false;
    bool complete = false;
    // The stream ends with its completion marker; the reply may overtake
    // the chunks (CAF gives responses their own mailbox lane).
    while (!replied || (!complete && resp.status().code() == STATUS_CODE_OK))
      self->receive(
        [&](boot_chunk_atom, const std::string& bytes) {
          BootChunk c;
          REQUIRE(c.ParseFromString(bytes));
          complete = c.has_complete();
          chunks.push_back(c);
        },
        [&](const std::string& bytes) {
          resp.ParseFromString(bytes);
          replied = true;
        },
        caf::after(std::chrono::seconds(10)) >> [&] {
          FAIL("no boot-config reply");
        });
    return {chunks, resp};
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
    auto [again, r2] =
      fx.boot("n7", got.overlay->version(), got.overlay->checksum());
    REQUIRE(r2.status().code() == STATUS_CODE_OK);
    REQUIRE(again.size() == 1);
    CHECK(again[0].complete().up_to_date());
  }
  SUBCASE("a vCluster commit produces a new version") {
    fx.command(overlay_apply(3));
    auto [fresh, r3] =
      fx.boot("n7", got.overlay->version(), got.overlay->checksum());
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
    CHECK(r4.status().message().find("not enrolled")
          != std::string::npos);
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
  caf::scoped_actor self{*fx.sys};
  Request watch;
  watch.set_version(PROTOCOL_VERSION_1);
  watch.set_token(fx.token);
  watch.mutable_watch()->set_after_sequence(1);
  watch.mutable_watch()->set_wait_ms(3000);
  for (int i = 0; i < 3; ++i)
    self->send(fx.gateway, api_atom::value, watch.SerializeAsString());
  Request status;
  status.set_version(PROTOCOL_VERSION_1);
  status.set_token(fx.token);
  status.mutable_log()->set_limit(1);
  Response resp;
  self->request(fx.gateway, std::chrono::seconds(5), api_atom::value,
                status.SerializeAsString())
    .receive([&](const std::string& b) { resp.ParseFromString(b); },
             [&](caf::error& e) { FAIL(caf::to_string(e)); });
  CHECK(resp.status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(resp.status().message().find("overloaded") != std::string::npos);
  // The held watches end empty after their wait; then requests pass again.
  int answered = 0;
  while (answered < 3)
    self->receive([&](const std::string&) { ++answered; },
                  caf::after(std::chrono::seconds(10)) >> [&] {
                    FAIL("held watches never answered");
                  });
  self->request(fx.gateway, std::chrono::seconds(5), api_atom::value,
                status.SerializeAsString())
    .receive([&](const std::string& b) { resp.ParseFromString(b); },
             [&](caf::error& e) { FAIL(caf::to_string(e)); });
  CHECK(resp.status().code() == STATUS_CODE_OK);
}
