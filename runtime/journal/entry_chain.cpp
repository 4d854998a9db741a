#include "runtime/journal/entry_chain.hpp"

#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

std::string zero_hash() {
  return std::string(32, '\0');
}

std::string entry_hash(const protocol::ConfigEntry& entry) {
  protocol::ConfigEntry copy = entry;
  copy.clear_hash();
  return sha256(deterministic_bytes(copy));
}

namespace {

chain_report bad(uint64_t sequence, std::string reason) {
  return chain_report{false, sequence, std::move(reason)};
}

} // namespace

chain_report verify_chain(const std::vector<protocol::ConfigEntry>& entries) {
  if (entries.empty())
    return {};
  uint64_t expected = entries.front().sequence();
  if (expected == 0)
    return bad(0, "entry has sequence 0; sequences start at 1");
  for (size_t i = 0; i < entries.size(); ++i, ++expected) {
    const auto& e = entries[i];
    if (e.sequence() != expected)
      return bad(expected, "expected sequence " + std::to_string(expected)
                             + ", found " + std::to_string(e.sequence()));
    if (i == 0 && expected == 1 && e.prev_hash() != zero_hash())
      return bad(expected, "first entry's prev_hash is not 32 zero bytes");
    if (i > 0 && e.prev_hash() != entries[i - 1].hash())
      return bad(expected, "prev_hash does not match the hash of entry "
                             + std::to_string(expected - 1));
    if (e.hash() != entry_hash(e))
      return bad(expected, "hash does not match the entry's contents");
  }
  return {};
}

} // namespace pact::journal
