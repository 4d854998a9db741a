// journal::split_delta (journal_items.hpp): a node's record of many items
// goes to the journal in parts it accepts, each applied once.

#include <set>

#include <doctest/doctest.h>

#include "runtime/journal/journal_items.hpp"

using namespace pact;
using namespace pact::journal;

namespace {

protocol::JournalCommand record_of(int items, size_t value_bytes = 4) {
  protocol::JournalCommand c;
  c.set_kind(protocol::COMMAND_KIND_AUTO_CONVERGE);
  c.mutable_scope()->set_node("n1");
  c.set_message("converged: restored " + std::to_string(items) + " item(s)");
  c.set_client_request_id("n1-1700000000000-7");
  for (int i = 0; i < items; ++i) {
    auto* it = c.mutable_state_delta()->add_items();
    it->set_category(protocol::DELTA_CATEGORY_FILES);
    it->set_key("/srv/b5/f" + std::to_string(i));
    it->set_value(std::string(value_bytes, 'x'));
  }
  return c;
}

} // namespace

TEST_CASE("a record within the bounds is sent as it is") {
  auto c = record_of(3);
  auto parts = split_delta(c, 1024, 1 << 20, 64);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].SerializeAsString() == c.SerializeAsString());
}

TEST_CASE("5,000 restored files become parts the journal accepts") {
  // Tester, issue 11: an auto-converge of 5,000 files was refused ("delta
  // has 5000 items, more than the limit of 4096"): the journal never heard
  // that the agent removed them.
  auto parts = split_delta(record_of(5000), 1024, 1 << 20, 64);
  REQUIRE(parts.size() == 5);
  int total = 0;
  std::set<std::string> ids;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    CHECK(p.state_delta().items_size() <= 1024);
    CHECK(p.state_delta().items_size() <= max_delta_items);
    CHECK(p.kind() == protocol::COMMAND_KIND_AUTO_CONVERGE);
    CHECK(p.scope().node() == "n1");
    CHECK(p.message().find("(part " + std::to_string(i + 1) + " of 5)")
          != std::string::npos);
    total += p.state_delta().items_size();
    ids.insert(p.client_request_id());
  }
  CHECK(total == 5000);
  CHECK(ids.size() == 5); // each part applied once, none shadowing another
  CHECK(parts[4].state_delta().items(903).key() == "/srv/b5/f4999");
}

TEST_CASE("large values split by bytes; one item always fits a part") {
  auto parts = split_delta(record_of(10, 300 * 1024), 1024, 1 << 20, 64);
  CHECK(parts.size() == 4); // three of 300 KiB per MiB
  for (const auto& p : parts)
    CHECK(p.state_delta().ByteSizeLong() <= (1u << 20));
  auto big = split_delta(record_of(2, 2 << 20), 1024, 1 << 20, 64);
  REQUIRE(big.size() == 2);
  CHECK(big[0].state_delta().items_size() == 1);
}

TEST_CASE("part ids stay within the id bound; long messages stay within "
          "theirs") {
  auto c = record_of(3000);
  c.set_client_request_id(std::string(64, 'a'));
  c.set_message(std::string(max_message_bytes, 'm'));
  for (const auto& p : split_delta(c, 1024, 1 << 20, 64)) {
    CHECK(p.client_request_id().size() <= 64);
    CHECK(p.message().size() <= max_message_bytes);
  }
}
