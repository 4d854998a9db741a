#pragma once

/// The injected source of randomness for election jitter (DESIGN.md §3:
/// "election jitter comes from an injected seeded PRNG"). The core only ever
/// calls a `std::function<std::uint64_t()>`; `splitmix64` is the default, a
/// tiny deterministic generator so that every run replays from its seed.

#include <cstdint>

namespace pact::raft {

/// SplitMix64 (Steele, Lea, Flood 2014). Not cryptographic; used only to
/// spread election timeouts so that split votes are rare (§5.2).
struct splitmix64 {
  std::uint64_t state = 0;

  std::uint64_t operator()() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

} // namespace pact::raft
