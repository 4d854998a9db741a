// The twin's fault injection: the same failure behaviour as lmdb_store's
// map-full path, so replica tests can exercise "store failed" without LMDB.

#include "tests/unit/runtime/store/fixtures.hpp"

using namespace pact;
using namespace pact::store;
using namespace pact::store::test;

TEST_CASE("memory_store: an injected failure refuses later writes") {
  memory_store s{bootstrap_conf};
  REQUIRE(s.append(make_entries(1, {1, 1})));
  s.fail_next_write("disk full");
  auto ents = make_entries(3, {2});
  raft::hard_state hs{2, 1, 0};
  write_batch b;
  b.entries = &ents;
  b.hard_state = &hs;
  auto st = s.save(b);
  REQUIRE_FALSE(st.ok());
  CHECK(st.err().message == "raft log in memory: save: disk full");
  CHECK(s.failed());
  CHECK(s.failure() == st.err().message);
  CHECK(s.last_index() == 2); // nothing of the batch
  CHECK(s.load_initial_state().hard.empty());
  auto again = s.set_hard_state(hs);
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().message.find("refused") != std::string::npos);
  CHECK_FALSE(s.compact(1).ok());
}
