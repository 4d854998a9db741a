// journal_reader (the read side of the journal service): `pact log`,
// declared state, `pact watch`, the boot-config stream and its overlay
// cache, and the scope syntax shared with the CLI.

#include <doctest/doctest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_query.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// A journal with two vClusters, enrolled and unenrolled nodes and a global
/// entry, every command one second after the previous one:
///
///   1 vc:ml    overlay apply          6 node:n2  commit vm.y=8
///   2 vc:ai    overlay apply          7 global   commit vm.g=1
///   3 node:n1  enrolled in ml         8 vc:ml    commit vm.a 1 -> 2
///   4 node:n2  enrolled in ai         9 node:n3  commit (not enrolled)
///   5 node:n1  commit vm.x=7
struct journal_fixture {
  harness h;
  int64_t ts = t0_ms;

  uint64_t run(JournalCommand c) {
    c.set_timestamp_unix_ms(ts += 1000);
    return h.ok(c);
  }

  void enroll(const std::string& node, const std::string& vc) {
    auto c = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope(node));
    c.set_vcluster(vc);
    run(c);
  }

  JournalCommand declared_commit(const Scope& scope, DeltaAction action,
                                 const std::string& key,
                                 const std::string& value) {
    auto c = make_cmd(COMMAND_KIND_COMMIT, scope);
    *c.mutable_state_delta()->add_items() = make_item(DELTA_CATEGORY_KERNEL,
                                                      action, key, value);
    return c;
  }

  journal_fixture() {
    REQUIRE(run(overlay_apply("ml", {{"vm.a", "1"}})) == 1);
    REQUIRE(run(overlay_apply("ai", {{"vm.c", "3"}})) == 2);
    enroll("n1", "ml");
    enroll("n2", "ai");
    run(node_commit("n1", "vm.x", "7"));
    run(node_commit("n2", "vm.y", "8"));
    run(declared_commit(global_scope(), DELTA_ACTION_ADD, "vm.g", "1"));
    run(
      declared_commit(vcluster_scope("ml"), DELTA_ACTION_MODIFY, "vm.a", "2"));
    REQUIRE(run(node_commit("n3", "vm.z", "9")) == 9);
  }

  const config_state_machine& sm() const {
    return h.sm;
  }
};

std::vector<uint64_t>
sequences_of(const google::protobuf::RepeatedPtrField<ConfigEntry>& entries) {
  std::vector<uint64_t> out;
  for (const auto& e : entries)
    out.push_back(e.sequence());
  return out;
}

using seqs = std::vector<uint64_t>;

LogReply log_of(const journal_reader& r, const config_state_machine& sm,
                const LogRequest& req) {
  JournalQuery q;
  *q.mutable_log() = req;
  auto a = r.answer(sm, q);
  if (!a)
    FAIL("log refused: " << a.err().message);
  REQUIRE(a->has_log());
  return a->log();
}

std::string log_error(const journal_reader& r, const config_state_machine& sm,
                      const LogRequest& req) {
  JournalQuery q;
  *q.mutable_log() = req;
  auto a = r.answer(sm, q);
  REQUIRE_FALSE(a);
  return a.err().message;
}

StateReply state_of(const journal_reader& r, const config_state_machine& sm,
                    const std::string& vc, const std::string& node) {
  JournalQuery q;
  q.mutable_state()->set_vcluster(vc);
  q.mutable_state()->set_node(node);
  auto a = r.answer(sm, q);
  REQUIRE(a);
  REQUIRE(a->has_state());
  return a->state();
}

WatchRequest watch_req(uint64_t after, const std::string& vc = {},
                       uint32_t max_entries = 0) {
  WatchRequest w;
  w.set_after_sequence(after);
  w.set_vcluster(vc);
  w.set_max_entries(max_entries);
  return w;
}

BootConfigRequest boot_req(const std::string& node, const std::string& vc = {},
                           uint32_t chunk_bytes = 0) {
  BootConfigRequest b;
  b.set_node(node);
  b.set_vcluster(vc);
  b.set_chunk_bytes(chunk_bytes);
  return b;
}

std::string boot_error(const journal_reader& r, const config_state_machine& sm,
                       const BootConfigRequest& req) {
  auto a = r.boot(sm, req);
  REQUIRE_FALSE(a);
  return a.err().message;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

// -- parse_scope -------------------------------------------------------------

TEST_CASE("parse_scope accepts global, vc:X, vcluster:X and node:X") {
  auto g = parse_scope("global");
  REQUIRE(g);
  CHECK(g->target_case() == Scope::kGlobal);
  for (const char* text : {"vc:ml", "vcluster:ml"}) {
    CAPTURE(text);
    auto s = parse_scope(text);
    REQUIRE(s);
    REQUIRE(s->target_case() == Scope::kVcluster);
    CHECK(s->vcluster() == "ml");
  }
  auto n = parse_scope("node:gpu-01.rack_2");
  REQUIRE(n);
  REQUIRE(n->target_case() == Scope::kNode);
  CHECK(n->node() == "gpu-01.rack_2");
}

TEST_CASE("parse_scope rejects anything else and names the text") {
  for (const char* text : {"", "GLOBAL", "globalx", "ml", "vc", "vc:", "node:",
                           "cluster:ml", "Vc:ml", ":ml", "node:-n1",
                           "vc:.hidden", "vc:a/b", "node:a b", "vc:ml:x"}) {
    CAPTURE(text);
    auto s = parse_scope(text);
    REQUIRE_FALSE(s);
    CHECK(contains(s.err().message, "'" + std::string(text) + "'"));
  }
  // Names are at most 63 bytes.
  auto long_name = std::string(64, 'a');
  CHECK_FALSE(parse_scope("node:" + long_name));
  CHECK(parse_scope("node:" + std::string(63, 'a')));
}

// -- log ---------------------------------------------------------------------

TEST_CASE("log: newest first, limited, optionally one scope") {
  journal_fixture f;
  journal_reader r;
  LogRequest req;
  req.set_limit(3);
  auto out = log_of(r, f.sm(), req);
  CHECK(sequences_of(out.entries()) == seqs{9, 8, 7});
  CHECK(out.last_sequence() == 9);
  CHECK(out.total_entries() == 9);
  CHECK_FALSE(out.verified()); // not asked for
  // No limit: up to 20, i.e. everything here.
  req.set_limit(0);
  CHECK(sequences_of(log_of(r, f.sm(), req).entries())
        == seqs{9, 8, 7, 6, 5, 4, 3, 2, 1});
  req.set_scope("node:n1");
  CHECK(sequences_of(log_of(r, f.sm(), req).entries()) == seqs{5, 3});
  for (const char* scope : {"vc:ml", "vcluster:ml"}) {
    req.set_scope(scope);
    CHECK(sequences_of(log_of(r, f.sm(), req).entries()) == seqs{8, 1});
  }
  req.set_scope("global");
  CHECK(sequences_of(log_of(r, f.sm(), req).entries()) == seqs{7});
  req.set_scope("node:nobody");
  auto none = log_of(r, f.sm(), req);
  CHECK(none.entries_size() == 0);
  CHECK(none.last_sequence() == 9);
  req.set_scope("vc:ml");
  req.set_limit(1);
  CHECK(sequences_of(log_of(r, f.sm(), req).entries()) == seqs{8});
}

TEST_CASE("log: a limit above the cap is cut to max_log_entries") {
  config_state_machine sm;
  int64_t ts = t0_ms;
  for (uint32_t i = 0; i < max_log_entries + 5; ++i) {
    auto c = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"), ++ts);
    c.set_record_type(ENTRY_TYPE_SERVICE_LIFECYCLE);
    REQUIRE(sm.execute(c).status().code() == STATUS_CODE_OK);
  }
  journal_reader r;
  LogRequest req;
  req.set_limit(max_log_entries + 5);
  auto out = log_of(r, sm, req);
  CHECK(out.entries_size() == static_cast<int>(max_log_entries));
  CHECK(out.entries(0).sequence() == max_log_entries + 5);
  CHECK(out.total_entries() == max_log_entries + 5);
}

TEST_CASE("log: a bad scope is refused with the text") {
  journal_fixture f;
  journal_reader r;
  LogRequest req;
  req.set_scope("rack:7");
  CHECK(contains(log_error(r, f.sm(), req), "'rack:7'"));
}

TEST_CASE("log: one sequence, and the error for a missing one") {
  journal_fixture f;
  journal_reader r;
  LogRequest req;
  req.set_sequence(4);
  req.set_limit(1);
  req.set_scope("node:n1"); // ignored with a sequence
  auto out = log_of(r, f.sm(), req);
  REQUIRE(out.entries_size() == 1);
  CHECK(out.entries(0).sequence() == 4);
  CHECK(out.entries(0).entry_type() == ENTRY_TYPE_NODE_ENROLLED);
  CHECK(out.entries(0).vcluster() == "ai");
  CHECK(out.last_sequence() == 9);
  CHECK(out.total_entries() == 9);
  req.set_sequence(10);
  auto err = log_error(r, f.sm(), req);
  CHECK(contains(err, "no entry 10"));
  CHECK(contains(err, "the journal has 9"));
}

TEST_CASE("log --verify: true on an intact chain") {
  journal_fixture f;
  journal_reader r;
  LogRequest req;
  req.set_verify(true);
  req.set_limit(2);
  auto out = log_of(r, f.sm(), req);
  CHECK(out.verified());
  CHECK(out.verify_error().empty());
  CHECK(out.entries_size() == 2);
  // An empty journal verifies too.
  config_state_machine empty;
  auto e = log_of(r, empty, req);
  CHECK(e.verified());
  CHECK(e.entries_size() == 0);
  CHECK(e.last_sequence() == 0);
}

TEST_CASE("a tampered entry never reaches the reader: restore refuses it, "
          "verify_chain names it") {
  // The reader verifies the stored entries; the only way to load entries from
  // outside is restore(), which checks the chain itself. So a tampered
  // image is refused there, and verify_chain (what log --verify runs)
  // reports the entry.
  journal_fixture f;
  JournalState image;
  REQUIRE(image.ParseFromString(f.sm().snapshot()));
  image.mutable_entries(4)->set_message("nothing to see here");
  auto before = f.sm().snapshot();
  auto st = f.h.sm.restore(deterministic_bytes(image));
  REQUIRE_FALSE(st);
  CHECK(contains(st.err().message, "sequence 5"));
  CHECK(f.sm().snapshot() == before);
  std::vector<ConfigEntry> entries(image.entries().begin(),
                                   image.entries().end());
  auto rep = verify_chain(entries);
  CHECK_FALSE(rep.ok);
  CHECK(rep.first_bad == 5);
  // Re-hashing the tampered entry moves the break to its successor.
  entries[4].set_hash(entry_hash(entries[4]));
  rep = verify_chain(entries);
  CHECK_FALSE(rep.ok);
  CHECK(rep.first_bad == 6);
  // The untampered machine still verifies through the reader.
  journal_reader r;
  LogRequest req;
  req.set_verify(true);
  CHECK(log_of(r, f.sm(), req).verified());
}

TEST_CASE("an empty query is refused") {
  journal_fixture f;
  journal_reader r;
  CHECK_FALSE(r.answer(f.sm(), JournalQuery{}));
}

// -- state -------------------------------------------------------------------

TEST_CASE("state: all, by vCluster, by node") {
  journal_fixture f;
  journal_reader r;
  auto all = state_of(r, f.sm(), "", "");
  REQUIRE(all.overlays_size() == 2);
  CHECK(all.overlays(0).vcluster() == "ai");
  CHECK(all.overlays(1).vcluster() == "ml");
  REQUIRE(all.nodes_size() == 3);
  CHECK(all.nodes(0).node() == "n1");
  CHECK(all.nodes(2).node() == "n3");
  REQUIRE(all.global().items_size() == 1);
  CHECK(all.global().items(0).key() == "vm.g");
  CHECK(all.last_sequence() == 9);
  CHECK(all.applied_index() == f.sm().applied());
  CHECK(all.applied_index() == 9);

  auto ml = state_of(r, f.sm(), "ml", "");
  REQUIRE(ml.overlays_size() == 1);
  CHECK(ml.overlays(0).vcluster() == "ml");
  CHECK(ml.overlays(0).version() == 8);
  REQUIRE(ml.overlays(0).items_size() == 1);
  CHECK(ml.overlays(0).items(0).value() == "2");
  REQUIRE(ml.nodes_size() == 1); // n3 is in no vCluster, n2 in ai
  CHECK(ml.nodes(0).node() == "n1");
  CHECK(ml.global().items_size() == 1); // global state always comes along

  auto n2 = state_of(r, f.sm(), "", "n2");
  REQUIRE(n2.nodes_size() == 1);
  CHECK(n2.nodes(0).node() == "n2");
  CHECK(n2.nodes(0).vcluster() == "ai");
  REQUIRE(n2.nodes(0).items_size() == 1);
  CHECK(n2.nodes(0).items(0).key() == "vm.y");

  CHECK(state_of(r, f.sm(), "", "ghost").nodes_size() == 0);
  auto unknown = state_of(r, f.sm(), "nope", "");
  CHECK(unknown.overlays_size() == 0);
  CHECK(unknown.nodes_size() == 0);
}

TEST_CASE("state lists active emergencies") {
  journal_fixture f;
  auto em = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  em.set_emergency_reason("hung gpu");
  f.run(em);
  journal_reader r;
  auto s = state_of(r, f.sm(), "", "");
  REQUIRE(s.emergencies_size() == 1);
  CHECK(s.emergencies(0).scope().node() == "n1");
  CHECK(s.emergencies(0).reason() == "hung gpu");
}

// Was a bug (runtime/journal/journal_query.cpp, journal_reader::state): the
// vCluster filter applies to overlays and nodes but not to emergencies, so a
// state read filtered to one vCluster lists every active emergency (scope,
// author, reason) of every other vCluster and its nodes. The gateway
// (actors/journal/gateway_journal.cpp, handle_state) filters overlays and
// nodes by the caller's read rights but passes emergencies through, so a
// viewer of ai reads the reasons of ml's emergencies.
TEST_CASE("state filtered by vCluster lists only its emergencies") {
  journal_fixture f;
  auto em = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  em.set_emergency_reason("ml's private trouble");
  f.run(em);
  journal_reader r;
  CHECK(state_of(r, f.sm(), "ai", "").emergencies_size() == 0);
  CHECK(state_of(r, f.sm(), "ml", "").emergencies_size() == 1);
}

// -- watch -------------------------------------------------------------------

TEST_CASE("watch: entries after a sequence") {
  journal_fixture f;
  journal_reader r;
  auto all = r.watch(f.sm(), watch_req(0));
  CHECK(sequences_of(all.entries()) == seqs{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(all.last_sequence() == 9);
  auto tail = r.watch(f.sm(), watch_req(5));
  CHECK(sequences_of(tail.entries()) == seqs{6, 7, 8, 9});
  CHECK(tail.last_sequence() == 9);
  for (uint64_t after : {9u, 10u, 1000u}) {
    CAPTURE(after);
    auto none = r.watch(f.sm(), watch_req(after));
    CHECK(none.entries_size() == 0);
    // A resume point past this replica's end stays where it is.
    CHECK(none.last_sequence() == std::max<uint64_t>(after, 9));
  }
  // The entries are the journal's, hash chain included.
  CHECK(all.entries(3).hash() == entry_at(f.sm(), 4).hash());
}

TEST_CASE("watch: a vCluster sees its own, its nodes' and global entries") {
  journal_fixture f;
  journal_reader r;
  // ml: its overlay (1), n1's enrollment (3) and commit (5), global (7),
  // its commit (8). Not ai's, not n2's, not unenrolled n3's.
  auto ml = r.watch(f.sm(), watch_req(0, "ml"));
  CHECK(sequences_of(ml.entries()) == seqs{1, 3, 5, 7, 8});
  CHECK(ml.last_sequence() == 9);
  auto ai = r.watch(f.sm(), watch_req(0, "ai"));
  CHECK(sequences_of(ai.entries()) == seqs{2, 4, 6, 7});
  CHECK(ai.last_sequence() == 9);
  auto other = r.watch(f.sm(), watch_req(0, "other"));
  CHECK(sequences_of(other.entries()) == seqs{7});
  auto after = r.watch(f.sm(), watch_req(5, "ml"));
  CHECK(sequences_of(after.entries()) == seqs{7, 8});
  auto none = r.watch(f.sm(), watch_req(8, "ml"));
  CHECK(none.entries_size() == 0);
  CHECK(none.last_sequence() == 9); // resume after 9: entry 9 is not ml's
}

TEST_CASE("concerns: scope, enrolled node, enrollment, global") {
  journal_fixture f;
  const auto& sm = f.sm();
  auto e = [&](uint64_t s) { return entry_at(sm, s); };
  CHECK(concerns(sm, e(1), "ml"));
  CHECK_FALSE(concerns(sm, e(1), "ai"));
  CHECK(concerns(sm, e(3), "ml")); // n1's enrollment into ml
  CHECK(concerns(sm, e(5), "ml")); // n1 is enrolled in ml
  CHECK_FALSE(concerns(sm, e(5), "ai"));
  CHECK(concerns(sm, e(7), "ml")); // global
  CHECK(concerns(sm, e(7), "anyone"));
  CHECK_FALSE(concerns(sm, e(9), "ml")); // n3 is enrolled nowhere
  for (uint64_t s = 1; s <= 9; ++s)
    CHECK(concerns(sm, e(s), "")); // no filter: everything
  // An enrollment concerns the vCluster it names even after the node
  // moved on.
  f.enroll("n1", "ai");
  CHECK(concerns(sm, e(3), "ml"));
  CHECK(concerns(sm, e(10), "ai"));
}

TEST_CASE("watch: max_entries truncates and resumes at the last handed out") {
  journal_fixture f;
  journal_reader r;
  auto a = r.watch(f.sm(), watch_req(0, "ml", 2));
  CHECK(sequences_of(a.entries()) == seqs{1, 3});
  CHECK(a.last_sequence() == 3); // not 9: entries 5, 7, 8 are still due
  auto b = r.watch(f.sm(), watch_req(a.last_sequence(), "ml", 2));
  CHECK(sequences_of(b.entries()) == seqs{5, 7});
  CHECK(b.last_sequence() == 7);
  auto c = r.watch(f.sm(), watch_req(b.last_sequence(), "ml", 2));
  CHECK(sequences_of(c.entries()) == seqs{8});
  CHECK(c.last_sequence() == 9); // not truncated: the journal's end
  // Exactly max_entries left: the resume point is the last one handed out.
  auto d = r.watch(f.sm(), watch_req(7, "", 2));
  CHECK(sequences_of(d.entries()) == seqs{8, 9});
  CHECK(d.last_sequence() == 9);
  auto all = r.watch(f.sm(), watch_req(0, "", 4));
  CHECK(sequences_of(all.entries()) == seqs{1, 2, 3, 4});
  CHECK(all.last_sequence() == 4);
}

TEST_CASE("watch: at most max_watch_entries however many are asked for") {
  config_state_machine sm;
  int64_t ts = t0_ms;
  for (uint32_t i = 0; i < max_watch_entries + 10; ++i) {
    auto c = make_cmd(COMMAND_KIND_RECORD, global_scope(), ++ts);
    c.set_record_type(ENTRY_TYPE_CAPABILITY_CHANGE);
    REQUIRE(sm.execute(c).status().code() == STATUS_CODE_OK);
  }
  journal_reader r;
  for (uint32_t asked : {0u, max_watch_entries + 5}) {
    CAPTURE(asked);
    auto w = r.watch(sm, watch_req(0, "", asked));
    REQUIRE(w.entries_size() == static_cast<int>(max_watch_entries));
    CHECK(w.last_sequence() == max_watch_entries);
    CHECK(w.entries(w.entries_size() - 1).sequence() == max_watch_entries);
  }
}

TEST_CASE("watch: from_now returns no entries and the current end") {
  journal_fixture f;
  journal_reader r;
  auto req = watch_req(0, "ml");
  req.set_from_now(true);
  auto w = r.watch(f.sm(), req);
  CHECK(w.entries_size() == 0);
  CHECK(w.last_sequence() == 9);
  // The returned point is where the next watch starts.
  f.run(
    f.declared_commit(vcluster_scope("ml"), DELTA_ACTION_ADD, "vm.new", "1"));
  auto next = r.watch(f.sm(), watch_req(w.last_sequence(), "ml"));
  CHECK(sequences_of(next.entries()) == seqs{10});
}

// -- boot config -------------------------------------------------------------

TEST_CASE("boot: overlay chunks, the node's delta, then the marker") {
  journal_fixture f;
  journal_reader r;
  r.refresh(f.sm());
  const auto* ml = f.sm().overlay("ml");
  REQUIRE(ml != nullptr);
  auto encoded = deterministic_bytes(*ml);
  // A request for 16-byte chunks gets the minimum chunk size instead (the
  // multi-chunk case is exercised in tests/unit/actors/journal).
  constexpr uint32_t chunk = min_boot_chunk_bytes;
  auto want_count = static_cast<uint32_t>((encoded.size() + chunk - 1) / chunk);
  REQUIRE(want_count >= 1);

  auto a = r.boot(f.sm(), boot_req("n1", "", 16));
  REQUIRE(a);
  const auto& chunks = a->chunks();
  REQUIRE(chunks.size() == static_cast<int>(want_count) + 2);
  std::string data;
  for (uint32_t k = 0; k < want_count; ++k) {
    CAPTURE(k);
    const auto& c = chunks[static_cast<int>(k)];
    REQUIRE(c.has_overlay());
    CHECK(c.overlay().vcluster() == "ml"); // from n1's enrollment
    CHECK(c.overlay().version() == ml->version());
    CHECK(c.overlay().checksum() == ml->checksum());
    CHECK(c.overlay().index() == k);
    CHECK(c.overlay().count() == want_count);
    CHECK(c.overlay().total_bytes() == encoded.size());
    CHECK(c.overlay().data().size() <= chunk);
    data += c.overlay().data();
  }
  CHECK(data.size() == encoded.size());
  VClusterOverlay back;
  REQUIRE(back.ParseFromString(data));
  CHECK(deterministic_bytes(back) == encoded);
  CHECK(back.version() == 8);
  // The checksum covers the content: recomputing it from the reassembled
  // overlay gives the advertised one.
  auto content = back;
  content.clear_version();
  content.clear_checksum();
  CHECK(to_hex(sha256(deterministic_bytes(content))) == ml->checksum());

  const auto& nd = chunks[static_cast<int>(want_count)];
  REQUIRE(nd.has_node_delta());
  CHECK(nd.node_delta().node() == "n1");
  REQUIRE(nd.node_delta().items_size() == 1);
  CHECK(nd.node_delta().items(0).key() == "vm.x");
  CHECK(nd.node_delta().items(0).value() == "7");
  CHECK(nd.node_delta().delta_sequence() == 5);
  CHECK(nd.node_delta().delta_expires_unix_ms()
        == f.sm().node("n1")->delta_expires_unix_ms());
  CHECK(nd.node_delta().delta_expires_unix_ms() > 0);
  CHECK(nd.node_delta().state() == NODE_STATE_COMMITTED);

  const auto& last = chunks[chunks.size() - 1];
  REQUIRE(last.has_complete());
  CHECK(last.complete().vcluster() == "ml");
  CHECK(last.complete().version() == ml->version());
  CHECK(last.complete().checksum() == ml->checksum());
  CHECK(last.complete().overlay_chunks() == want_count);
  CHECK_FALSE(last.complete().up_to_date());
  CHECK(last.complete().last_sequence() == 9);
}

TEST_CASE("boot: default chunk size sends a small overlay in one chunk") {
  journal_fixture f;
  journal_reader r;
  r.refresh(f.sm());
  JournalQuery q;
  *q.mutable_boot() = boot_req("n2");
  auto a = r.answer(f.sm(), q);
  REQUIRE(a);
  REQUIRE(a->has_boot());
  const auto& chunks = a->boot().chunks();
  REQUIRE(chunks.size() == 3);
  REQUIRE(chunks[0].has_overlay());
  CHECK(chunks[0].overlay().vcluster() == "ai");
  CHECK(chunks[0].overlay().count() == 1);
  CHECK(chunks[0].overlay().data()
        == deterministic_bytes(*f.sm().overlay("ai")));
  CHECK(chunks[1].node_delta().node() == "n2");
  CHECK(chunks[2].complete().overlay_chunks() == 1);
}

TEST_CASE("boot: the node delta carries the journal's commit window") {
  // `pact extend` must reach a running agent's window (issue 11 item 4).
  journal_fixture f;
  auto ext = make_cmd(COMMAND_KIND_EXTEND_WINDOW, node_scope("n1"));
  ext.set_extend_seconds(900);
  f.run(ext);
  auto ends = f.sm().node("n1")->window_ends_unix_ms();
  REQUIRE(ends > 0);
  journal_reader r;
  r.refresh(f.sm());
  auto a = r.boot(f.sm(), boot_req("n1"));
  REQUIRE(a);
  REQUIRE(a->chunks_size() >= 2);
  const auto& nd = a->chunks(a->chunks_size() - 2);
  REQUIRE(nd.has_node_delta());
  CHECK(nd.node_delta().window_ends_unix_ms() == ends);
}

TEST_CASE("boot: an agent with the current version gets only the marker") {
  journal_fixture f;
  journal_reader r;
  r.refresh(f.sm());
  const auto* ml = f.sm().overlay("ml");
  auto req = boot_req("n1");
  req.set_have_version(ml->version());
  req.set_have_checksum(ml->checksum());
  auto a = r.boot(f.sm(), req);
  REQUIRE(a);
  REQUIRE(a->chunks_size() == 1);
  REQUIRE(a->chunks(0).has_complete());
  const auto& done = a->chunks(0).complete();
  CHECK(done.up_to_date());
  CHECK(done.vcluster() == "ml");
  CHECK(done.version() == ml->version());
  CHECK(done.checksum() == ml->checksum());
  CHECK(done.last_sequence() == 9);
  // A stale version, or the right version with another checksum: the
  // whole stream.
  for (int variant = 0; variant < 2; ++variant) {
    CAPTURE(variant);
    auto stale = req;
    if (variant == 0)
      stale.set_have_version(ml->version() - 1);
    else
      stale.set_have_checksum(std::string(64, '0'));
    auto b = r.boot(f.sm(), stale);
    REQUIRE(b);
    REQUIRE(b->chunks_size() == 3);
    CHECK(b->chunks(0).has_overlay());
    CHECK_FALSE(b->chunks(2).complete().up_to_date());
  }
}

TEST_CASE("boot: every answer carries the global blacklist, up to date or "
          "not") {
  // The global blacklist is not part of the overlay's version: an agent
  // whose overlay is current still has to learn of `pact blacklist add`.
  journal_fixture f;
  auto add = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  add.set_blacklist_pattern("/scratch/**");
  f.run(add);
  journal_reader r;
  r.refresh(f.sm());
  const auto* ml = f.sm().overlay("ml");
  auto req = boot_req("n1");
  auto full = r.boot(f.sm(), req);
  REQUIRE(full);
  const auto& last = full->chunks(full->chunks_size() - 1).complete();
  REQUIRE(last.global_blacklist_size() == 1);
  CHECK(last.global_blacklist(0) == "/scratch/**");
  req.set_have_version(ml->version());
  req.set_have_checksum(ml->checksum());
  auto current = r.boot(f.sm(), req);
  REQUIRE(current);
  REQUIRE(current->chunks_size() == 1);
  const auto& done = current->chunks(0).complete();
  CHECK(done.up_to_date());
  REQUIRE(done.global_blacklist_size() == 1);
  CHECK(done.global_blacklist(0) == "/scratch/**");
}

TEST_CASE("boot: a named vCluster serves nodes not (yet) enrolled") {
  journal_fixture f;
  journal_reader r;
  r.refresh(f.sm());
  // n3 committed without being enrolled: its delta comes along.
  auto a = r.boot(f.sm(), boot_req("n3", "ml"));
  REQUIRE(a);
  REQUIRE(a->chunks_size() == 3);
  CHECK(a->chunks(0).overlay().vcluster() == "ml");
  CHECK(a->chunks(1).node_delta().node() == "n3");
  REQUIRE(a->chunks(1).node_delta().items_size() == 1);
  CHECK(a->chunks(1).node_delta().items(0).key() == "vm.z");
  // A node the journal has never heard of: an empty delta.
  auto b = r.boot(f.sm(), boot_req("fresh-node", "ai"));
  REQUIRE(b);
  REQUIRE(b->chunks_size() == 3);
  CHECK(b->chunks(0).overlay().vcluster() == "ai");
  CHECK(b->chunks(1).node_delta().node() == "fresh-node");
  CHECK(b->chunks(1).node_delta().items_size() == 0);
  CHECK(b->chunks(1).node_delta().delta_sequence() == 0);
  CHECK(b->chunks(2).complete().vcluster() == "ai");
}

TEST_CASE("boot: unknown vCluster, unenrolled node, bad node name") {
  journal_fixture f;
  journal_reader r;
  r.refresh(f.sm());
  auto unknown = boot_error(r, f.sm(), boot_req("n1", "nope"));
  CHECK(contains(unknown, "'nope'"));
  auto unenrolled = boot_error(r, f.sm(), boot_req("n3"));
  CHECK(contains(unenrolled, "'n3'"));
  CHECK(contains(unenrolled, "not enrolled"));
  CHECK(contains(boot_error(r, f.sm(), boot_req("ghost")), "'ghost'"));
  for (const char* bad : {"", "-n1", ".n1", "a/b", "n 1"}) {
    CAPTURE(bad);
    auto err = boot_error(r, f.sm(), boot_req(bad, "ml"));
    CHECK(contains(err, "'" + std::string(bad) + "'"));
    CHECK(contains(err, "not a valid node name"));
  }
  // Through answer(), the refusal is an error too.
  JournalQuery q;
  *q.mutable_boot() = boot_req("n1", "nope");
  CHECK_FALSE(r.answer(f.sm(), q));
}

TEST_CASE("refresh rebuilds an overlay only when its version changed") {
  journal_fixture f;
  journal_reader r;
  CHECK(r.rebuilds() == 0);
  r.refresh(f.sm());
  CHECK(r.rebuilds() == 2); // ai and ml
  auto old_version = f.sm().overlay("ml")->version();
  for (int i = 0; i < 50; ++i) {
    REQUIRE(r.boot(f.sm(), boot_req("n1")));
    REQUIRE(r.boot(f.sm(), boot_req("n2", "", 8)));
    r.refresh(f.sm());
  }
  CHECK(r.rebuilds() == 2);
  // Node commits, enrollments, global commits and records change no
  // overlay.
  f.run(node_commit("n1", "vm.x", "8"));
  f.enroll("n4", "ml");
  f.run(f.declared_commit(global_scope(), DELTA_ACTION_ADD, "vm.h", "1"));
  r.refresh(f.sm());
  CHECK(r.rebuilds() == 2);
  // A vCluster commit: exactly that overlay is rebuilt, once.
  auto seq = f.run(
    f.declared_commit(vcluster_scope("ml"), DELTA_ACTION_ADD, "vm.b", "5"));
  r.refresh(f.sm());
  CHECK(r.rebuilds() == 3);
  r.refresh(f.sm());
  CHECK(r.rebuilds() == 3);
  auto a = r.boot(f.sm(), boot_req("n1"));
  REQUIRE(a);
  auto done = a->chunks(a->chunks_size() - 1).complete();
  CHECK(done.version() == seq);
  CHECK(done.version() != old_version);
  CHECK(done.checksum() == f.sm().overlay("ml")->checksum());
  std::string data;
  for (const auto& c : a->chunks())
    if (c.has_overlay())
      data += c.overlay().data();
  VClusterOverlay back;
  REQUIRE(back.ParseFromString(data));
  REQUIRE(back.items_size() == 2);
  CHECK(back.items(1).key() == "vm.b");
  // An agent that was current before the commit is no longer.
  auto req = boot_req("n1");
  req.set_have_version(old_version);
  req.set_have_checksum(f.sm().overlay("ai")->checksum());
  auto b = r.boot(f.sm(), req);
  REQUIRE(b);
  CHECK(b->chunks_size() > 1);
  // A policy update is an overlay change as well.
  auto pol = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ai"));
  pol.mutable_policy()->set_drift_sensitivity(1.0);
  f.run(pol);
  r.refresh(f.sm());
  CHECK(r.rebuilds() == 4);
}

TEST_CASE("refresh drops overlays that vanished") {
  journal_fixture f;
  journal_reader r;
  r.refresh(f.sm());
  REQUIRE(r.boot(f.sm(), boot_req("n1")));
  REQUIRE(f.h.sm.restore(""));
  r.refresh(f.sm());
  auto err = boot_error(r, f.sm(), boot_req("n1", "ml"));
  CHECK(contains(err, "'ml'"));
}
