#pragma once

/// The simulator's only source of randomness (DESIGN.md §8, STYLE.md
/// principle 2). One seed drives a whole run; it is split into independent
/// streams (network, disks, faults, clients, election jitter) so that a
/// change in how one concern draws numbers does not perturb the others. No
/// std::random_device, no clocks: a run is a pure function of its seed.

#include <cstddef>
#include <cstdint>

#include "runtime/raft/random.hpp"

namespace pact::sim {

/// Mixes two 64-bit words (a splitmix64 finaliser over a boost-style
/// combine). Used for stream derivation and for the trace hash.
inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  std::uint64_t z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A seeded stream of pseudo-random numbers (splitmix64) with the helpers
/// the simulator needs. Not cryptographic.
class rng {
public:
  explicit rng(std::uint64_t seed) : gen_{seed} {
  }

  /// The stream named `stream` of the run seeded with `seed`.
  static rng derive(std::uint64_t seed, std::uint64_t stream) {
    return rng{mix(seed, stream)};
  }

  std::uint64_t next() {
    return gen_();
  }

  /// Uniform in [0, n) (modulo bias is irrelevant here). n == 0 yields 0.
  std::uint64_t below(std::uint64_t n) {
    return n == 0 ? 0 : gen_() % n;
  }

  /// Uniform in [lo, hi]. Precondition: lo <= hi.
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) {
    return lo + below(hi - lo + 1);
  }

  /// True with probability ppm / 1'000'000.
  bool chance(std::uint64_t ppm) {
    return below(1'000'000) < ppm;
  }

  /// A generator the Raft core can own (config::random).
  raft::splitmix64 fork() {
    return raft::splitmix64{gen_()};
  }

private:
  raft::splitmix64 gen_;
};

/// FNV-1a over bytes, for entry and state digests.
inline std::uint64_t hash_bytes(const char* data, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

} // namespace pact::sim
