#include "tests/sim/replica.hpp"

namespace pact::sim {

replica::replica(node_id id, raft::conf_state conf, replica_options opts,
                 rng stream, apply_observer* observer)
  : id_(id),
    conf_(conf),
    opts_(opts),
    rng_(stream),
    observer_(observer),
    storage_(std::move(conf)) {
}

void replica::start() {
  PACT_ASSERT(!up(), "start() of a running replica");
  const auto& snap = storage_.latest_snapshot();
  sm_ = kv_state_machine{};
  if (!snap.empty()) {
    auto restored = kv_state_machine::decode_snapshot(snap.data);
    PACT_ASSERT(restored.has_value(), "malformed durable snapshot");
    sm_ = std::move(*restored);
    observer_->on_restore(id_, sm_.applied_index(), sm_.chain());
  }
  conf_ = storage_.load_initial_state().conf;
  raft::config cfg;
  cfg.id = id_;
  cfg.storage = &storage_;
  cfg.applied = sm_.applied_index();
  cfg.election_timeout_ticks = opts_.election_timeout_ticks;
  cfg.heartbeat_interval_ticks = opts_.heartbeat_interval_ticks;
  cfg.pre_vote = opts_.pre_vote;
  cfg.check_quorum = opts_.check_quorum;
  cfg.max_entries_per_msg = opts_.max_entries_per_msg;
  cfg.max_inflight_msgs = opts_.max_inflight_msgs;
  cfg.max_snapshot_chunk_bytes = opts_.max_snapshot_chunk_bytes;
  cfg.random = rng_.fork();
  node_ = std::make_unique<raft::raw_node>(cfg);
  crash_after_fsync_ = false;
}

void replica::crash() {
  if (!up())
    return;
  ++stats_.crashes;
  if (opts_.bug == planted_bug::forget_vote) {
    auto hs = storage_.load_initial_state().hard;
    hs.voted_for = raft::no_node;
    storage_.set_hard_state(hs);
  }
  if (pending_ && pending_->rd.must_persist())
    ++stats_.lost_batches; // Never fsynced: gone.
  pending_.reset();
  node_.reset();
  sm_ = kv_state_machine{};
  waiting_writes_.clear();
  waiting_reads_.clear();
  crash_after_fsync_ = false;
}

void replica::load(const std::vector<raft::entry>& ents,
                   const raft::hard_state& hs) {
  crash();
  storage_ = raft::memory_storage{conf_};
  storage_.append(ents);
  storage_.set_hard_state(hs);
  start();
}

void replica::on_tick() {
  if (!up())
    return;
  clock_ += opts_.clock_rate_permille;
  while (clock_ >= 1000) {
    clock_ -= 1000;
    node_->tick();
  }
}

void replica::tick_node() {
  if (up())
    node_->tick();
}

void replica::step(const raft::message& m) {
  if (up())
    node_->step(m);
}

void replica::pump(std::uint64_t now, std::vector<packet>& out) {
  while (up()) {
    if (pending_) {
      if (pending_->done_at > now)
        return; // The disk is still busy with this batch.
      auto batch = std::move(*pending_);
      pending_.reset();
      finish(batch.rd, out);
      continue;
    }
    if (!node_->has_ready())
      return;
    auto rd = node_->get_ready();
    std::uint64_t latency = 0;
    if (rd.must_persist())
      latency = rng_.between(opts_.min_fsync_ticks, opts_.max_fsync_ticks);
    if (opts_.bug == planted_bug::send_before_fsync)
      send_messages(rd, out);
    pending_ = in_flight_batch{std::move(rd), now + latency};
  }
}

void replica::finish(raft::ready& rd, std::vector<packet>& out) {
  // 1. The fsync completed: the whole batch is durable at once.
  persist(rd);
  observer_->on_persisted(*this);
  if (crash_after_fsync_) {
    crash(); // Durable, but nothing was sent or applied.
    return;
  }
  // 2. Only now may the messages that depend on it leave.
  send_messages(rd, out);
  // 3. Apply.
  if (rd.snapshot)
    restore_state(*rd.snapshot);
  for (const auto& e : rd.committed_entries)
    apply(e, out);
  for (const auto& rs : rd.read_states) {
    auto i = waiting_reads_.find(rs.context);
    if (i != waiting_reads_.end())
      i->second.index = rs.index;
  }
  serve_reads(out);
  // 4. Acknowledge.
  node_->advance(rd);
  maybe_snapshot();
}

void replica::send_messages(raft::ready& rd, std::vector<packet>& out) {
  for (auto& m : rd.messages) {
    packet p;
    p.from = id_;
    p.to = m.to;
    p.kind = packet_kind::raft;
    p.raft = std::move(m);
    out.push_back(std::move(p));
  }
  rd.messages.clear();
}

void replica::persist(const raft::ready& rd) {
  if (!rd.must_persist())
    return;
  ++stats_.fsyncs;
  if (rd.snapshot) {
    storage_.apply_snapshot(*rd.snapshot);
    ++stats_.snapshots_installed;
  }
  storage_.append(rd.entries);
  if (rd.hard_state)
    storage_.set_hard_state(*rd.hard_state);
}

void replica::restore_state(const raft::snapshot& snap) {
  auto restored = kv_state_machine::decode_snapshot(snap.data);
  PACT_ASSERT(restored.has_value(), "malformed snapshot image");
  PACT_ASSERT(restored->applied_index() == snap.meta.last_included_index,
                   "snapshot image and metadata disagree");
  sm_ = std::move(*restored);
  conf_ = snap.meta.conf;
  observer_->on_restore(id_, sm_.applied_index(), sm_.chain());
}

void replica::apply(const raft::entry& e, std::vector<packet>& out) {
  auto cmd = sm_.apply(e);
  observer_->on_apply(id_, e, sm_.chain());
  if (e.kind == raft::entry_kind::conf_change) {
    auto cc = raft::decode_conf_change(e.data);
    PACT_ASSERT(cc.has_value(), "malformed conf change");
    conf_ = node_->apply_conf_change(*cc);
    storage_.set_conf_state(conf_);
  }
  if (!cmd)
    return;
  // The write took effect (now, or earlier if the session skipped it).
  if (waiting_writes_.erase({cmd->client, cmd->seq}) > 0)
    out.push_back(reply(cmd->client, cmd->seq, reply_status::ok));
}

void replica::serve_reads(std::vector<packet>& out) {
  for (auto i = waiting_reads_.begin(); i != waiting_reads_.end();) {
    const auto& rd = i->second;
    // Thesis §6.4 step 4: answer once the state machine reached the read
    // index.
    if (rd.index && *rd.index <= sm_.applied_index()) {
      out.push_back(reply(rd.client, rd.seq, reply_status::ok,
                          sm_.get(rd.key)));
      i = waiting_reads_.erase(i);
    } else {
      ++i;
    }
  }
}

void replica::maybe_snapshot() {
  if (opts_.snapshot_every == 0)
    return;
  auto applied = sm_.applied_index();
  auto last = storage_.latest_snapshot().meta.last_included_index;
  if (applied < last + opts_.snapshot_every)
    return;
  storage_.create_snapshot(applied, conf_, sm_.encode_snapshot());
  ++stats_.snapshots_taken;
  if (applied > opts_.compact_keep)
    storage_.compact(applied - opts_.compact_keep);
}

void replica::forget_older(std::uint64_t client, std::uint64_t seq) {
  // A client has one operation at a time: older ones were abandoned.
  for (auto i = waiting_writes_.begin(); i != waiting_writes_.end();)
    i = i->first == client && i->second < seq ? waiting_writes_.erase(i)
                                              : std::next(i);
  for (auto i = waiting_reads_.begin(); i != waiting_reads_.end();)
    i = i->second.client == client && i->second.seq < seq
          ? waiting_reads_.erase(i)
          : std::next(i);
}

packet replica::reply(std::uint64_t client, std::uint64_t seq,
                      reply_status st, std::string value) const {
  packet p;
  p.from = id_;
  p.to = client_base + client;
  p.kind = packet_kind::reply;
  p.reply.client = client;
  p.reply.seq = seq;
  p.reply.status = st;
  p.reply.value = std::move(value);
  if (up())
    p.reply.leader_hint = node_->core().leader_id();
  return p;
}

void replica::on_request(const client_request& rq, std::vector<packet>& out) {
  if (!up())
    return;
  forget_older(rq.client, rq.seq);
  raft::status st;
  if (rq.kind == lin::op_kind::write) {
    st = node_->propose(encode(command{rq.client, rq.seq, rq.key, rq.value}));
    if (st == raft::status::ok) {
      waiting_writes_.insert({rq.client, rq.seq});
      return;
    }
  } else if (opts_.bug == planted_bug::local_reads
             || (opts_.bug == planted_bug::leader_reads
                 && node_->core().role() == raft::node_role::leader)) {
    out.push_back(reply(rq.client, rq.seq, reply_status::ok, sm_.get(rq.key)));
    return;
  } else {
    auto ctx = "r" + std::to_string(rq.client) + '.' + std::to_string(rq.seq)
               + '.' + std::to_string(rq.attempt);
    st = node_->read_index(ctx);
    if (st == raft::status::ok) {
      waiting_reads_[ctx] = waiting_read{rq.client, rq.seq, rq.key, {}};
      return;
    }
  }
  out.push_back(reply(rq.client, rq.seq,
                      st == raft::status::not_leader
                        ? reply_status::not_leader
                        : reply_status::unavailable));
}

} // namespace pact::sim
