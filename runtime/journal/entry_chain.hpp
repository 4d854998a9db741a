#pragma once

/// The SHA-256 hash chain over config entries (DESIGN.md §4): each entry's
/// `prev_hash` is its predecessor's `hash` (32 zero bytes for sequence 1),
/// and `hash` is SHA-256 over the entry's deterministic encoding with
/// `hash` cleared. Changing any field of any entry breaks the chain at that
/// entry, which is what `pact log --verify` reports.

#include <cstdint>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

namespace pact::journal {

/// The `prev_hash` of the first entry.
std::string zero_hash();

/// SHA-256 over `entry` encoded deterministically with `hash` cleared.
std::string entry_hash(const protocol::ConfigEntry& entry);

/// Outcome of verify_chain.
struct chain_report {
  /// True when every entry checked out.
  bool ok = true;
  /// Sequence of the first bad entry (its recorded sequence, or the
  /// sequence expected at that position when the recorded one is wrong);
  /// 0 when ok.
  uint64_t first_bad = 0;
  /// What is wrong with it; empty when ok.
  std::string reason;
};

/// Checks a run of entries in ascending order: sequences consecutive from
/// the first entry's (which must be 1 for the first link to be checked
/// against zero_hash()), each `prev_hash` equal to the predecessor's
/// `hash`, each `hash` equal to entry_hash(). A run starting above 1 is
/// checked from its first entry's `prev_hash` on (a `pact log -n N`
/// suffix). An empty run is ok.
chain_report verify_chain(const std::vector<protocol::ConfigEntry>& entries);

/// verify_chain one entry at a time, for runs read from the state tables
/// without holding them all in memory.
class chain_verifier {
public:
  /// Checks the next entry of the run; false once a fault was found
  /// (report() names it; later entries are not checked).
  bool add(const protocol::ConfigEntry& e);
  /// Continues a chain checked earlier: the next entry must have sequence
  /// `sequence` + 1 and `prev_hash` equal to `hash` (the hash of entry
  /// `sequence`, already verified; a start-up checkpoint or the last entry
  /// of the previous `pact log --verify` page). Call before add().
  void resume_after(uint64_t sequence, std::string hash);
  const chain_report& report() const {
    return report_;
  }

private:
  bool first_ = true;
  uint64_t expected_ = 0;
  std::string prev_hash_;
  chain_report report_;
};

} // namespace pact::journal
