#pragma once

/// One seeded simulation run (DESIGN.md §8, docs/simulation.md): a
/// cluster of 3 or 5 replicas under a fault schedule drawn from the seed
/// (swarm testing: each seed picks its own fault rates, so some seeds are
/// calm and some brutal), clients writing and reading, invariants checked
/// after every step, then healing, a liveness check, and a linearizability
/// check of the whole client history.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "tests/sim/replica.hpp"

namespace pact::sim {

struct sim_options {
  std::uint64_t seed = 1;
  /// 3 or 5; 0 lets the seed choose.
  std::size_t replicas = 0;
  /// Global ticks of the fault phase (`--steps`).
  std::uint64_t ticks = 1500;
  /// Prints every step and fault here (nullptr: silent).
  std::ostream* trace = nullptr;
  /// A deliberate host bug (the simulator's own test; see replica.hpp).
  planted_bug bug = planted_bug::none;
};

struct sim_result {
  bool ok = true;
  /// What failed: an invariant, liveness, or linearizability.
  std::string failure;
  std::size_t replicas = 0;
  std::uint64_t ticks = 0;
  std::uint64_t trace_hash = 0;
  std::size_t leaders = 0;
  std::uint64_t committed = 0;
  std::uint64_t writes_ok = 0;
  std::uint64_t reads_ok = 0;
  std::uint64_t unknown = 0;
  std::uint64_t crashes = 0;
  std::uint64_t lost_batches = 0;
  /// Store writes that failed (the driver stopped accepting writes).
  std::uint64_t store_failures = 0;
  std::uint64_t partitions = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t installs = 0;
  std::uint64_t packets = 0;
  std::uint64_t lin_states = 0;
  bool lin_unknown = false;
  /// The fault plan the seed drew.
  std::string plan;

  /// One line: the seed's numbers and its trace hash.
  std::string summary(std::uint64_t seed) const;
};

/// The replica count used for `opts` (resolves replicas == 0).
std::size_t replicas_for(const sim_options& opts);

/// Runs one seed. Deterministic: same options, same result and trace.
sim_result run_simulation(const sim_options& opts);

/// Name of a planted bug ("none", "send-before-fsync", ...); parse_bug is
/// its inverse (nullopt for an unknown name).
const char* to_string(planted_bug b);
std::optional<planted_bug> parse_bug(const std::string& name);

/// The command line that replays `opts` exactly.
std::string replay_command(const sim_options& opts);

} // namespace pact::sim
