#pragma once

/// A simulated cluster: N replicas, the network between them and their
/// clients, global time, the invariant checker run after every step, and a
/// trace hash over everything that happened (two runs of one seed must end
/// with the same hash).
///
/// Time is a global tick counter. In one tick every running replica's
/// clock advances (by its own rate), then packets due and fsyncs due are
/// processed until none is left due at this tick. A "step" is one input to
/// one replica (a raft tick, a packet, a completed fsync) together with the
/// host loop work it causes; the invariants are checked after each.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/invariants.hpp"
#include "tests/sim/network.hpp"
#include "tests/sim/replica.hpp"
#include "tests/sim/rng.hpp"

namespace pact::sim {

class cluster {
public:
  using reply_handler = std::function<void(const client_reply&)>;

  /// Replicas 1..n, all voters, with options `ro`; streams from `seed`.
  cluster(std::size_t n, const replica_options& ro, std::uint64_t seed);

  /// Global tick.
  std::uint64_t now() const {
    return now_;
  }
  /// Event counter, strictly increasing: timestamps of client history.
  std::uint64_t clock() {
    return ++clock_;
  }
  /// Advances one global tick and runs everything due in it.
  void run_tick();
  /// Scenarios: one raft tick on one replica (no global time passes).
  void tick_replica(node_id id);
  /// Delivers the next packet due now; false when there is none.
  bool deliver_next();
  /// Delivers `p` now, whatever the network says (scenarios).
  void deliver_packet(const packet& p) {
    deliver(p);
  }
  /// Scenarios: delivers packets and completes fsyncs until nothing is due
  /// now (bounded by max_steps).
  void stabilize(std::size_t max_steps = 100000);

  void crash(node_id id);
  /// Starts a crashed replica; one whose store failed is stopped first
  /// (the operator reopens the store).
  void restart(node_id id);
  /// Runs `f` on a running replica's driver (propose, campaign, transfer
  /// ...) as one step: notes `what`, runs the host loop, checks.
  void poke(node_id id, const std::string& what,
            const std::function<void(pact::replica::replica_driver&)>& f);

  /// A client sends a request; it travels like any packet.
  void send_request(std::uint64_t client, node_id to, const client_request& rq);
  void on_reply(reply_handler h) {
    on_reply_ = std::move(h);
  }

  replica& at(node_id id) {
    return *replicas_.at(id - 1);
  }
  const std::vector<std::unique_ptr<replica>>& replicas() const {
    return replicas_;
  }
  std::set<node_id> ids() const;
  network& net() {
    return net_;
  }
  invariants& checks() {
    return *checks_;
  }
  /// The leader with the highest term among running replicas, if any.
  std::optional<node_id> leader() const;

  /// Folds an external event (a fault, a client action) into the trace and
  /// prints it when tracing.
  void note(const std::string& what);
  std::uint64_t trace_hash() const {
    return trace_;
  }
  /// Prints every step to `out` (nullptr: silent), each line prefixed with
  /// the tick unless `with_time` is false.
  void set_trace(std::ostream* out, bool with_time = true) {
    trace_out_ = out;
    trace_time_ = with_time;
  }

private:
  void pump(replica& r);
  void deliver(const packet& p);
  void after_step(replica* r);
  void complete_fsyncs();
  void fold(std::uint64_t v) {
    trace_ = mix(trace_, v);
  }
  void fold_packet(const packet& p);
  void print(const std::string& line);

  std::uint64_t now_ = 0;
  std::uint64_t clock_ = 0;
  std::unique_ptr<invariants> checks_;
  std::vector<std::unique_ptr<replica>> replicas_;
  network net_;
  reply_handler on_reply_;
  std::uint64_t trace_ = 0;
  std::ostream* trace_out_ = nullptr;
  bool trace_time_ = true;
  std::vector<packet> outbox_;
};

} // namespace pact::sim
