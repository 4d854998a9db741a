// `pact log` and pact_log share one view (runtime/render/log_view.hpp):
// the journal's verdict on the hash chain combined with the client's own
// check of the entries as received. pact-mcp used to skip that check and
// print other text (issue 9 item 4); these cases hold for both now.

#include <doctest/doctest.h>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/render/log_view.hpp"

using namespace pact;

namespace {

/// A reply with entries 1..n, linked, newest first, that the journal
/// verified.
protocol::LogReply chained_reply(int n) {
  std::vector<protocol::ConfigEntry> asc;
  std::string prev = journal::zero_hash();
  for (int i = 1; i <= n; ++i) {
    protocol::ConfigEntry e;
    e.set_sequence(static_cast<uint64_t>(i));
    e.set_entry_type(protocol::ENTRY_TYPE_COMMIT);
    e.set_message("change " + std::to_string(i));
    e.set_prev_hash(prev);
    e.set_hash(journal::entry_hash(e));
    prev = e.hash();
    asc.push_back(e);
  }
  protocol::LogReply r;
  for (auto it = asc.rbegin(); it != asc.rend(); ++it)
    *r.add_entries() = *it;
  r.set_last_sequence(static_cast<uint64_t>(n));
  r.set_total_entries(static_cast<uint64_t>(n));
  r.set_verified(true);
  return r;
}

} // namespace

TEST_CASE("an intact chain is reported verified with the journal's count") {
  auto v = render::make_log_view(chained_reply(3), "", true);
  CHECK(v.ok);
  auto text = render::log_text(v);
  CHECK(text.find("change 3") < text.find("change 1"));
  CHECK(text.find("hash chain verified: 3 entries intact\n")
        != std::string::npos);
  auto j = render::log_json(v);
  CHECK(j["verify"]["ok"] == true);
  CHECK(j["verify"]["error"] == "");
  CHECK(j["entries"].size() == 3);
  CHECK(j["last_sequence"] == 3);
  CHECK(render::log_outcome(v).ok());
}

TEST_CASE("an entry altered in transit breaks the chain though the journal "
          "verified it") {
  auto r = chained_reply(3);
  r.mutable_entries(1)->set_message("altered on the way"); // entry 2
  auto v = render::make_log_view(r, "", true);
  CHECK_FALSE(v.ok);
  CHECK(v.why.rfind("entry 2 as received: ", 0) == 0);
  CHECK(render::log_text(v).find("hash chain verified") == std::string::npos);
  auto j = render::log_json(v);
  CHECK(j["verify"]["ok"] == false);
  CHECK(j["verify"]["error"] == v.why);
  auto st = render::log_outcome(v);
  REQUIRE_FALSE(st.ok());
  CHECK(st.err().message == "hash chain broken: " + v.why);
  CHECK(st.err().code == exit_code::general_error);
}

TEST_CASE("the journal's own verdict wins when it found the break") {
  auto r = chained_reply(2);
  r.set_verified(false);
  r.set_verify_error("entry 7: hash mismatch");
  auto v = render::make_log_view(r, "", true);
  CHECK_FALSE(v.ok);
  CHECK(v.why == "entry 7: hash mismatch");
  CHECK(render::log_outcome(v).err().message
        == "hash chain broken: entry 7: hash mismatch");
}

TEST_CASE("a scoped run skips entries, so only the journal's verdict counts") {
  auto r = chained_reply(3);
  r.mutable_entries()->DeleteSubrange(1, 1); // entry 2 is of another scope
  auto v = render::make_log_view(r, "vc:ml", true);
  CHECK(v.ok);
}

TEST_CASE("a time window may skip entries too (stamps can go back across "
          "leaders)") {
  auto r = chained_reply(3);
  r.mutable_entries()->DeleteSubrange(1, 1); // entry 2 stamped outside
  CHECK_FALSE(render::make_log_view(r, "", true).ok);
  CHECK(render::make_log_view(r, "", true, true).ok);
}

TEST_CASE("without verify nothing is said about the chain") {
  auto r = chained_reply(2);
  r.mutable_entries(0)->set_message("altered");
  auto v = render::make_log_view(r, "", false);
  CHECK(v.ok);
  CHECK(render::log_text(v).find("hash chain") == std::string::npos);
  CHECK_FALSE(render::log_json(v).contains("verify"));
}

TEST_CASE("no entries, and a stale answer") {
  protocol::LogReply r;
  r.set_stale(true);
  auto v = render::make_log_view(r, "node:n1", false);
  CHECK(render::log_text(v) == "no entries for node:n1\n");
  CHECK(render::log_text(render::make_log_view(r, "", false))
        == "no entries\n");
  CHECK(render::log_json(v)["stale"] == true);
}
