// `pact log --since/--until` and the export pages of `pact log --export`:
// time windows counted in matching entries, combined with a scope, and
// export pages that stay contiguous and bounded.

#include <doctest/doctest.h>

#include <vector>

#include "runtime/journal/journal_query.hpp"
#include "runtime/journal/log_selection.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

using seqs = std::vector<uint64_t>;

/// Records stamped at t0 + offsets[i] seconds; odd sequences on node:n1,
/// even ones on node:n2.
struct timed_journal {
  harness h;

  explicit timed_journal(const std::vector<int64_t>& offsets_s) {
    for (std::size_t i = 0; i < offsets_s.size(); ++i) {
      auto node = i % 2 == 0 ? "n1" : "n2";
      auto c = make_cmd(COMMAND_KIND_RECORD, node_scope(node),
                        t0_ms + offsets_s[i] * 1000);
      c.set_record_type(ENTRY_TYPE_SERVICE_LIFECYCLE);
      h.ok(c);
    }
  }
};

int64_t at(int64_t s) {
  return t0_ms + s * 1000;
}

pact::expected<LogReply> ask(const config_state_machine& sm,
                             const LogRequest& req) {
  JournalQuery q;
  *q.mutable_log() = req;
  journal_reader r;
  auto a = r.answer(sm, q);
  if (!a)
    return a.err();
  return a->log();
}

seqs sequences(const LogReply& r) {
  seqs out;
  for (auto& e : r.entries())
    out.push_back(e.sequence());
  return out;
}

} // namespace

TEST_CASE("log --since/--until: bounds inclusive, -n counts matches") {
  timed_journal j({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  LogRequest req;
  req.set_limit(20);
  req.set_since_unix_ms(at(3));
  req.set_until_unix_ms(at(7));
  CHECK(sequences(*ask(j.h.sm, req)) == seqs{7, 6, 5, 4, 3});
  req.set_limit(2);
  CHECK(sequences(*ask(j.h.sm, req)) == seqs{7, 6});
  SUBCASE("one bound only") {
    req.set_limit(20);
    req.set_until_unix_ms(0);
    CHECK(sequences(*ask(j.h.sm, req)) == seqs{10, 9, 8, 7, 6, 5, 4, 3});
    req.set_since_unix_ms(0);
    req.set_until_unix_ms(at(2));
    CHECK(sequences(*ask(j.h.sm, req)) == seqs{2, 1});
  }
  SUBCASE("with a scope") {
    req.set_limit(2);
    req.set_scope("node:n1");
    CHECK(sequences(*ask(j.h.sm, req)) == seqs{7, 5});
  }
  SUBCASE("an empty window") {
    req.set_since_unix_ms(at(100));
    req.set_until_unix_ms(0);
    auto r = ask(j.h.sm, req);
    CHECK(r->entries_size() == 0);
    CHECK(r->last_sequence() == 10);
  }
}

TEST_CASE("log --since/--until: a stamp that would go back is raised to the "
          "previous entry's, and matched by it") {
  // A new leader may stamp below its predecessor's last (leader_stamp.hpp);
  // the state machine raises the stamp, so windows can bisect.
  timed_journal j({1, 2, 6, 3, 7});
  CHECK(entry_at(j.h.sm, 4).timestamp_unix_ms() == at(6));
  LogRequest req;
  req.set_limit(20);
  req.set_since_unix_ms(at(3));
  req.set_until_unix_ms(at(6));
  CHECK(sequences(*ask(j.h.sm, req)) == seqs{4, 3});
}

TEST_CASE("log: a window that ends before it starts is refused") {
  timed_journal j({1, 2});
  LogRequest req;
  req.set_since_unix_ms(at(5));
  req.set_until_unix_ms(at(4));
  auto r = ask(j.h.sm, req);
  REQUIRE_FALSE(r);
  CHECK(r.err().message
        == "log: the time window ends before it starts (since is after "
           "until)");
}

TEST_CASE("export pages: oldest first, contiguous, resumable") {
  timed_journal j({1, 2, 3, 4, 5, 6, 7});
  LogRequest req;
  req.set_from_sequence(1);
  req.set_limit(3);
  auto p1 = ask(j.h.sm, req);
  CHECK(sequences(*p1) == seqs{1, 2, 3});
  CHECK(p1->more());
  req.set_from_sequence(4);
  CHECK(sequences(*ask(j.h.sm, req)) == seqs{4, 5, 6});
  req.set_from_sequence(7);
  auto last = ask(j.h.sm, req);
  CHECK(sequences(*last) == seqs{7});
  CHECK_FALSE(last->more());
  req.set_from_sequence(8);
  auto past = ask(j.h.sm, req);
  CHECK(past->entries_size() == 0);
  CHECK_FALSE(past->more());
}

TEST_CASE("export pages: the window picks the start and the end, the run "
          "in between is whole") {
  timed_journal j({1, 2, 6, 3, 7, 8, 9});
  LogRequest req;
  req.set_from_sequence(1);
  req.set_limit(100);
  req.set_since_unix_ms(at(3));
  req.set_until_unix_ms(at(7));
  // Starts at 3 (first stamped >= 3; 4 is raised from 3 to 6), stops
  // before 6 (stamped 8 > 7).
  auto r = ask(j.h.sm, req);
  CHECK(sequences(*r) == seqs{3, 4, 5});
  CHECK_FALSE(r->more());
}

TEST_CASE("export pages: a scope is refused") {
  timed_journal j({1});
  LogRequest req;
  req.set_from_sequence(1);
  req.set_scope("node:n1");
  auto r = ask(j.h.sm, req);
  REQUIRE_FALSE(r);
  CHECK(r.err().message
        == "log: an export is the contiguous journal and takes no scope");
}

TEST_CASE("export pages stop after their byte budget, one entry at least") {
  timed_journal j({1, 2, 3, 4, 5});
  auto first = j.h.sm.entry(1);
  REQUIRE(first);
  REQUIRE(first->has_value());
  auto size = (*first)->ByteSizeLong();
  LogRequest req;
  req.set_from_sequence(1);
  LogReply two;
  REQUIRE(select_page(j.h.sm, req, 100, two, 2 * size));
  CHECK(sequences(two) == seqs{1, 2});
  CHECK(two.more());
  LogReply one;
  REQUIRE(select_page(j.h.sm, req, 100, one, 1));
  CHECK(sequences(one) == seqs{1});
  CHECK(one.more());
}
