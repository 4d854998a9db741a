#pragma once

/// The fault plan of one seed (swarm testing: every seed draws its own
/// rates, so that some runs are calm and others brutal, and rare
/// combinations still occur) and the per-tick fault injector.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/sim/cluster.hpp"
#include "tests/sim/network.hpp"
#include "tests/sim/replica.hpp"
#include "tests/sim/rng.hpp"
#include "tests/sim/workload.hpp"

namespace pact::sim {

/// Per-tick probabilities (ppm) of fault events.
struct fault_rates {
  /// Start a partition (symmetric, isolation, one-way, or a bridge).
  std::uint64_t partition_ppm = 0;
  /// Heal the current partition.
  std::uint64_t heal_ppm = 0;
  /// Crash a running replica.
  std::uint64_t crash_ppm = 0;
  /// Share of crashes that strike right after an fsync, before the sends.
  std::uint64_t crash_after_fsync_ppm = 0;
  /// Share of crashes that restart at once (a reboot).
  std::uint64_t reboot_ppm = 0;
  /// Restart each crashed replica.
  std::uint64_t restart_ppm = 0;
  /// Ask the leader to transfer leadership to a random voter.
  std::uint64_t transfer_ppm = 0;
  /// Make a random replica start an election now.
  std::uint64_t campaign_ppm = 0;
  /// Make a replica's next store write fail (an I/O error or a full disk:
  /// the driver's fatal path); restart_ppm reopens its store later.
  std::uint64_t store_failure_ppm = 0;
};

struct fault_plan {
  replica_options replica;
  /// Per replica (index id - 1): clock rate and fsync latency bounds.
  std::vector<std::uint64_t> clock_rate_permille;
  std::vector<std::uint64_t> max_fsync_ticks;
  link_faults links;
  fault_rates rates;
  workload_options clients;

  /// Several lines describing the plan.
  std::string describe() const;
};

/// Draws the plan of `seed` for `replicas` replicas.
fault_plan draw_plan(std::uint64_t seed, std::size_t replicas);

/// Applies the per-replica parts of `plan` to a fresh cluster.
void apply_plan(cluster& c, const fault_plan& plan);

struct fault_counts {
  std::uint64_t partitions = 0;
  std::uint64_t crashes = 0;
  std::uint64_t transfers = 0;
  std::uint64_t campaigns = 0;
};

/// Injects this tick's faults.
void inject_faults(cluster& c, const fault_rates& rates, rng& r,
                   fault_counts& counts);

/// Starts a random partition (kinds as in fault_rates::partition_ppm).
void start_partition(cluster& c, rng& r);

} // namespace pact::sim
