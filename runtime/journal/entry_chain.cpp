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

void chain_verifier::resume_after(uint64_t sequence, std::string hash) {
  first_ = false;
  expected_ = sequence + 1;
  prev_hash_ = std::move(hash);
}

bool chain_verifier::add(const protocol::ConfigEntry& e) {
  if (!report_.ok)
    return false;
  if (first_) {
    first_ = false;
    expected_ = e.sequence();
    if (expected_ == 0) {
      report_ = bad(0, "entry has sequence 0; sequences start at 1");
      return false;
    }
    if (expected_ == 1 && e.prev_hash() != zero_hash()) {
      report_ = bad(1, "first entry's prev_hash is not 32 zero bytes");
      return false;
    }
  } else if (e.sequence() != expected_) {
    report_ = bad(expected_, "expected sequence " + std::to_string(expected_)
                               + ", found " + std::to_string(e.sequence()));
    return false;
  } else if (e.prev_hash() != prev_hash_) {
    report_ = bad(expected_, "prev_hash does not match the hash of entry "
                               + std::to_string(expected_ - 1));
    return false;
  }
  if (e.hash() != entry_hash(e)) {
    report_ = bad(expected_, "hash does not match the entry's contents");
    return false;
  }
  prev_hash_ = e.hash();
  ++expected_;
  return true;
}

chain_report verify_chain(const std::vector<protocol::ConfigEntry>& entries) {
  chain_verifier v;
  for (const auto& e : entries)
    if (!v.add(e))
      break;
  return v.report();
}

} // namespace pact::journal
