#include "runtime/replica/replica_driver.hpp"

#include <algorithm>

#include "runtime/store/state_stream.hpp"

namespace pact::replica {

namespace {

void put_u64(std::string& s, uint64_t v) {
  for (int i = 7; i >= 0; --i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_u64(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (size_t i = at; i < at + 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

/// The ReadIndex context of one read: the replica's id and its tag. The
/// leader keys pending reads by context and ignores a duplicate (thesis
/// §6.4 needs them unique cluster-wide), so tags alone — counted from 1 on
/// every replica — made one follower's read wait forever whenever another
/// replica had the same tag pending (issue 8 item 1).
std::string tag_context(raft::node_id self, uint64_t tag) {
  std::string s;
  s.reserve(16);
  put_u64(s, self);
  put_u64(s, tag);
  return s;
}

/// The tag of a read this replica asked for, or nullopt.
std::optional<uint64_t> context_tag(raft::node_id self, const std::string& s) {
  if (s.size() != 16 || get_u64(s, 0) != self)
    return std::nullopt;
  return get_u64(s, 8);
}

bool contains(const std::vector<raft::node_id>& v, raft::node_id id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

} // namespace

std::string role_name(raft::node_role r) {
  switch (r) {
    case raft::node_role::follower:
      return "follower";
    case raft::node_role::pre_candidate:
      return "pre-candidate";
    case raft::node_role::candidate:
      return "candidate";
    case raft::node_role::leader:
      return "leader";
  }
  return "unknown";
}

replica_driver::replica_driver(driver_config cfg, store::raft_store& store,
                               state_machine& sm)
  : cfg_(std::move(cfg)), store_(store), sm_(sm) {
  // start() does the work that can fail.
}

status replica_driver::start() {
  auto snap = store_.load_snapshot();
  if (!snap)
    return snap.err();
  // A durable machine starts from its tables (the durable applied index);
  // the snapshot image is read only when it is newer (a snapshot received
  // just before a crash, whose state write had not followed yet).
  if (sm_.durable())
    if (auto st = sm_.load(); !st)
      return st;
  if (!snap->empty()) {
    // A state snapshot is installed with its tables in one transaction, so
    // only an image snapshot can be newer than them.
    if (snap->meta.last_included_index > sm_.applied()) {
      if (auto st = sm_.restore(snap->data); !st)
        return st;
      if (auto st = persist_state(); !st)
        return st;
    }
    last_snapshot_ = snap->meta.last_included_index;
  }
  conf_ = store_.load_initial_state().conf;
  // A durable machine's snapshots stream from a read view of its tables,
  // which a restart closed: take one at the durable applied index (the log
  // still holds that entry) so a lagging follower can be served.
  if (sm_.durable() && sm_.applied() > 0)
    if (auto st
        = opened_view(store_.create_state_snapshot(sm_.applied(), conf_));
        !st)
      return st;
  last_snapshot_ = std::max(last_snapshot_, sm_.durable() ? sm_.applied() : 0);
  cfg_.raft.storage = &store_;
  // A damaged state stream is refused before the core installs it, and
  // the leader sends it again from the start. A store that stages the
  // stream (on disk) checks it as the chunks arrive; others leave the core
  // to gather it in memory.
  if (sm_.durable()) {
    cfg_.raft.receiver = store_.staging();
    cfg_.raft.accept_snapshot = [](const raft::snapshot& s) {
      return store::check_state_stream(s.data);
    };
  }
  cfg_.raft.applied = sm_.applied();
  if (auto why = cfg_.raft.validate())
    return make_error(std::string("invalid raft configuration: ") + why);
  node_ = std::make_unique<raft::raw_node>(cfg_.raft);
  // The core took what the store holds at start as durable.
  reported_ = store_.durable_end();
  return {};
}

void replica_driver::tick() {
  // State applied since the last Raft write rides in the next one; when
  // none comes (an idle replica) it is saved here, at most once a tick.
  // It need not be durable sooner: a restart replays the log from the
  // durable applied index, and the log is not compacted past it.
  // Under load a Raft write carried them since the last tick
  // (state_write_due): no transaction of its own then.
  if (!failed() && !state_rode_since_tick_)
    if (auto st = persist_state(); !st)
      failure_ = st.err().message;
  state_rode_since_tick_ = false;
  if (!failed())
    maybe_refresh_view();
  node_->tick();
}

void replica_driver::step(const raft::message& m) {
  node_->step(m);
}

void replica_driver::campaign() {
  node_->core().campaign();
}

raft::status replica_driver::propose(uint64_t tag, std::string command) {
  if (failed())
    return raft::status::invalid_argument;
  auto st = node_->propose(std::move(command));
  if (st == raft::status::ok)
    proposals_[node_->core().log().last_index()] = {term(), tag};
  return st;
}

raft::status replica_driver::read_index(uint64_t tag) {
  auto st = node_->read_index(tag_context(id(), tag));
  if (st == raft::status::ok)
    reads_requested_[tag] = term();
  return st;
}

raft::status replica_driver::transfer_leadership(raft::node_id to) {
  return node_->transfer_leadership(to);
}

driver_output replica_driver::process() {
  driver_output out;
  // A store that completes writes later (the simulator's disk) made more
  // durable since the last call.
  if (!failed())
    report_durable();
  while (!failed() && node_->has_ready()) {
    auto rd = node_->get_ready();
    if (!handle_ready(rd, out))
      break;
  }
  if (!failed())
    reask_reads();
  if (failed() && !out.fatal)
    out.fatal = failure_;
  return out;
}

void replica_driver::reask_reads() {
  // Every ready loop comes here: only a new term can leave a read behind,
  // so the waiting reads are walked once per term, not once per loop.
  auto now = term();
  if (now == reads_reasked_term_)
    return;
  if (leader() == 0)
    return; // an election is running: asked once it has a winner
  bool all = true;
  for (auto& [tag, asked] : reads_requested_) {
    if (asked >= now)
      continue;
    // A read_state for the earlier request may still come (the old leader
    // answered before it stepped down): the first to arrive completes the
    // read, the other finds its tag gone. Either read index is at least
    // the commit index when the read arrived, as ReadIndex requires.
    if (node_->read_index(tag_context(id(), tag)) == raft::status::ok)
      asked = now;
    else
      all = false; // tried again at the next loop
  }
  if (all)
    reads_reasked_term_ = now;
}

void replica_driver::report_durable() {
  auto end = store_.durable_end();
  if (end == reported_)
    return;
  reported_ = end;
  node_->persisted(end.first, end.second);
}

bool replica_driver::handle_ready(raft::ready& rd, driver_output& out) {
  if (rd.soft_state) {
    if (rd.soft_state->role == raft::node_role::candidate
        && last_role_ != raft::node_role::candidate)
      ++elections_;
    last_role_ = rd.soft_state->role;
  }
  // 0. A leader's AppendEntries and heartbeats leave before its own write
  //    (thesis §10.2.1; raw_node.hpp says why each is safe).
  if (!rd.early_messages.empty()) {
    if (cfg_.send_early)
      cfg_.send_early(rd.early_messages);
    else
      for (auto& m : rd.early_messages)
        out.messages.push_back(std::move(m));
  }
  // 1. Durable before anything that depends on it leaves (ready contract),
  // 1b. and the core told so: only now does a leader count these entries.
  if (rd.must_sync) {
    if (!persist(rd, out))
      return false;
    report_durable();
  } else if (rd.hard_state) {
    // Only the commit index moved: no fsync of its own; it rides on the
    // next synced write (ready::must_sync, etcd's MustSync).
    deferred_hard_ = rd.hard_state;
  }
  // 2. Send.
  for (auto& m : rd.messages)
    out.messages.push_back(std::move(m));
  // 3. Apply.
  if (rd.snapshot && !rd.snapshot->empty()) {
    if (auto st = sm_.durable() ? load_installed(rd.snapshot->meta)
                                : sm_.restore(rd.snapshot->data);
        !st) {
      failure_ = "cannot restore snapshot: " + st.err().message;
      return false;
    }
    conf_ = rd.snapshot->meta.conf;
    last_snapshot_ = rd.snapshot->meta.last_included_index;
    proposals_.erase(proposals_.begin(),
                     proposals_.upper_bound(last_snapshot_));
  }
  for (auto& e : rd.committed_entries)
    apply_entry(e, out);
  for (auto& rs : rd.read_states) {
    auto tag = context_tag(id(), rs.context);
    if (tag && reads_requested_.erase(*tag))
      reads_ready_.emplace(rs.index, *tag);
  }
  finish_reads(out);
  // 4. Acknowledge.
  node_->advance(rd);
  maybe_snapshot();
  return !failed();
}

bool replica_driver::persist(const raft::ready& rd, driver_output& out) {
  auto start = cfg_.monotonic_us();
  auto batch = store::batch_of(rd);
  if (batch.hard_state == nullptr && deferred_hard_)
    batch.hard_state = &*deferred_hard_;
  // The state machine's changes since the last write ride in this
  // transaction: no fsync of their own under load. They were applied from
  // entries an earlier write made durable (apply follows the write in the
  // ready loop), so they never become durable before their entries.
  // Under load the changes ride in the write due every
  // state_write_interval_us; a snapshot supersedes whatever is pending.
  bool installing = rd.snapshot && !rd.snapshot->empty()
                    && (rd.snapshot->staged || sm_.durable());
  bool with_state = installing || state_write_due();
  auto state = with_state ? sm_.take_writes() : store::state_write{};
  if (rd.snapshot && !rd.snapshot->empty() && rd.snapshot->staged) {
    // The staged stream replaces the tables in the snapshot's own
    // transaction, read back from where it was staged (what the old state
    // had not yet written is superseded).
    state = {};
    batch.snapshot_in_state = true;
    batch.state_from_staging = true;
  } else if (rd.snapshot && !rd.snapshot->empty() && sm_.durable()) {
    // The same, for a stream the core gathered in memory.
    auto w = store::parse_state_stream(rd.snapshot->data);
    if (!w) {
      failure_ = "cannot restore snapshot: " + w.err().message;
      out.fatal = failure_;
      return false;
    }
    state = std::move(*w);
    batch.snapshot_in_state = true;
  }
  if (!state.empty())
    batch.state = &state;
  if (auto st = store_.save(batch); !st) {
    failure_ = st.err().message;
    out.fatal = failure_;
    auto reason = store_.full() ? protocol::ERROR_REASON_STORE_FULL
                                : protocol::ERROR_REASON_STORE_FAILED;
    for (auto& c :
         abandon("replica stopped accepting writes: " + failure_, reason))
      out.done.push_back(std::move(c));
    return false;
  }
  deferred_hard_.reset();
  if (with_state) {
    sm_.writes_persisted();
    state_written_us_ = cfg_.monotonic_us();
    state_written_applied_ = sm_.applied();
    state_rode_since_tick_ = true;
  }
  write_stats ws;
  ws.entries = rd.entries.size();
  for (const auto& e : rd.entries)
    ws.bytes += e.data.size();
  ws.micros = cfg_.monotonic_us() - start;
  out.writes.push_back(ws);
  return true;
}

void replica_driver::apply_entry(const raft::entry& e, driver_output& out) {
  if (e.index <= sm_.applied())
    return; // already in the restored snapshot
  std::string result;
  switch (e.kind) {
    case raft::entry_kind::normal:
      result = sm_.apply(e.index, e.data);
      break;
    case raft::entry_kind::noop:
      sm_.skip(e.index);
      break;
    case raft::entry_kind::conf_change: {
      if (auto cc = raft::decode_conf_change(e.data)) {
        conf_ = node_->apply_conf_change(*cc);
        if (auto st = store_.set_conf_state(conf_); !st)
          failure_ = st.err().message;
      }
      sm_.skip(e.index);
      break;
    }
  }
  auto p = proposals_.find(e.index);
  if (p == proposals_.end())
    return;
  completion c;
  c.tag = p->second.tag;
  if (p->second.term == e.term) {
    c.ok = true;
    c.index = e.index;
    c.result = std::move(result);
  } else {
    // A new leader overwrote our entry (§5.3): the command was not applied.
    c.error = "the write was overwritten by a new leader and not applied; "
              "retry";
    c.reason = protocol::ERROR_REASON_NO_LEADER;
  }
  out.done.push_back(std::move(c));
  proposals_.erase(p);
}

void replica_driver::finish_reads(driver_output& out) {
  auto applied = sm_.applied();
  auto end = reads_ready_.upper_bound(applied);
  for (auto i = reads_ready_.begin(); i != end; ++i) {
    completion c;
    c.tag = i->second;
    c.ok = true;
    c.index = i->first;
    out.done.push_back(std::move(c));
  }
  reads_ready_.erase(reads_ready_.begin(), end);
}

bool replica_driver::state_write_due() const {
  if (cfg_.state_write_interval_us == 0)
    return true;
  if (sm_.applied() >= state_written_applied_ + cfg_.state_write_entries)
    return true;
  return cfg_.monotonic_us()
         >= state_written_us_ + cfg_.state_write_interval_us;
}

status replica_driver::persist_state() {
  auto state = sm_.take_writes();
  if (state.empty())
    return {};
  store::write_batch b;
  b.state = &state;
  if (auto st = store_.save(b); !st)
    return st;
  sm_.writes_persisted();
  state_written_us_ = cfg_.monotonic_us();
  state_written_applied_ = sm_.applied();
  return {};
}

status replica_driver::load_installed(const raft::snapshot_meta& meta) {
  if (auto st = sm_.load(); !st)
    return st;
  if (sm_.applied() != meta.last_included_index)
    return make_error("its tables hold applied index "
                      + std::to_string(sm_.applied()) + ", not "
                      + std::to_string(meta.last_included_index));
  return opened_view(
    store_.create_state_snapshot(meta.last_included_index, meta.conf));
}

status replica_driver::opened_view(status st) {
  if (st)
    view_opened_us_ = cfg_.monotonic_us();
  return st;
}

void replica_driver::maybe_refresh_view() {
  if (!sm_.durable())
    return;
  bool sending = sending_snapshot();
  if (store_.snapshot_view_lost()) {
    // A view is opened when a transfer needs one: a fresh snapshot at the
    // applied index (also after map growth closed the last one).
    if (sending)
      take_snapshot();
    return;
  }
  // With no transfer in progress a view would only pin pages that later
  // writes free; the store closes it (LMDB) or keeps its copy.
  if (!sending && store_.close_snapshot_view())
    return;
  // Only a newer snapshot can replace the view; with nothing applied since,
  // the tables did not change and the view pins no freed page of theirs.
  auto max_age = cfg_.snapshot_view_max_age_us;
  if (max_age == 0 || sm_.applied() <= last_snapshot_)
    return;
  auto age = cfg_.monotonic_us() - view_opened_us_;
  // A transfer in progress keeps its view (replacing it would restart the
  // transfer at byte 0, and one longer than the bound would never end),
  // up to ten times the bound, so that a stalled follower cannot pin old
  // pages indefinitely either.
  if (age < max_age || (age < 10 * max_age && sending))
    return;
  take_snapshot();
}

void replica_driver::maybe_snapshot() {
  auto applied = sm_.applied();
  auto gap = std::max(cfg_.snapshot_interval,
                      last_snapshot_ * cfg_.snapshot_growth_percent / 100);
  if (applied < last_snapshot_ + gap)
    return;
  take_snapshot();
}

void replica_driver::take_snapshot() {
  auto applied = sm_.applied();
  // The log is never compacted past the durable applied index: a restart
  // replays the log from there.
  if (auto st = persist_state(); !st) {
    failure_ = st.err().message;
    return;
  }
  // A durable machine's snapshot is a read view of its tables, streamed
  // chunk by chunk (docs/storage.md "Snapshot stream"); others build an
  // image.
  auto st = sm_.durable()
              ? opened_view(store_.create_state_snapshot(applied, conf_))
              : store_.create_snapshot(applied, conf_, sm_.snapshot());
  if (!st) {
    failure_ = st.err().message;
    return;
  }
  last_snapshot_ = applied;
  if (applied > cfg_.compact_retain)
    if (auto cst = store_.compact(applied - cfg_.compact_retain); !cst)
      failure_ = cst.err().message;
}

std::vector<completion> replica_driver::abandon(const std::string& why,
                                                protocol::ErrorReason reason) {
  std::vector<completion> out;
  for (auto& [index, p] : proposals_)
    out.push_back(completion{p.tag, false, 0, {}, why, reason});
  for (auto& [tag, _] : reads_requested_)
    out.push_back(completion{tag, false, 0, {}, why, reason});
  for (auto& [index, tag] : reads_ready_)
    out.push_back(completion{tag, false, 0, {}, why, reason});
  proposals_.clear();
  reads_requested_.clear();
  reads_ready_.clear();
  return out;
}

raft::node_role replica_driver::role() const {
  return node_->core().role();
}

std::string replica_driver::role_text() const {
  auto r = role();
  if (r == raft::node_role::follower && contains(conf_.learners, id()))
    return "learner";
  return role_name(r);
}

raft::node_id replica_driver::leader() const {
  return node_->core().leader_id();
}

raft::term_t replica_driver::term() const {
  return node_->core().current_term();
}

raft::index_t replica_driver::commit_index() const {
  return node_->core().log().committed();
}

raft::index_t replica_driver::last_index() const {
  return node_->core().log().last_index();
}

raft::index_t replica_driver::durable_index() const {
  return store_.last_index();
}

raft::index_t replica_driver::durable_commit_index() const {
  return std::min(commit_index(), durable_index());
}

bool replica_driver::sending_snapshot() const {
  if (role() != raft::node_role::leader)
    return false;
  for (auto& [id, pr] : node_->core().peers().all())
    if (id != cfg_.raft.id && pr.state == raft::progress_state::snapshot)
      return true;
  return false;
}

std::map<raft::node_id, uint64_t> replica_driver::replication_lag() const {
  std::map<raft::node_id, uint64_t> lag;
  if (role() != raft::node_role::leader)
    return lag;
  auto last = last_index();
  for (auto& [id, pr] : node_->core().peers().all())
    if (id != cfg_.raft.id)
      lag[id] = last > pr.match_index ? last - pr.match_index : 0;
  return lag;
}

} // namespace pact::replica
