#pragma once

/// The simulated network: every packet between replicas and between
/// clients and replicas travels through here. Faults, all drawn from the
/// network's own seeded stream: loss, duplication, delay (in ticks) and
/// reordering (random order among packets due at the same tick);
/// connectivity between replicas can be cut per direction, which gives
/// symmetric partitions, asymmetric (one-way) partitions and isolation.
/// A cut link drops a packet when it would be delivered. Clients reach every
/// replica (only loss, delay and duplication apply to them), so that a
/// stale leader keeps receiving client requests.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/raft/types.hpp"
#include "tests/sim/linearizability.hpp"
#include "tests/sim/rng.hpp"

namespace pact::sim {

using raft::node_id;

/// Ids at or above this are clients, below are replicas.
inline constexpr node_id client_base = 100;

/// A client asking a replica to read or write a register.
struct client_request {
  lin::op_kind kind = lin::op_kind::read;
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  /// Retry number of this operation, to keep ReadIndex contexts unique.
  std::uint64_t attempt = 0;
  std::string key;
  std::string value;
};

enum class reply_status : std::uint8_t {
  /// Done: the write took effect, or `value` is a linearizable read.
  ok,
  /// Refused by a replica that is not the leader; see leader_hint.
  not_leader,
  /// Refused: no leader known or a leadership transfer is in progress.
  unavailable,
};

struct client_reply {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  reply_status status = reply_status::ok;
  node_id leader_hint = raft::no_node;
  std::string value;
};

enum class packet_kind : std::uint8_t {
  raft,
  request,
  reply,
};

struct packet {
  node_id from = raft::no_node;
  node_id to = raft::no_node;
  packet_kind kind = packet_kind::raft;
  raft::message raft;
  client_request request;
  client_reply reply;
};

/// One line describing a packet, for traces and transcripts.
std::string describe(const packet& p);
/// One line describing a raft message (without from/to).
std::string describe(const raft::message& m);
/// A message context as text: printable contexts as they are, a
/// replica_driver ReadIndex context as "<replica>.<tag>".
std::string describe_context(const std::string& ctx);

/// Fault rates; probabilities in parts per million.
struct link_faults {
  std::uint64_t loss_ppm = 0;
  std::uint64_t duplicate_ppm = 0;
  std::uint64_t min_delay_ticks = 0;
  std::uint64_t max_delay_ticks = 0;
  /// Deliver packets due in the same tick in random order (else FIFO).
  bool reorder = false;
  /// A packet now and then arrives very late (a replay of an old packet
  /// from a congested link): extra delay up to long_delay_ticks.
  std::uint64_t long_delay_ppm = 0;
  std::uint64_t long_delay_ticks = 0;
};

struct network_stats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t cut = 0;
  std::uint64_t overflow = 0;
};

class network {
public:
  /// Most packets in flight; beyond it new packets are dropped ("put a
  /// limit on everything").
  static constexpr std::size_t max_in_flight = 1 << 16;

  explicit network(rng r) : rng_(r) {
  }

  link_faults& faults() {
    return faults_;
  }
  const network_stats& stats() const {
    return stats_;
  }

  /// Sends `p` at tick `now`; loss and duplication are decided here.
  void send(packet p, std::uint64_t now);
  /// Removes and returns the next packet due at or before `now`, in
  /// delivery order; packets on cut links are dropped on the way.
  std::optional<packet> next_due(std::uint64_t now);
  /// Tick at which the next packet is due, if any.
  std::optional<std::uint64_t> next_due_tick() const;
  std::size_t in_flight() const {
    return heap_.size();
  }
  /// In-flight packets in delivery order (for transcripts).
  std::vector<packet> pending() const;
  /// Removes and returns every packet in flight, in delivery order.
  std::vector<packet> take_all();
  /// Queues `p` for delivery at `now`, after everything queued, with no
  /// faults (scenarios put back what they did not deliver).
  void requeue(packet p, std::uint64_t now);

  /// Drops packets from `from` to `to` (one direction).
  void cut(node_id from, node_id to) {
    cut_.insert({from, to});
  }
  /// Cuts every link between `side` and the other replicas in `all`.
  void partition(const std::set<node_id>& side, const std::set<node_id>& all);
  /// Cuts `id` off from every other replica in `all`, both directions.
  void isolate(node_id id, const std::set<node_id>& all);
  /// Restores every link.
  void heal() {
    cut_.clear();
  }
  bool connected(node_id from, node_id to) const;
  bool partitioned() const {
    return !cut_.empty();
  }

private:
  struct flight {
    std::uint64_t due;
    std::uint64_t order;
    packet p;
  };
  /// Min-heap order on (due, order).
  static bool later(const flight& a, const flight& b) {
    return a.due != b.due ? a.due > b.due : a.order > b.order;
  }
  void enqueue(packet p, std::uint64_t now);

  rng rng_;
  link_faults faults_;
  network_stats stats_;
  std::vector<flight> heap_;
  std::uint64_t sequence_ = 0;
  std::set<std::pair<node_id, node_id>> cut_;
};

} // namespace pact::sim
