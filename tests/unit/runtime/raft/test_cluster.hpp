#pragma once

// In-test cluster for the hand-stepped paper tests: several raw_nodes over
// memory_storage, a FIFO message queue between them, and knobs to drop,
// isolate and restart replicas. The host loop in process() follows the
// ready contract literally: send early messages, persist, report
// durability, send the rest, apply, advance; a stalled disk holds a
// replica's write while the cluster runs.
// Randomized runs (faults, crashes, linearizability) live in tests/sim,
// which drives the shipped replica_driver instead of this loop. Every core
// here checks its invariants after each input (config::check_invariants).

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/raft/memory_storage.hpp"
#include "runtime/raft/random.hpp"
#include "runtime/raft/raw_node.hpp"

namespace pact::raft::test {

/// One simulated replica: durable storage plus the in-memory node and the
/// state machine it applies to (a list of applied normal entries).
struct replica {
  memory_storage storage;
  std::unique_ptr<raw_node> node;
  std::vector<std::string> applied;
  std::vector<read_state> reads;
  index_t applied_index = 0;
  conf_state conf;
  /// A slow disk: the outstanding ready whose write has not completed.
  bool stalled = false;
  std::optional<ready> pending;
};

class network {
public:
  using tweak_fn = std::function<void(config&)>;

  explicit network(std::vector<node_id> voters, tweak_fn tweak = {},
                   std::vector<node_id> learners = {})
    : tweak_(std::move(tweak)) {
    conf_state cs{voters, learners};
    std::vector<node_id> all = voters;
    all.insert(all.end(), learners.begin(), learners.end());
    for (auto id : all) {
      auto& r = replicas_[id];
      r.storage = memory_storage{cs};
      r.conf = cs;
      start(id);
    }
  }

  config make_config(node_id id) {
    config cfg;
    cfg.id = id;
    cfg.storage = &replicas_[id].storage;
    cfg.applied = replicas_[id].applied_index;
    cfg.random = splitmix64{id * 7919};
    cfg.check_invariants = true;
    if (tweak_)
      tweak_(cfg);
    return cfg;
  }

  /// (Re)creates the in-memory node from durable storage: a crash-restart
  /// that loses everything not persisted.
  void start(node_id id) {
    replicas_[id].pending.reset(); // A crash loses the unfinished write.
    replicas_[id].stalled = false;
    replicas_[id].node = std::make_unique<raw_node>(make_config(id));
  }

  /// A new replica joining with an empty log and the given membership.
  void add_replica(node_id id, conf_state cs) {
    auto& r = replicas_[id];
    r.storage = memory_storage{cs};
    r.conf = cs;
    start(id);
  }

  /// Replaces a replica's durable state by `ents` and `hs` and restarts it.
  void load(node_id id, const std::vector<entry>& ents, hard_state hs) {
    auto& r = replicas_.at(id);
    r.storage = memory_storage{r.conf};
    r.storage.append(ents);
    r.storage.set_hard_state(hs);
    r.applied_index = 0;
    r.applied.clear();
    start(id);
  }

  replica& at(node_id id) {
    return replicas_.at(id);
  }
  raw_node& node(node_id id) {
    return *replicas_.at(id).node;
  }
  core& raft(node_id id) {
    return node(id).core();
  }

  /// Host loop for one replica: drain all readies. A replica whose disk
  /// is stalled (stall_disk) sends a ready's early messages and then waits
  /// with the ready outstanding until finish_write(): its write is slow
  /// while the rest of the cluster runs (thesis §10.2.1).
  void process(node_id id) {
    auto& r = replicas_.at(id);
    while (!r.pending && r.node->has_ready()) {
      auto rd = r.node->get_ready();
      // 0. Early messages (a leader's AppendEntries and heartbeats).
      send_all(rd.early_messages);
      if (r.stalled && rd.must_persist()) {
        r.pending = std::move(rd);
        return;
      }
      finish(r, rd);
    }
  }

  /// Stalls `id`'s disk: its next write stays pending until finish_write.
  void stall_disk(node_id id) {
    replicas_.at(id).stalled = true;
  }
  /// Completes `id`'s pending write and resumes its host loop.
  void finish_write(node_id id) {
    auto& r = replicas_.at(id);
    r.stalled = false;
    if (r.pending) {
      auto rd = std::move(*r.pending);
      r.pending.reset();
      finish(r, rd);
    }
    process(id);
  }
  /// Whether `id` has a write pending on a stalled disk.
  bool write_pending(node_id id) {
    return replicas_.at(id).pending.has_value();
  }

  void process_all() {
    for (auto& [id, r] : replicas_)
      process(id);
  }

  /// Delivers one queued message; returns false if none is left.
  bool deliver_one() {
    if (queue_.empty())
      return false;
    auto m = std::move(queue_.front());
    queue_.pop_front();
    sent_.push_back(m);
    auto i = replicas_.find(m.to);
    if (i != replicas_.end() && !down_.count(m.to))
      i->second.node->step(m);
    return true;
  }

  /// Runs the cluster until no message is in flight.
  void settle(int max_steps = 100000) {
    process_all();
    for (int i = 0; i < max_steps; ++i) {
      if (!deliver_one())
        return;
      process_all();
    }
  }

  void tick(node_id id) {
    if (!down_.count(id))
      node(id).tick();
  }
  void tick_all(int n = 1) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, r] : replicas_)
        tick(id);
      settle();
    }
  }

  /// Forces `id` to campaign and runs to quiescence.
  void elect(node_id id) {
    node(id).campaign();
    settle();
  }

  /// Drops every message from or to `id` (a network partition).
  void isolate(node_id id) {
    isolated_.insert(id);
  }
  void heal() {
    isolated_.clear();
    cut_.clear();
    drop_if_ = nullptr;
  }
  /// Drops messages from `from` to `to`.
  void cut(node_id from, node_id to) {
    cut_.insert({from, to});
  }
  void drop_if(std::function<bool(const message&)> f) {
    drop_if_ = std::move(f);
  }
  /// Marks a replica as crashed: messages to it vanish and it does not tick.
  void crash(node_id id) {
    down_.insert(id);
  }
  /// Brings a crashed replica back from its durable storage.
  void recover(node_id id) {
    down_.erase(id);
    start(id);
  }

  std::vector<message>& sent() {
    return sent_;
  }
  std::deque<message>& queue() {
    return queue_;
  }

  /// The unique leader of the highest term, or no_node.
  node_id leader() {
    node_id best = no_node;
    term_t best_term = 0;
    for (auto& [id, r] : replicas_) {
      if (down_.count(id))
        continue;
      const auto& c = r.node->core();
      if (c.role() == node_role::leader && c.current_term() >= best_term) {
        best = id;
        best_term = c.current_term();
      }
    }
    return best;
  }

private:
  void send_all(std::vector<message>& ms) {
    for (auto& m : ms)
      if (!drops(m))
        queue_.push_back(std::move(m));
  }

  /// Steps 1 to 4 of the ready contract.
  void finish(replica& r, ready& rd) {
    // 1. Persist.
    if (rd.snapshot) {
      r.storage.apply_snapshot(*rd.snapshot);
      r.conf = rd.snapshot->meta.conf;
      r.applied_index = rd.snapshot->meta.last_included_index;
      r.applied.clear();
      r.applied.push_back("snapshot:" + rd.snapshot->data);
    }
    r.storage.append(rd.entries);
    if (rd.hard_state)
      r.storage.set_hard_state(*rd.hard_state);
    // 1b. Report durability.
    auto last = r.storage.last_index();
    r.node->persisted(last, r.storage.term(last).value());
    // 2. Send.
    send_all(rd.messages);
    // 3. Apply.
    for (const auto& e : rd.committed_entries)
      apply(r, e);
    for (auto& rs : rd.read_states)
      r.reads.push_back(rs);
    // 4. Advance.
    r.node->advance(rd);
  }

  bool drops(const message& m) const {
    if (isolated_.count(m.from) || isolated_.count(m.to))
      return true;
    if (cut_.count({m.from, m.to}))
      return true;
    return drop_if_ && drop_if_(m);
  }

  void apply(replica& r, const entry& e) {
    r.applied_index = e.index;
    if (e.kind == entry_kind::normal) {
      r.applied.push_back(e.data);
    } else if (e.kind == entry_kind::conf_change) {
      auto cc = decode_conf_change(e.data);
      r.conf = r.node->apply_conf_change(*cc);
      r.storage.set_conf_state(r.conf);
    }
  }

  tweak_fn tweak_;
  std::map<node_id, replica> replicas_;
  std::deque<message> queue_;
  std::vector<message> sent_;
  std::set<node_id> isolated_;
  std::set<std::pair<node_id, node_id>> cut_;
  std::set<node_id> down_;
  std::function<bool(const message&)> drop_if_;
};

/// A single core over a prepared storage, for paper-style unit tests that
/// step messages by hand and inspect what it sends.
inline config core_config(node_id id, const log_storage& storage,
                          int election_timeout = 10) {
  config cfg;
  cfg.id = id;
  cfg.storage = &storage;
  cfg.election_timeout_ticks = election_timeout;
  cfg.heartbeat_interval_ticks = 1;
  cfg.random = splitmix64{id};
  cfg.check_invariants = true;
  return cfg;
}

/// Entries with the given terms, at indices 1, 2, ...
inline std::vector<entry> entries_with_terms(std::vector<term_t> terms,
                                             index_t first = 1) {
  std::vector<entry> out;
  for (auto t : terms) {
    entry e;
    e.index = first++;
    e.term = t;
    out.push_back(e);
  }
  return out;
}

/// Messages of one type.
inline std::vector<message> of_type(const std::vector<message>& ms,
                                    message_type t) {
  std::vector<message> out;
  for (const auto& m : ms)
    if (m.type == t)
      out.push_back(m);
  return out;
}

} // namespace pact::raft::test
