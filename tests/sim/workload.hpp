#pragma once

/// Simulated clients. Each client runs one operation at a time: a write of
/// a unique value to a random key, or a linearizable read (ReadIndex) of a
/// random key. It sends to the replica it believes leads, follows
/// `not_leader` redirects and retries refusals (the request was not
/// executed, so that is always safe), and retries a request that timed out
/// up to max_attempts times (safe too: the state machine's sessions apply
/// a write at most once). Then it gives up: the operation stays pending
/// forever in the history ("unknown outcome"). Invocation and response
/// times are the cluster's event clock, so the history is in simulated
/// time.

#include <cstdint>
#include <optional>
#include <vector>

#include "tests/sim/cluster.hpp"
#include "tests/sim/linearizability.hpp"
#include "tests/sim/rng.hpp"

namespace pact::sim {

struct workload_options {
  std::size_t clients = 3;
  std::size_t keys = 3;
  /// Share of reads among operations.
  std::uint64_t read_ppm = 500'000;
  /// Pause between a client's operations, uniform in [0, think_ticks].
  std::uint64_t think_ticks = 4;
  /// Wait for a reply this long before retrying elsewhere.
  std::uint64_t timeout_ticks = 40;
  /// Attempts that time out before the client gives up.
  std::uint64_t max_attempts = 3;
};

struct workload_stats {
  std::uint64_t writes_ok = 0;
  std::uint64_t reads_ok = 0;
  std::uint64_t gave_up = 0;
  std::uint64_t redirects = 0;
  std::uint64_t timeouts = 0;
};

class workload {
public:
  workload(cluster& c, workload_options o, rng r);

  /// Once per global tick, before the cluster's tick. `start_new` false
  /// lets outstanding operations finish without starting others.
  void tick(bool start_new);
  void on_reply(const client_reply& rp);
  /// No operation outstanding.
  bool idle() const;
  const std::vector<lin::operation>& history() const {
    return history_;
  }
  const workload_stats& stats() const {
    return stats_;
  }

private:
  struct client_state {
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
    /// Index into history_ of the operation in progress.
    std::optional<std::size_t> op;
    client_request rq;
    node_id target = raft::no_node;
    node_id leader_hint = raft::no_node;
    /// Tick of the next send (retry after a refusal) or of the timeout.
    std::uint64_t resend_at = 0;
    std::uint64_t deadline = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t next_start = 0;
  };

  void start(client_state& c);
  void send(client_state& c);
  void finish(client_state& c, const client_reply* rp);
  node_id random_replica();

  cluster& cluster_;
  workload_options opts_;
  rng rng_;
  std::vector<client_state> clients_;
  std::vector<lin::operation> history_;
  workload_stats stats_;
};

} // namespace pact::sim
