#include "tests/sim/replica.hpp"

#include <limits>

namespace pact::sim {

namespace {

/// A snapshot interval no run reaches: snapshot_every == 0 means never.
constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max() / 4;

/// Stream ids under the replica's stream (rng::derive).
constexpr std::uint64_t disk_stream = 1;

} // namespace

replica::replica(node_id id, raft::conf_state conf, replica_options opts,
                 rng stream, apply_observer* observer)
  : id_(id), opts_(opts), rng_(stream), observer_(observer),
    store_(std::move(conf), rng::derive(stream.next(), disk_stream)) {
}

void replica::start() {
  PACT_ASSERT(!up(), "start() of a running replica");
  sm_ = std::make_unique<kv_state_machine>(id_, store_, *observer_);
  pact::replica::driver_config dc;
  dc.raft.id = id_;
  dc.raft.election_timeout_ticks = opts_.election_timeout_ticks;
  dc.raft.heartbeat_interval_ticks = opts_.heartbeat_interval_ticks;
  dc.raft.pre_vote = opts_.pre_vote;
  dc.raft.check_quorum = opts_.check_quorum;
  dc.raft.max_entries_per_msg = opts_.max_entries_per_msg;
  dc.raft.max_inflight_msgs = opts_.max_inflight_msgs;
  dc.raft.max_snapshot_chunk_bytes = opts_.max_snapshot_chunk_bytes;
  dc.raft.random = rng_.fork();
  dc.raft.check_invariants = true; // The core's own checks, every input.
  dc.snapshot_interval = opts_.snapshot_every == 0 ? never
                                                   : opts_.snapshot_every;
  dc.compact_retain = opts_.compact_keep;
  dc.send_early = [this](std::vector<raft::message>& ms) {
    for (auto& m : ms)
      early_.push_back(raft_packet(std::move(m)));
  };
  driver_ = std::make_unique<pact::replica::replica_driver>(dc, store_, *sm_);
  auto st = driver_->start();
  PACT_ASSERT(st.ok(), "the driver cannot start from the simulated disk");
  crash_after_fsync_ = false;
}

void replica::crash() {
  if (!up())
    return;
  ++stats_.crashes;
  arm_disk();
  store_.crash();
  driver_.reset();
  sm_.reset();
  held_.clear();
  early_.clear();
  unreported_ = false;
  waiting_.clear();
  crash_after_fsync_ = false;
}

void replica::fail_next_write(bool full) {
  store_.fail_next_write(full ? "simulated full disk" : "simulated I/O error",
                         full);
}

void replica::load(const std::vector<raft::entry>& ents,
                   const raft::hard_state& hs) {
  crash();
  store_.load(ents, hs);
  start();
}

void replica::on_tick() {
  if (!up())
    return;
  clock_ += opts_.clock_rate_permille;
  while (clock_ >= 1000) {
    clock_ -= 1000;
    driver_->tick();
  }
}

void replica::tick_node() {
  if (up())
    driver_->tick();
}

void replica::step(const raft::message& m) {
  if (up())
    driver_->step(m);
}

void replica::arm_disk() {
  // Options may change between steps (scenarios plant bugs mid-run).
  store_.set_fsync_ticks(opts_.min_fsync_ticks, opts_.max_fsync_ticks);
  store_.lie_about_fsync(opts_.bug == planted_bug::send_before_fsync);
  store_.forget_vote_on_crash(opts_.bug == planted_bug::forget_vote);
  store_.report_unsynced(opts_.bug == planted_bug::count_unsynced);
}

bool replica::fsynced(std::uint64_t now) {
  if (!store_.complete(now))
    return true;
  unreported_ = true;
  observer_->on_persisted(*this);
  if (!crash_after_fsync_)
    return true;
  crash(); // Durable, but nothing held was sent.
  return false;
}

void replica::pump(std::uint64_t now, std::vector<packet>& out) {
  if (!up())
    return;
  arm_disk();
  store_.set_now(now);
  if (!fsynced(now))
    return;
  while (true) {
    if (auto due = store_.sync_due(); due && *due > now)
      return; // The disk is still busy: the driver's output waits.
    for (auto& p : held_)
      out.push_back(std::move(p));
    held_.clear();
    // A completed write is news for the driver even with no ready: its
    // core may now count the leader's own copy (ready step 1b).
    if (driver_->failed() || (!driver_->node().has_ready() && !unreported_))
      return;
    unreported_ = false;
    auto o = driver_->process();
    for (auto& p : early_)
      out.push_back(std::move(p)); // Step 0: before the fsync.
    early_.clear();
    if (o.fatal)
      ++stats_.store_failures;
    take(std::move(o));
    if (!store_.sync_due())
      observer_->on_persisted(*this); // Nothing to wait for.
    if (!fsynced(now))
      return;
  }
}

packet replica::raft_packet(raft::message m) const {
  packet p;
  p.from = id_;
  p.to = m.to;
  p.kind = packet_kind::raft;
  p.raft = std::move(m);
  return p;
}

void replica::take(pact::replica::driver_output o) {
  for (auto& m : o.messages)
    held_.push_back(raft_packet(std::move(m)));
  for (const auto& c : o.done) {
    auto i = waiting_.find(c.tag);
    if (i == waiting_.end())
      continue; // Nobody waits (a scenario proposal, an abandoned op).
    const auto& w = i->second;
    if (c.ok) {
      // Thesis §6.4 step 4: a read is answered once the state machine
      // reached its read index, which the driver's completion says.
      held_.push_back(
        reply(w.client, w.seq, reply_status::ok,
              w.kind == lin::op_kind::read ? sm_->get(w.key) : std::string{}));
    } else {
      // Not applied (overwritten by a new leader) or the store failed:
      // refused, the client retries (its session makes that safe).
      held_.push_back(reply(w.client, w.seq, reply_status::unavailable));
    }
    waiting_.erase(i);
  }
}

void replica::forget_older(std::uint64_t client, std::uint64_t seq) {
  // A client has one operation at a time: older ones were abandoned.
  for (auto i = waiting_.begin(); i != waiting_.end();)
    i = i->second.client == client && i->second.seq < seq ? waiting_.erase(i)
                                                          : std::next(i);
}

packet replica::reply(std::uint64_t client, std::uint64_t seq, reply_status st,
                      std::string value) const {
  packet p;
  p.from = id_;
  p.to = client_base + client;
  p.kind = packet_kind::reply;
  p.reply.client = client;
  p.reply.seq = seq;
  p.reply.status = st;
  p.reply.value = std::move(value);
  if (up())
    p.reply.leader_hint = driver_->leader();
  return p;
}

void replica::on_request(const client_request& rq, std::vector<packet>& out) {
  if (!up())
    return;
  forget_older(rq.client, rq.seq);
  raft::status st;
  auto tag = ++last_tag_;
  if (rq.kind == lin::op_kind::write) {
    st = driver_->propose(tag,
                          encode(command{rq.client, rq.seq, rq.key, rq.value}));
  } else if (opts_.bug == planted_bug::local_reads
             || (opts_.bug == planted_bug::leader_reads
                 && driver_->role() == raft::node_role::leader)) {
    // The planted shortcut around the driver: no ReadIndex.
    out.push_back(reply(rq.client, rq.seq, reply_status::ok, sm_->get(rq.key)));
    return;
  } else {
    st = driver_->read_index(tag);
  }
  if (st == raft::status::ok) {
    waiting_[tag] = waiting_op{rq.client, rq.seq, rq.kind, rq.key};
    return;
  }
  out.push_back(reply(rq.client, rq.seq,
                      st == raft::status::not_leader
                        ? reply_status::not_leader
                        : reply_status::unavailable));
}

} // namespace pact::sim
