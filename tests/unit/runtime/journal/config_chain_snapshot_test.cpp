// config_state_machine: the hash chain, verify_chain, and snapshot
// determinism (replicas replaying one log agree byte for byte).

#include <doctest/doctest.h>

#include <algorithm>

#include "runtime/journal/entry_chain.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// A log touching every command kind, with refusals mixed in, as the
/// serialized commands a Raft log would carry.
std::vector<std::string> sample_log() {
  std::vector<JournalCommand> cmds;
  int64_t ts = t0_ms;
  auto next = [&](JournalCommand c) {
    c.set_timestamp_unix_ms(ts += 1000);
    cmds.push_back(std::move(c));
  };
  next(overlay_apply("ml", {{"vm.a", "1"}, {"vm.b", "2"}}));
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("ml");
  next(enroll);
  next(node_commit("n1", "vm.a", "7"));
  next(node_commit("n1", "vm.a", "7", 10)); // refused: TTL
  auto pol = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  pol.mutable_policy()->set_drift_sensitivity(1.5);
  next(pol);
  auto bl = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  bl.set_blacklist_pattern("/etc/shadow");
  next(bl);
  auto em = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  em.set_emergency_reason("hang");
  next(em);
  auto exec = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"));
  exec.set_record_type(ENTRY_TYPE_EXEC_LOG);
  next(exec);
  next(make_cmd(COMMAND_KIND_EMERGENCY_END, node_scope("n1")));
  auto rb = make_cmd(COMMAND_KIND_ROLLBACK, vcluster_scope("ml"));
  rb.set_rollback_to(1);
  next(rb);
  next(overlay_apply("ai", {{"vm.c", "3"}}));
  // Enrollment (issue 16): registration, a refused and an accepted first
  // CSR, a renewal, a revocation.
  next(enroll_with_token("n1", "ml", "tok", "uuid:1"));
  next(activate_cmd("n1", "uuid:2", "tok", "c1", ts + 1000));
  next(activate_cmd("n1", "uuid:1", "tok", "c1", ts + 1000));
  next(activate_cmd("n1", "uuid:1", "", "c2", ts + 1000));
  next(make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n1")));
  std::vector<std::string> out;
  for (const auto& c : cmds)
    out.push_back(c.SerializeAsString());
  return out;
}

/// Applies log[from, to) at indices from+1..; returns the result bytes.
std::vector<std::string> replay(config_state_machine& sm,
                                const std::vector<std::string>& log,
                                size_t from, size_t to) {
  std::vector<std::string> results;
  for (size_t i = from; i < to; ++i)
    results.push_back(sm.apply(i + 1, log[i]));
  return results;
}

} // namespace

TEST_CASE("entries form a SHA-256 chain and verify_chain finds tampering") {
  config_state_machine sm;
  auto log = sample_log();
  replay(sm, log, 0, log.size());
  auto entries = all_entries(sm);
  REQUIRE(entries.size() == 14);
  for (size_t i = 0; i < entries.size(); ++i) {
    CHECK(entries[i].sequence() == i + 1);
    CHECK(entries[i].hash().size() == 32);
    CHECK(entries[i].prev_hash()
          == (i == 0 ? zero_hash() : entries[i - 1].hash()));
  }
  CHECK(verify_chain(entries).ok);
  CHECK(verify_chain({}).ok);
  // Any field changed: caught at that entry.
  auto tampered = entries;
  tampered[4].set_message("nothing to see");
  auto report = verify_chain(tampered);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad == 5);
  CHECK(report.reason.find("hash does not match") != std::string::npos);
  // Re-hashing the tampered entry breaks the link to the next one.
  tampered[4].set_hash(entry_hash(tampered[4]));
  report = verify_chain(tampered);
  CHECK(report.first_bad == 6);
  CHECK(report.reason.find("prev_hash") != std::string::npos);
  // A dropped entry is a gap.
  auto gap = entries;
  gap.erase(gap.begin() + 2);
  CHECK(verify_chain(gap).first_bad == 3);
  // A forged first entry.
  auto first = entries;
  first[0].set_prev_hash(std::string(32, 'x'));
  first[0].set_hash(entry_hash(first[0]));
  CHECK(verify_chain(first).first_bad == 1);
  // A suffix (pact log -n N) verifies on its own.
  std::vector<ConfigEntry> suffix(entries.begin() + 6, entries.end());
  CHECK(verify_chain(suffix).ok);
}

TEST_CASE("two replicas replaying one log agree byte for byte") {
  auto log = sample_log();
  config_state_machine a, b;
  auto ra = replay(a, log, 0, log.size());
  auto rb = replay(b, log, 0, log.size());
  CHECK(ra == rb);
  CHECK(a.snapshot() == b.snapshot());
  CHECK(a.digest() == b.digest());
  CHECK(a.digest().size() == 64);
  b.skip(log.size() + 1);
  CHECK(a.digest() != b.digest());
  // A different log gives a different state.
  config_state_machine c;
  replay(c, log, 0, log.size() - 1);
  CHECK(c.digest() != a.digest());
}

TEST_CASE("restore then continue equals continuing without a snapshot") {
  auto log = sample_log();
  for (size_t cut : {size_t{0}, size_t{3}, size_t{7}}) {
    CAPTURE(cut);
    config_state_machine straight, first;
    auto r_straight = replay(straight, log, 0, log.size());
    replay(first, log, 0, cut);
    config_state_machine restored;
    REQUIRE(restored.restore(first.snapshot()));
    CHECK(restored.applied() == cut);
    CHECK(restored.snapshot() == first.snapshot());
    CHECK(restored.digest() == first.digest());
    auto r_rest = replay(restored, log, cut, log.size());
    CHECK(std::equal(r_rest.begin(), r_rest.end(),
                     r_straight.begin() + static_cast<long>(cut)));
    CHECK(restored.snapshot() == straight.snapshot());
    CHECK(restored.digest() == straight.digest());
  }
}

TEST_CASE("restore refuses a corrupt image and keeps the state") {
  auto log = sample_log();
  config_state_machine sm;
  replay(sm, log, 0, log.size());
  auto image = sm.snapshot();
  auto digest = sm.digest();
  CHECK_FALSE(sm.restore("\xff\xff not a snapshot"));
  CHECK(sm.digest() == digest);
  JournalState s;
  REQUIRE(s.ParseFromString(image));
  s.mutable_entries(2)->set_message("forged");
  auto err = sm.restore(s.SerializeAsString());
  REQUIRE_FALSE(err);
  CHECK(err.err().message.find("sequence 3") != std::string::npos);
  CHECK(sm.digest() == digest);
  JournalState dup;
  REQUIRE(dup.ParseFromString(image));
  *dup.add_overlays() = dup.overlays(0);
  CHECK_FALSE(sm.restore(dup.SerializeAsString()));
  CHECK(sm.digest() == digest);
  // The empty image is the initial state.
  REQUIRE(sm.restore(""));
  CHECK(sm.applied() == 0);
  CHECK(sm.last_sequence() == 0);
  CHECK(all_entries(sm).empty());
  CHECK(sm.digest() == config_state_machine{}.digest());
}

TEST_CASE("the spliced snapshot is the canonical encoding of the state") {
  // snapshot() splices cached entry encodings between applied_index and
  // the derived state; it must equal encoding the whole JournalState.
  auto log = sample_log();
  config_state_machine sm;
  replay(sm, log, 0, log.size());
  auto image = sm.snapshot();
  pact::protocol::JournalState s;
  REQUIRE(s.ParseFromString(image));
  CHECK(static_cast<size_t>(s.entries_size()) == all_entries(sm).size());
  CHECK(s.applied_index() == sm.applied());
  CHECK(deterministic_bytes(s) == image);
  // Entries bigger than 127 bytes need multi-byte length varints; the
  // sample log has them.
  bool long_entry = false;
  for (auto& e : all_entries(sm))
    long_entry = long_entry || e.ByteSizeLong() > 127;
  CHECK(long_entry);
}

TEST_CASE("the remembered digest follows every applied command") {
  // digest() is remembered per applied index and last hash: asking after
  // each command must give what a fresh machine replaying as far gives.
  auto log = sample_log();
  config_state_machine sm;
  std::vector<std::string> seen{sm.digest()};
  for (size_t i = 0; i < log.size(); ++i) {
    replay(sm, log, i, i + 1);
    auto d = sm.digest();
    CHECK(d == sm.digest()); // asked twice: the same
    config_state_machine fresh;
    replay(fresh, log, 0, i + 1);
    CHECK(d == fresh.digest());
    seen.push_back(d);
  }
  std::sort(seen.begin(), seen.end());
  CHECK(std::unique(seen.begin(), seen.end()) == seen.end());
  // A restore to an earlier image gives that image's digest, not the
  // remembered one.
  config_state_machine early;
  replay(early, log, 0, 2);
  REQUIRE(sm.restore(early.snapshot()));
  CHECK(sm.digest() == early.digest());
}
