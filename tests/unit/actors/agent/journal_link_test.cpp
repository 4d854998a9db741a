// The journal link under CAF's deterministic test coordinator (issue 11
// item 1): boot from a (fake) gateway, boot from the cache while every
// replica fails and catch up when one answers, the jittered back-off, and
// node commands queued (bounded) while disconnected.

#include "actors/agent/journal_link.hpp"

#include <doctest/doctest.h>

#include <caf/send.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "actors/agent/agent_atoms.hpp"
#include "actors/supervision/health_registry.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/journal/journal_items.hpp"
#include "tests/unit/actors/coordinator_config.hpp"
#include "tests/unit/runtime/node/boot_test_util.hpp"

using namespace pact;
using namespace pact::agent;
using namespace pact::protocol;
using std::chrono::milliseconds;

namespace {

VClusterOverlay overlay_with(const std::string& motd, uint64_t version) {
  VClusterOverlay o;
  o.set_vcluster("ml");
  o.set_version(version);
  o.set_checksum("sum-" + std::to_string(version));
  auto* f = o.add_items();
  f->set_category(DELTA_CATEGORY_FILES);
  f->set_action(DELTA_ACTION_ADD);
  f->set_key("/etc/motd");
  f->set_value(R"({"content":")" + motd + R"(","mode":"0644"})");
  auto* k = o.add_items();
  k->set_category(DELTA_CATEGORY_KERNEL);
  k->set_action(DELTA_ACTION_ADD);
  k->set_key("vm.swappiness");
  k->set_value("10");
  return o;
}

/// What the fake gateway saw and serves.
struct journal_state {
  VClusterOverlay overlay = overlay_with("from the journal", 7);
  std::vector<std::string> global_blacklist;
  /// The node delta streamed after the overlay (node "n1").
  NodeDelta delta;
  int boots = 0;
  /// The next this many boots are refused as overloaded.
  int refuse_boots = 0;
  int reports = 0;
  std::vector<JournalCommand> commands;
  /// Tokens of the operator requests (request id op-*) it was sent.
  std::vector<std::string> operator_tokens;
  /// Refuses boot records as the gateway refuses a second agent's.
  bool another_agent_holds = false;
};

/// A gateway that streams `st->overlay` and accepts every command.
caf::behavior fake_gateway(caf::event_based_actor* self,
                           std::shared_ptr<journal_state> st) {
  return {
    [self, st](api_atom, const std::string& bytes, caf::actor& to) {
      Request req;
      REQUIRE(req.ParseFromString(bytes));
      if (req.request_id().rfind("op-", 0) == 0)
        st->operator_tokens.push_back(req.token());
      else
        CHECK(req.token() == "node-token");
      Response resp;
      resp.set_request_id(req.request_id());
      resp.mutable_status()->set_code(STATUS_CODE_OK);
      if (req.has_boot_config() && st->refuse_boots > 0) {
        ++st->boots;
        --st->refuse_boots;
        resp.mutable_status()->set_code(STATUS_CODE_UNAVAILABLE);
        resp.mutable_status()->set_message(
          "server overloaded: more than 4096 requests in flight; retry later");
      } else if (req.has_boot_config()) {
        ++st->boots;
        BootChunk c;
        auto* oc = c.mutable_overlay();
        oc->set_vcluster("ml");
        oc->set_version(st->overlay.version());
        oc->set_checksum(st->overlay.checksum());
        oc->set_count(1);
        oc->set_data(st->overlay.SerializeAsString());
        self->send(to, boot_chunk_atom::value, c.SerializeAsString());
        BootChunk delta;
        *delta.mutable_node_delta() = st->delta;
        delta.mutable_node_delta()->set_node("n1");
        self->send(to, boot_chunk_atom::value, delta.SerializeAsString());
        BootChunk done;
        auto* bc = done.mutable_complete();
        bc->set_vcluster("ml");
        bc->set_version(st->overlay.version());
        bc->set_checksum(st->overlay.checksum());
        bc->set_overlay_chunks(1);
        bc->set_last_sequence(st->overlay.version());
        for (const auto& p : st->global_blacklist)
          bc->add_global_blacklist(p);
        self->send(to, boot_chunk_atom::value, done.SerializeAsString());
      } else if (req.has_command()) {
        st->commands.push_back(req.command().command());
        if (st->another_agent_holds
            && req.command().command().record_type()
                 == ENTRY_TYPE_BOOT_CONFIG) {
          resp.mutable_status()->set_code(STATUS_CODE_CONFLICT);
          resp.mutable_status()->set_message(
            "node 'n1' is served by another pact-agent (its API at "
            "http://real:9445)");
        }
      }
      self->send(to, resp.SerializeAsString());
    },
    [st](node_report_atom, const std::string&) { ++st->reports; },
  };
}

/// Collects what the link hands to the drift watcher and the supervisor.
struct handed {
  std::string overlay;
  std::string delta;
  int declared = 0;
  int services = 0;
  /// What the boot's items held before it applied them (undeclared_atom).
  std::string before;
};

caf::behavior probe(caf::event_based_actor*, std::shared_ptr<handed> h) {
  return {
    [h](declared_state_atom, const std::string& o, const std::string& d) {
      h->overlay = o;
      h->delta = d;
      ++h->declared;
    },
    [h](declared_services_atom, const std::string&, const std::string&) {
      ++h->services;
    },
    [h](undeclared_atom, const std::string& b) { h->before = b; },
  };
}

struct fixture : pact::test::coordinated_system {
  node::test::temp_root root;
  node::test::temp_root state;
  std::shared_ptr<journal_state> js = std::make_shared<journal_state>();
  std::shared_ptr<handed> got = std::make_shared<handed>();
  caf::actor gateway = sys.spawn(fake_gateway, js);
  caf::actor registry
    = supervision::spawn_health_registry(sys, {"agent", "n1", "0"}, wall);
  caf::actor link;
  /// Whether the journal answers.
  std::shared_ptr<bool> up = std::make_shared<bool>(true);
  std::shared_ptr<int> attempts = std::make_shared<int>(0);
  std::shared_ptr<node::boot_cache> cache;

  fixture() {
    { std::ofstream(state.path + "/token") << "node-token\n"; }
    auto c = node::boot_cache::open(state.path + "/cache");
    REQUIRE(c);
    cache = std::move(*c);
  }

  journal_link_config config() {
    journal_link_config lc;
    lc.journals = {endpoint{false, "j1", 9443}, endpoint{false, "j2", 9443}};
    lc.registry = registry;
    lc.node_id = "n1";
    lc.vcluster = "ml";
    lc.agent_endpoint = [] { return std::string("http://n1:9445"); };
    lc.token_file = state.path + "/token";
    lc.state_dir = state.path;
    lc.cache = cache;
    lc.host.root = root.path;
    lc.host.run = [](const std::vector<std::string>&) -> status { return {}; };
    // The top of every range: the delay is the cap (1 s, 2 s, …).
    lc.jitter = [](uint64_t bound) { return bound; };
    lc.wall = wall;
    auto p = sys.spawn(probe, got);
    lc.services = p;
    lc.drift_watcher = [p] { return p; };
    auto gw = gateway;
    auto is_up = up;
    auto n = attempts;
    lc.connector = [gw, is_up, n](caf::event_based_actor*,
                                  const endpoint& target,
                                  std::function<void(caf::actor)> ok,
                                  std::function<void(std::string)> fail) {
      ++*n;
      if (*is_up)
        ok(gw);
      else
        fail("journal unreachable at " + target.url());
    };
    return lc;
  }

  void start(journal_link_config lc) {
    link = sys.spawn(journal_link,
                     supervision::health_handle{registry, "agent/journal-link"},
                     std::move(lc));
    caf::anon_send(registry, health_register_atom::value,
                   std::string("agent/journal-link"),
                   std::string("journal-link"), std::string(), link);
    run();
  }

  std::string link_detail() {
    return link_health().second;
  }

  std::pair<ActorState, std::string> link_health() {
    std::pair<ActorState, std::string> out;
    sys.spawn([&](caf::event_based_actor* self) {
      self->request(registry, caf::infinite, health_snapshot_atom::value)
        .then([&](const std::string& bytes) {
          HealthTree t;
          REQUIRE(t.ParseFromString(bytes));
          for (const auto& a : t.actors())
            if (a.name() == "agent/journal-link")
              out = {a.state(), a.detail()};
        });
    });
    run();
    return out;
  }

  void stop_link() {
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    run();
  }

  /// An operator's request through the link (operator_call_atom).
  Response operator_call(const JournalCommand& cmd) {
    Request req;
    req.set_token("operator-token");
    *req.mutable_command()->mutable_command() = cmd;
    Response resp;
    sys.spawn([&](caf::event_based_actor* self) {
      self
        ->request(link, caf::infinite, operator_call_atom::value,
                  req.SerializeAsString())
        .then([&](const std::string& bytes) {
          REQUIRE(resp.ParseFromString(bytes));
        });
    });
    run();
    return resp;
  }

  ~fixture() {
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
    run();
  }
};

JournalCommand drift(const std::string& path) {
  JournalCommand c;
  c.set_kind(COMMAND_KIND_DRIFT_DETECTED);
  c.mutable_scope()->set_node("n1");
  auto* i = c.mutable_state_delta()->add_items();
  i->set_category(DELTA_CATEGORY_FILES);
  i->set_action(DELTA_ACTION_MODIFY);
  i->set_key(path);
  return c;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "the link boots from the journal, caches, hands "
                           "off and records its endpoint") {
  start(config());
  CHECK(js->boots == 1);
  CHECK(root.read("/etc/motd") == "from the journal");
  CHECK(root.read("/proc/sys/vm/swappiness") == "10\n");
  auto cached = cache->load();
  REQUIRE(cached);
  REQUIRE(cached->has_value());
  CHECK((*cached)->overlay.version() == 7);
  CHECK(got->declared == 1);
  CHECK(got->overlay == js->overlay.SerializeAsString());
  CHECK(got->services == 1);
  // Before the boot wrote them, neither item existed under the root.
  StateDelta before;
  REQUIRE(before.ParseFromString(got->before));
  REQUIRE(before.items_size() == 1);
  CHECK(before.items(0).key() == "/etc/motd");
  CHECK(before.items(0).action() == DELTA_ACTION_REMOVE);
  REQUIRE(js->commands.size() == 1);
  const auto& rec = js->commands[0];
  CHECK(rec.kind() == COMMAND_KIND_RECORD);
  CHECK(rec.record_type() == ENTRY_TYPE_BOOT_CONFIG);
  CHECK(rec.agent_endpoint() == "http://n1:9445");
  CHECK(rec.scope().node() == "n1");
  CHECK_FALSE(rec.client_request_id().empty());
  CHECK(link_detail().find("booted from the journal at http://j1:9443")
        != std::string::npos);
  CHECK(*attempts == 1);
}

TEST_CASE_FIXTURE(fixture, "an item an update declares has what it held "
                           "before remembered, as the boot's have") {
  // Tester, issue 11: only the boot read what its items held, so a file
  // declared later stayed when its declaration was dropped.
  start(config());
  { std::ofstream(root.path + "/etc/app.conf") << "local\n"; }
  js->overlay = overlay_with("from the journal", 8);
  auto* f = js->overlay.add_items();
  f->set_category(DELTA_CATEGORY_FILES);
  f->set_action(DELTA_ACTION_ADD);
  f->set_key("/etc/app.conf");
  f->set_value(R"({"content":"managed\n","mode":"0644"})");
  sched.advance_time(std::chrono::seconds(10));
  run();
  REQUIRE(got->declared == 2);
  CHECK(root.read("/etc/app.conf") == "managed\n");
  StateDelta before;
  REQUIRE(before.ParseFromString(got->before));
  std::map<std::string, std::string> held;
  for (const auto& i : before.items())
    held[i.key()] = i.action() == DELTA_ACTION_REMOVE ? "(absent)" : i.value();
  CHECK(held
        == std::map<std::string, std::string>{{"/etc/app.conf", "local\n"},
                                              {"/etc/motd", "(absent)"}});
}

TEST_CASE_FIXTURE(fixture, "every replica down: boot from the cache, back "
                           "off with jitter, catch up when one answers") {
  REQUIRE(cache->store({overlay_with("from the cache", 3), {}, 1000, "n1"}));
  *up = false;
  start(config());
  // Both endpoints tried in one round, then the cache.
  CHECK(*attempts == 2);
  CHECK(root.read("/etc/motd") == "from the cache");
  CHECK(got->declared == 1);
  CHECK(js->commands.empty()); // no boot record from the cache
  CHECK(link_detail().find("running from the boot cache") != std::string::npos);
  // The first back-off is the whole first cap, 1 s (pinned jitter).
  sched.advance_time(milliseconds(999));
  run();
  CHECK(*attempts == 2);
  sched.advance_time(milliseconds(1));
  run();
  CHECK(*attempts == 4);
  // The next round waits 2 s.
  sched.advance_time(milliseconds(1999));
  run();
  CHECK(*attempts == 4);
  *up = true;
  sched.advance_time(milliseconds(1));
  run();
  CHECK(*attempts == 5);
  CHECK(root.read("/etc/motd") == "from the journal");
  auto cached = cache->load();
  REQUIRE(cached);
  CHECK((*cached)->overlay.version() == 7);
  CHECK(link_detail().find("caught up") != std::string::npos);
  REQUIRE(js->commands.size() == 1);
  CHECK(js->commands[0].record_type() == ENTRY_TYPE_BOOT_CONFIG);
}

TEST_CASE_FIXTURE(fixture, "node commands wait while no replica answers, "
                           "the oldest dropped past the bound") {
  *up = false;
  auto lc = config();
  lc.max_queued_commands = 2;
  start(std::move(lc));
  for (const char* path : {"/etc/a", "/etc/b", "/etc/c"})
    caf::anon_send(link, node_command_atom::value,
                   drift(path).SerializeAsString());
  run();
  CHECK(js->commands.empty());
  *up = true;
  sched.advance_time(milliseconds(1000));
  run();
  // /etc/a was dropped; the rest in order, then the boot record.
  REQUIRE(js->commands.size() == 3);
  CHECK(js->commands[0].state_delta().items(0).key() == "/etc/b");
  CHECK(js->commands[1].state_delta().items(0).key() == "/etc/c");
  CHECK(js->commands[2].record_type() == ENTRY_TYPE_BOOT_CONFIG);
  CHECK(js->commands[0].client_request_id()
        != js->commands[1].client_request_id());
}

TEST_CASE_FIXTURE(fixture, "a node credential that cannot be read shows in "
                           "the link's health detail") {
  *up = false;
  auto lc = config();
  lc.token_file = state.path + "/missing.token";
  start(std::move(lc));
  auto detail = link_detail();
  CHECK(detail.find("every journal replica failed") != std::string::npos);
  CHECK(detail.find(state.path + "/missing.token: cannot open")
        != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a replica behind what the node applied is not "
                           "applied: no configuration goes back") {
  start(config());
  REQUIRE(root.read("/etc/motd") == "from the journal");
  // The link's next steady-state ask reaches a replica that restarted and
  // has not caught up: it serves an older overlay of the same vCluster.
  js->overlay = overlay_with("older", 5);
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->boots == 2);
  CHECK(root.read("/etc/motd") == "from the journal");
  auto cached = cache->load();
  REQUIRE(cached);
  CHECK((*cached)->overlay.version() == 7);
  auto detail = link_detail();
  CHECK(detail.find("is behind what this node applied (it is at entry 5, "
                    "this node applied entry 7)")
        != std::string::npos);
  // Once it has caught up past it, the newer overlay is applied.
  js->overlay = overlay_with("newer", 8);
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(root.read("/etc/motd") == "newer");
}

TEST_CASE_FIXTURE(fixture, "a restart that booted from a newer cache keeps "
                           "it over a lagging replica's older overlay") {
  REQUIRE(cache->store({overlay_with("from the cache", 9), {}, 1000, "n1"}));
  *up = false;
  start(config());
  REQUIRE(root.read("/etc/motd") == "from the cache");
  *up = true; // the replica that answers is at version 7
  sched.advance_time(milliseconds(1000));
  run();
  CHECK(js->boots == 1);
  CHECK(root.read("/etc/motd") == "from the cache");
  auto cached = cache->load();
  REQUIRE(cached);
  CHECK((*cached)->overlay.version() == 9);
  CHECK(link_detail().find("is behind what this node applied (it is at "
                           "entry 7, this node applied entry 9)")
        != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a change of the journal's global blacklist "
                           "reaches the drift watcher without an overlay "
                           "change") {
  start(config());
  REQUIRE(got->declared == 1);
  auto blacklist_handed = [&] {
    VClusterOverlay o;
    REQUIRE(o.ParseFromString(got->overlay));
    return std::vector<std::string>(o.policy().blacklist().begin(),
                                    o.policy().blacklist().end());
  };
  CHECK(blacklist_handed().empty());
  // `pact blacklist add /scratch/**` (global): the overlay is unchanged.
  js->global_blacklist = {"/scratch/**"};
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(got->declared == 2);
  CHECK(blacklist_handed() == std::vector<std::string>{"/scratch/**"});
  CHECK(root.read("/etc/motd") == "from the journal"); // nothing re-applied
  // Unchanged: not handed again.
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(got->declared == 2);
  // Removed again: the watcher gets the overlay's own patterns only.
  js->global_blacklist.clear();
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(got->declared == 3);
  CHECK(blacklist_handed().empty());
}

TEST_CASE_FIXTURE(fixture, "the link does nothing until it may start") {
  // main opens the gate once the agent API has bound its port: an agent
  // whose port is taken exits without applying or recording anything.
  REQUIRE(cache->store({overlay_with("from the cache", 3), {}, 1000, "n1"}));
  auto open = std::make_shared<bool>(false);
  auto lc = config();
  lc.may_start = [open] { return *open; };
  start(std::move(lc));
  sched.advance_time(milliseconds(500));
  run();
  CHECK(*attempts == 0);
  CHECK(js->boots == 0);
  CHECK(root.read("/etc/motd").empty()); // not even from the cache
  CHECK(js->commands.empty());
  *open = true;
  sched.advance_time(milliseconds(10));
  run();
  CHECK(*attempts == 1);
  CHECK(root.read("/etc/motd") == "from the journal");
}

TEST_CASE_FIXTURE(fixture, "an operator's request goes with the operator's "
                           "token, and fails at once while disconnected") {
  *up = false;
  start(config());
  auto resp = operator_call(drift("/etc/a"));
  CHECK(resp.status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(resp.status().message().find("nothing was written")
        != std::string::npos);
  CHECK(js->commands.empty()); // not queued: the operator is waiting
  *up = true;
  sched.advance_time(milliseconds(1000));
  run();
  auto booted = js->commands.size();
  resp = operator_call(drift("/etc/b"));
  CHECK(resp.status().code() == STATUS_CODE_OK);
  REQUIRE(js->commands.size() == booted + 1);
  CHECK(js->commands.back().state_delta().items(0).key() == "/etc/b");
  CHECK(js->operator_tokens == std::vector<std::string>{"operator-token"});
}

TEST_CASE_FIXTURE(fixture, "a change of only the node's window reaches the "
                           "drift watcher, nothing is applied again") {
  start(config());
  REQUIRE(got->declared == 1);
  // `pact extend`: the node record's window moves, its items do not.
  js->delta.set_window_ends_unix_ms(1'700'000'900'000);
  { std::ofstream(root.path + "/etc/motd") << "local drift"; }
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->boots == 2);
  CHECK(got->declared == 2);
  CHECK(got->services == 1);
  NodeDelta handed_delta;
  REQUIRE(handed_delta.ParseFromString(got->delta));
  CHECK(handed_delta.window_ends_unix_ms() == 1'700'000'900'000);
  // Drift is the window's business, not the link's.
  CHECK(root.read("/etc/motd") == "local drift");
  // Nothing moved: nothing handed again.
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->boots == 3);
  CHECK(got->declared == 2);
}

TEST_CASE_FIXTURE(fixture, "a committed drift is not applied back over an "
                           "edit made right after the commit") {
  // `pact commit` of the node's drift records the node's own values; the
  // next boot answer declares them. Counted as a change, they were applied
  // again and overwrote the operator's next edit (tester, issue 11).
  start(config());
  REQUIRE(root.read("/etc/motd") == "from the journal");
  JournalCommand c;
  c.set_kind(COMMAND_KIND_COMMIT);
  c.mutable_scope()->set_node("n1");
  auto* i = c.mutable_state_delta()->add_items();
  i->set_category(DELTA_CATEGORY_FILES);
  i->set_action(DELTA_ACTION_MODIFY);
  i->set_key("/etc/motd");
  i->set_value(R"({"content":"committed","mode":"0644"})");
  REQUIRE(operator_call(c).status().code() == STATUS_CODE_OK);
  // The journal now declares the committed value for the node ...
  journal::merge_node_list(js->delta.mutable_items(), c.state_delta());
  // ... and the operator edits the file again before the link asks.
  { std::ofstream(root.path + "/etc/motd") << "edited after the commit"; }
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->boots == 2);
  CHECK(root.read("/etc/motd") == "edited after the commit");
}

TEST_CASE_FIXTURE(fixture, "a boot refused as overloaded is asked again after "
                           "the back-off, not a report interval later") {
  js->refuse_boots = 2;
  start(config());
  CHECK(js->boots == 1);
  CHECK(root.read("/etc/motd").empty());
  CHECK(link_detail().find("refused the boot: server overloaded")
        != std::string::npos);
  // Pinned jitter: 1 s, then 2 s, each far below the 10 s report interval.
  sched.advance_time(milliseconds(999));
  run();
  CHECK(js->boots == 1);
  sched.advance_time(milliseconds(1));
  run();
  CHECK(js->boots == 2);
  sched.advance_time(milliseconds(2000));
  run();
  CHECK(js->boots == 3);
  CHECK(root.read("/etc/motd") == "from the journal");
  CHECK(link_detail().find("booted from the journal") != std::string::npos);
  CHECK(*attempts == 1); // the same connection throughout
}

TEST_CASE_FIXTURE(fixture, "a boot cache written for another node is not "
                           "applied") {
  // A state directory copied from node n9 (tester, issue 11): its
  // configuration must not make this node n9.
  REQUIRE(cache->store({overlay_with("n9's motd", 3), {}, 1000, "n9"}));
  *up = false;
  start(config());
  CHECK(root.read("/etc/motd").empty());
  CHECK(got->declared == 0);
  // This node's own cache is used.
  REQUIRE(cache->store({overlay_with("from the cache", 3), {}, 1000, "n1"}));
  auto cached = cache->load();
  REQUIRE(cached);
  REQUIRE(cached->has_value());
  CHECK((*cached)->node_id == "n1");
}

TEST_CASE_FIXTURE(fixture, "node commands queued while the journal is down "
                           "survive an agent stop and are sent in order "
                           "after the restart") {
  // Tester, issue 11: an auto-converge and its resolution queued while the
  // journal was down were lost when the agent stopped.
  *up = false;
  start(config());
  JournalCommand converge;
  converge.set_kind(COMMAND_KIND_AUTO_CONVERGE);
  converge.mutable_scope()->set_node("n1");
  JournalCommand resolved;
  resolved.set_kind(COMMAND_KIND_RECORD);
  resolved.set_record_type(ENTRY_TYPE_DRIFT_RESOLVED);
  resolved.mutable_scope()->set_node("n1");
  for (const auto& c : {drift("/etc/a"), converge, resolved})
    caf::anon_send(link, node_command_atom::value, c.SerializeAsString());
  run();
  auto kept = cache->outbox_load();
  REQUIRE(kept);
  CHECK(kept->size() == 3);
  stop_link();
  // The agent starts again; the journal answers.
  *up = true;
  start(config());
  REQUIRE(js->commands.size() == 4);
  CHECK(js->commands[0].kind() == COMMAND_KIND_DRIFT_DETECTED);
  CHECK(js->commands[1].kind() == COMMAND_KIND_AUTO_CONVERGE);
  CHECK(js->commands[2].record_type() == ENTRY_TYPE_DRIFT_RESOLVED);
  CHECK(js->commands[3].record_type() == ENTRY_TYPE_BOOT_CONFIG);
  // Each once, with the id it was queued with (a retry applies once).
  CHECK_FALSE(js->commands[0].client_request_id().empty());
  kept = cache->outbox_load();
  REQUIRE(kept);
  CHECK(kept->empty()); // accepted: forgotten
}

TEST_CASE_FIXTURE(fixture, "the durable outbox is bounded: the oldest goes "
                           "first, on disk too") {
  *up = false;
  auto lc = config();
  lc.max_queued_commands = 2;
  start(lc);
  for (const char* path : {"/etc/a", "/etc/b", "/etc/c"})
    caf::anon_send(link, node_command_atom::value,
                   drift(path).SerializeAsString());
  run();
  auto kept = cache->outbox_load();
  REQUIRE(kept);
  REQUIRE(kept->size() == 2);
  JournalCommand first;
  REQUIRE(first.ParseFromString(kept->front().second));
  CHECK(first.state_delta().items(0).key() == "/etc/b");
  stop_link();
  *up = true;
  start(lc);
  REQUIRE(js->commands.size() == 3);
  CHECK(js->commands[0].state_delta().items(0).key() == "/etc/b");
  CHECK(js->commands[1].state_delta().items(0).key() == "/etc/c");
}

TEST_CASE_FIXTURE(fixture, "an empty node credential file: degraded, the "
                           "agent's own words, nothing refused; back when "
                           "the credential is") {
  { std::ofstream(state.path + "/token", std::ios::trunc); }
  start(config());
  // Nothing is sent with an empty token (the fake gateway checks it).
  CHECK(js->boots == 0);
  auto [st, detail] = link_health();
  CHECK(st == ACTOR_STATE_DEGRADED);
  CHECK(detail.find("the node credential file " + state.path
                    + "/token (agent.token_file) is empty")
        != std::string::npos);
  CHECK(detail.find("PACT_TOKEN") == std::string::npos);
  { std::ofstream(state.path + "/token") << "node-token\n"; }
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->boots == 1);
  std::tie(st, detail) = link_health();
  CHECK(st == ACTOR_STATE_RUNNING);
  CHECK(detail.find("is empty") == std::string::npos);
  CHECK(detail.find("booted from the journal") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a node credential file emptied while the agent "
                           "runs degrades the link until it is back") {
  start(config());
  REQUIRE(link_health().first == ACTOR_STATE_RUNNING);
  { std::ofstream(state.path + "/token", std::ios::trunc); }
  sched.advance_time(std::chrono::seconds(10));
  run();
  auto [st, detail] = link_health();
  CHECK(st == ACTOR_STATE_DEGRADED);
  CHECK(detail.find("is empty; using the credential read before")
        != std::string::npos);
  CHECK(detail.find("PACT_TOKEN") == std::string::npos);
  // The credential read before still works: commands are not refused.
  caf::anon_send(link, node_command_atom::value,
                 drift("/etc/a").SerializeAsString());
  run();
  CHECK(js->commands.back().kind() == COMMAND_KIND_DRIFT_DETECTED);
  { std::ofstream(state.path + "/token") << "node-token\n"; }
  sched.advance_time(std::chrono::seconds(10));
  run();
  std::tie(st, detail) = link_health();
  CHECK(st == ACTOR_STATE_RUNNING);
  CHECK(detail.find("empty") == std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a policy-only overlay change records no "
                           "boot-config entry") {
  start(config());
  REQUIRE(js->commands.size() == 1);
  auto o = js->overlay;
  o.set_version(8);
  o.set_checksum("sum-8");
  o.mutable_policy()->set_enforcement_mode(ENFORCEMENT_MODE_ENFORCE);
  js->overlay = o;
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->boots == 2);
  CHECK(got->declared == 2); // the watcher hears of the new policy
  CHECK(js->commands.size() == 1);
  // An item change is recorded.
  js->overlay = overlay_with("changed", 9);
  sched.advance_time(std::chrono::seconds(10));
  run();
  REQUIRE(js->commands.size() == 2);
  CHECK(js->commands[1].message().find("1 applied") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a boot that writes over an uncommitted local edit "
                           "says so in its boot record") {
  // The previous boot applied the journal's overlay; the operator then
  // edited motd and the agent restarted (tester, issue 11).
  REQUIRE(cache->store({js->overlay, {}, 1000, "n1"}));
  REQUIRE(std::system(("mkdir -p " + root.path + "/etc").c_str()) == 0);
  { std::ofstream(root.path + "/etc/motd") << "a local edit"; }
  start(config());
  CHECK(root.read("/etc/motd") == "from the journal");
  REQUIRE(js->commands.size() == 1);
  const auto& rec = js->commands[0];
  CHECK(rec.record_type() == ENTRY_TYPE_BOOT_CONFIG);
  CHECK(rec.message().find("replaced 1 uncommitted local edit(s): ")
        != std::string::npos);
  REQUIRE(rec.state_delta().items_size() == 1);
  CHECK(rec.state_delta().items(0).key() == "/etc/motd");
  CHECK(rec.state_delta().items(0).value() == "a local edit");
}

TEST_CASE_FIXTURE(fixture, "an agent refused as a second agent of its node "
                           "says so, and takes the node once it is free") {
  js->another_agent_holds = true;
  start(config());
  REQUIRE(js->commands.size() == 1);
  auto [st, detail] = link_health();
  CHECK(st == ACTOR_STATE_DEGRADED);
  CHECK(detail.find("refused as a second agent of the node: node 'n1' is "
                    "served by another pact-agent (its API at "
                    "http://real:9445)")
        != std::string::npos);
  // Asked again at each report, one record at a time.
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->commands.size() == 2);
  js->another_agent_holds = false; // the other agent is gone
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->commands.size() == 3);
  std::tie(st, detail) = link_health();
  CHECK(st == ACTOR_STATE_RUNNING);
  CHECK(detail.find("second agent") == std::string::npos);
  sched.advance_time(std::chrono::seconds(10));
  run();
  CHECK(js->commands.size() == 3); // the node's agent: no more claims
}
