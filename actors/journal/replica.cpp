#include "actors/journal/replica.hpp"

#include <algorithm>
#include <set>

#include <caf/actor_registry.hpp>
#include <caf/io/middleman.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "actors/journal/cluster_config.hpp"
#include "actors/journal/replica_state.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "runtime/replica/raft_wire.hpp"
#include "runtime/store/lmdb_store.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::journal {

namespace {

using namespace pact::protocol;
using self_ptr = replica_ptr;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// Microseconds on the actor clock, for the driver's write timings.
std::function<uint64_t()> monotonic_us(self_ptr self) {
  return [self] {
    using namespace std::chrono;
    return static_cast<uint64_t>(
      duration_cast<microseconds>(self->clock().now().time_since_epoch())
        .count());
  };
}

void connect_peer(self_ptr self, uint64_t id);

/// The longest wait between two dials of a peer: half an election timeout,
/// between the first wait (100 ms) and 2 s, so that a peer that comes back
/// after any downtime is dialled within one election timeout of listening
/// again. A fixed 2 s cap kept a restarted peer out for up to 2 s, two
/// election timeouts at the default 10 ticks of 100 ms.
std::chrono::milliseconds max_backoff(self_ptr self) {
  auto& cfg = self->state.cfg;
  return std::clamp(cfg.tick * cfg.election_ticks / 2,
                    std::chrono::milliseconds(100),
                    std::chrono::milliseconds(2000));
}

void schedule_connect(self_ptr self, uint64_t id) {
  auto& p = self->state.peers[id];
  self->delayed_send(self, p.backoff, peer_connect_atom::value, id);
  p.backoff = std::min(p.backoff * 2, max_backoff(self));
}

/// Exactly one replica of each pair opens the connection (the one with the
/// higher id); the other learns the handle from its hello. Two replicas
/// dialling each other at once made CAF drop one of the two node
/// connections, which over TLS kept both sides reconnecting forever.
bool initiates(self_ptr self, uint64_t peer) {
  return self->state.cfg.node_id > peer;
}

/// Records why peer `id` is not connected; logs a change at once and the
/// same problem again at most every 30 s (an unreachable peer is a warning,
/// a mismatched member list an error: it never heals by itself).
void peer_problem(self_ptr self, uint64_t id, std::string problem,
                  bool is_error = false) {
  auto& p = self->state.peers[id];
  auto now = self->clock().now();
  bool changed = p.problem != problem;
  if (changed) {
    p.problem = std::move(problem);
    p.problem_since = now;
  }
  if (!changed && now - p.logged < std::chrono::seconds(30))
    return;
  p.logged = now;
  if (is_error)
    spdlog::error("replica: peer {} ({}): {}", id, p.ep.url(), p.problem);
  else
    spdlog::warn("replica: peer {} ({}): {}", id, p.ep.url(), p.problem);
}

/// Asks peer `id` for its ephemeral node CA and keeps it when it is the
/// older one (node_ca.hpp, prefer_shared): the replicas of a cluster
/// converge on one CA over their mutually authenticated links.
void exchange_node_ca(self_ptr self, uint64_t id, const caf::actor& peer,
                      int attempt = 0) {
  auto& cfg = self->state.cfg;
  if (!cfg.share_node_ca || !cfg.node_ca || !peer)
    return;
  self->request(peer, std::chrono::seconds(3), node_ca_atom::value)
    .then(
      [self, id](const std::string& cert, const std::string& key) {
        auto& c = self->state.cfg;
        auto taken = prefer_shared(*c.node_ca->current(), cert, key);
        if (!taken)
          return;
        spdlog::info("node CA: adopted the older ephemeral CA of peer {} "
                     "(certificate {}); nodes enrolled with it stay valid",
                     id, taken->cert_sha256_hex.substr(0, 16));
        c.node_ca->replace(std::move(*taken));
        if (c.on_node_ca_changed)
          c.on_node_ca_changed();
      },
      [self, id, peer, attempt](caf::error&) {
        // The peer answers only once it has adopted this replica as its
        // peer (the dialing side does so after the hello's answer), or
        // shares none (a configured CA): ask again a few times.
        if (attempt < 5 && self->state.peers[id].handle == peer)
          self->delayed_send(self, std::chrono::milliseconds(300),
                             node_ca_atom::value, id, attempt + 1);
      });
}

/// Answers a peer's node_ca_atom: only to a connected peer, only an
/// ephemeral CA, only over TLS links.
caf::result<std::string, std::string> answer_node_ca(self_ptr self) {
  auto& cfg = self->state.cfg;
  auto sender = self->current_sender();
  bool from_peer = false;
  for (auto& [id, p] : self->state.peers)
    if (p.handle && sender && p.handle.node() == sender->node())
      from_peer = true;
  auto ca = cfg.node_ca ? cfg.node_ca->current() : nullptr;
  if (!cfg.share_node_ca || !ca || !ca->ephemeral || !from_peer)
    return caf::make_error(caf::sec::unexpected_message);
  return {ca->ca.cert_pem, ca->ca.key_pem};
}

void adopt_peer(self_ptr self, uint64_t id, caf::actor handle) {
  auto& peer = self->state.peers[id];
  if (peer.handle == handle)
    return;
  if (peer.handle)
    self->demonitor(peer.handle);
  peer.handle = std::move(handle);
  peer.backoff = std::chrono::milliseconds(100);
  peer.problem.clear();
  self->monitor(peer.handle);
  spdlog::info("replica: connected to peer {} at {}", id, peer.ep.url());
  exchange_node_ca(self, id, peer.handle);
}

/// Empty when `theirs` (peer `id`'s member list) matches ours.
std::string check_members(self_ptr self, uint64_t id,
                          const std::string& theirs) {
  if (self->state.cfg.members.empty())
    return {};
  auto why = members_mismatch(self->state.cfg.members, id, theirs);
  if (why.empty())
    return {};
  return "member list mismatch: " + why
         + "; every replica needs identical --peers (journal.raft.members)";
}

/// What this replica tells peer `id` about its log in a hello: its term,
/// its durable last index and, as leader, the highest entry `id`
/// acknowledged (its match index: last index less its lag).
hello_log hello_figures(self_ptr self, uint64_t id) {
  auto& d = *self->state.driver;
  hello_log h{d.term(), d.durable_index(), 0};
  auto lag = d.replication_lag();
  if (auto i = lag.find(id); i != lag.end())
    h.you_stored = d.last_index() - i->second;
  return h;
}

/// Stops this replica: its log lost entries it acknowledged to the leader
/// (forgot_acknowledged). Taking part again could undo committed writes, so
/// it leaves before any Raft message of that leader reaches the core (whose
/// next heartbeat would carry a commit index beyond this log).
void stop_lost_log(self_ptr self, uint64_t leader, const hello_log& mine,
                   uint64_t acknowledged) {
  auto& st = self->state;
  auto why = "the Raft log in " + st.cfg.data_dir + "/raft ends at entry "
             + std::to_string(mine.last) + " (term " + std::to_string(mine.term)
             + "), but leader " + std::to_string(leader)
             + " holds this replica's acknowledgement of entries up to "
             + std::to_string(acknowledged)
             + ": the data directory lost data this replica had stored "
               "(emptied, replaced or restored from an old copy), and a "
               "member that forgot what it acknowledged must not rejoin. "
               "Stop it, restore "
             + st.cfg.data_dir
             + " from a replica that is up to date, and start it without "
               "--bootstrap (docs/operations.md, \"A replica that lost its "
               "data\")";
  spdlog::critical("replica: {}", why);
  *st.cfg.fatal = why;
  self->quit(make_error(ERROR_REASON_STORE_FAILED, why));
}

/// Compares the logs a hello reports (`theirs`, from peer `id`) with what
/// this replica knows: false when either side forgot entries it
/// acknowledged. This replica then stops (stop_lost_log); a peer is
/// refused, with the reason in its problem, and never adopted.
bool check_logs(self_ptr self, uint64_t id, const hello_log& theirs) {
  auto mine = hello_figures(self, id);
  if (forgot_acknowledged(mine.term, mine.last, theirs.term,
                          theirs.you_stored)) {
    stop_lost_log(self, id, mine, theirs.you_stored);
    return false;
  }
  if (forgot_acknowledged(theirs.term, theirs.last, mine.term,
                          mine.you_stored)) {
    peer_problem(self, id,
                 "replica " + std::to_string(id)
                   + " lost entries it had acknowledged (its log ends at "
                   + std::to_string(theirs.last) + ", it had stored up to "
                   + std::to_string(mine.you_stored)
                   + "): its data directory was emptied or replaced; it is "
                     "refused until restored (docs/operations.md, \"A "
                     "replica that lost its data\")",
                 true);
    return false;
  }
  return true;
}

/// The dialling side: connect, then exchange member lists before the
/// handle carries any Raft message.
void connect_peer(self_ptr self, uint64_t id) {
  auto& p = self->state.peers[id];
  if (p.handle || p.connecting || !initiates(self, id))
    return;
  p.connecting = true;
  auto mm = daemon::middleman_for(self->system(),
                                  p.ep.tls ? self->state.cfg.listen.tls
                                           : caf::io::middleman_actor{});
  auto retry = [self, id](std::string problem, bool is_error) {
    self->state.peers[id].connecting = false;
    peer_problem(self, id, std::move(problem), is_error);
    schedule_connect(self, id);
  };
  self
    ->request(mm, std::chrono::seconds(3), caf::connect_atom::value, p.ep.host,
              p.ep.port)
    .then(
      [self, id, retry](const caf::node_id&, caf::strong_actor_ptr& ptr,
                        const std::set<std::string>&) {
        if (!ptr) {
          retry("unreachable: no replica published at that port", false);
          return;
        }
        auto handle = caf::actor_cast<caf::actor>(ptr);
        auto mine = hello_figures(self, id);
        self
          ->request(handle, std::chrono::seconds(3), peer_hello_atom::value,
                    self->state.cfg.node_id,
                    members_text(self->state.cfg.members), mine.term, mine.last,
                    mine.you_stored)
          .then(
            [self, id, handle, retry](uint64_t answered_by,
                                      const std::string& theirs, uint64_t term,
                                      uint64_t last, uint64_t you_stored) {
              if (answered_by != id) {
                auto& ep = self->state.peers[id].ep;
                retry("member list mismatch: the endpoint of member "
                        + std::to_string(id) + " (" + ep.url()
                        + ") is answered by "
                        + (answered_by == self->state.cfg.node_id
                             ? std::string("this replica itself")
                             : "replica " + std::to_string(answered_by))
                        + "; every replica needs identical --peers "
                          "(journal.raft.members)",
                      true);
                return;
              }
              // Worded from this side; the peer logs its own view.
              if (auto why = check_members(self, id, theirs); !why.empty()) {
                retry(why, true);
                return;
              }
              if (!check_logs(self, id, {term, last, you_stored})) {
                if (self->state.cfg.fatal->empty()) // else it stopped
                  retry(self->state.peers[id].problem, true);
                return;
              }
              self->state.peers[id].connecting = false;
              adopt_peer(self, id, handle);
            },
            [retry](caf::error& err) {
              // The peer answers every hello with its id and member list
              // (on_peer_hello), and a disagreement is judged from those
              // fields above: an error here is reachability (timeout, lost
              // connection), never a member list mismatch.
              retry("unreachable: hello not answered: "
                      + protocol::message_of(err),
                    false);
            });
      },
      [retry](caf::error& err) {
        retry("unreachable: " + protocol::message_of(err), false);
      });
}

/// An answer to a hello: the answering replica's id, member list and log
/// figures (hello_figures).
struct hello_reply {
  uint64_t id = 0;
  std::string members;
  uint64_t term = 0, last = 0, you_stored = 0;
};

/// The answering side of the hello: adopt the dialler when the member
/// lists agree and neither log lost what it acknowledged. Either way it answers
/// with its id and list, so that the dialler can word any difference from its
/// own side.
hello_reply on_peer_hello(self_ptr self, uint64_t id, const std::string& theirs,
                          const hello_log& log) {
  auto& st = self->state;
  auto mine = members_text(st.cfg.members);
  auto figures = hello_figures(self, id);
  hello_reply reply{st.cfg.node_id, mine, figures.term, figures.last,
                    figures.you_stored};
  auto i = st.peers.find(id);
  if (i == st.peers.end()) {
    // Not a peer (or this replica itself, through a wrong --peers entry
    // somewhere): say so, at most every 30 s.
    auto now = self->clock().now();
    if (now - st.stranger_logged >= std::chrono::seconds(30)) {
      st.stranger_logged = now;
      spdlog::error("replica: member list mismatch: replica {} connected but "
                    "is not a peer here (members {}); every replica needs "
                    "identical --peers (journal.raft.members)",
                    id, mine);
    }
    return reply;
  }
  if (auto why = check_members(self, id, theirs); !why.empty()) {
    peer_problem(self, id, why, true);
    return reply;
  }
  if (check_logs(self, id, log) && !initiates(self, id))
    adopt_peer(self, id, caf::actor_cast<caf::actor>(self->current_sender()));
  return reply;
}

void update_metrics(self_ptr self, const pact::replica::driver_output& out) {
  auto& st = self->state;
  auto& m = *st.cfg.metrics;
  auto& d = *st.driver;
  for (auto& w : out.writes) {
    m.fsync_seconds->Observe(static_cast<double>(w.micros) / 1e6);
    m.batch_entries->Observe(static_cast<double>(w.entries));
  }
  m.term->Set(static_cast<double>(d.term()));
  m.is_leader->Set(d.role() == raft::node_role::leader ? 1 : 0);
  m.leader_id->Set(static_cast<double>(d.leader()));
  m.commit_index->Set(static_cast<double>(d.durable_commit_index()));
  m.applied_index->Set(static_cast<double>(d.applied_index()));
  m.last_index->Set(static_cast<double>(d.durable_index()));
  auto commit = d.durable_commit_index();
  m.commit_lag->Set(static_cast<double>(
    d.durable_index() > commit ? d.durable_index() - commit : 0));
  m.apply_lag->Set(static_cast<double>(
    commit > d.applied_index() ? commit - d.applied_index() : 0));
  // O(state), so at most once a second and only after an apply.
  if (m.state->due(st.sm.applied(), self->clock().now()))
    m.state->refresh(st.sm);
  m.store_failed->Set(d.failed() ? 1 : 0);
  if (d.elections() > st.elections_seen) {
    m.elections->Increment(
      static_cast<double>(d.elections() - st.elections_seen));
    st.elections_seen = d.elections();
  }
  for (auto& [peer, lag] : d.replication_lag())
    m.set_lag(peer, static_cast<double>(lag));
}

void send_raft(self_ptr self, const std::vector<raft::message>& msgs) {
  auto& st = self->state;
  st.cfg.metrics->messages_sent->Increment(static_cast<double>(msgs.size()));
  for (const auto& msg : msgs) {
    auto i = st.peers.find(msg.to);
    if (i == st.peers.end())
      continue;
    if (!i->second.handle) {
      connect_peer(self, msg.to);
      continue; // Raft tolerates the loss; the core retries.
    }
    self->send(i->second.handle, raft_atom::value,
               pact::replica::encode_raft_message(msg));
  }
}

void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_pending = false;
  auto out = st.driver->process();
  send_raft(self, out.messages);
  if (st.sm.applied() != st.reader_applied) {
    // Rebuilds only the overlays whose version moved (a vCluster commit
    // landed); requests read the cached encodings.
    st.reader.refresh(st.sm);
    st.reader_applied = st.sm.applied();
  }
  for (auto& c : out.done) {
    auto w = st.waiting.find(c.tag);
    if (w == st.waiting.end())
      continue;
    if (w->second.k == waiter::kind::propose)
      (c.ok ? st.cfg.metrics->proposals : st.cfg.metrics->proposals_failed)
        ->Increment();
    finish(self, w->second, c);
    st.waiting.erase(w);
  }
  if (st.sm.last_sequence() != st.watched_sequence)
    check_watchers(self);
  release_parked(self);
  update_metrics(self, out);
  if (out.fatal && !st.fatal_logged) {
    // Once: the driver repeats the failure on every loop until a restart.
    st.fatal_logged = true;
    spdlog::critical("replica: {}", *out.fatal);
    supervision::report(self, st.h, ACTOR_STATE_DEGRADED,
                        "writes refused: " + *out.fatal);
  }
}

std::string raft_status_bytes(self_ptr self) {
  auto& d = *self->state.driver;
  RaftStatus s;
  s.set_node_id(d.id());
  s.set_role(d.role_text());
  s.set_term(d.term());
  s.set_leader_id(d.leader());
  s.set_commit_index(d.durable_commit_index());
  s.set_applied_index(d.applied_index());
  s.set_last_index(d.durable_index());
  for (auto v : d.membership().voters)
    s.add_voters(v);
  for (auto l : d.membership().learners)
    s.add_learners(l);
  s.set_digest(self->state.sm.digest());
  s.set_failure(d.failure());
  auto now = self->clock().now();
  for (auto& [id, p] : self->state.peers) {
    auto* ps = s.add_peers();
    ps->set_id(id);
    ps->set_url(p.ep.url());
    ps->set_connected(p.handle != nullptr);
    if (!p.handle) {
      // The lower id of a pair does not dial: until the peer does, all it
      // can say is that it waits.
      bool waits = !initiates(self, id)
                   && (p.problem.empty() || p.problem == "not connected yet");
      ps->set_problem(waits               ? "waiting for it to connect"
                      : p.problem.empty() ? "not connected"
                                          : p.problem);
      ps->set_problem_age_ms(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now
                                                              - p.problem_since)
          .count()));
    }
  }
  return s.SerializeAsString();
}

void on_read_index(self_ptr self) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  auto tag = st.next_tag++;
  auto rs = st.driver->read_index(tag);
  if (rs != raft::status::ok) {
    rp.deliver(make_error(ERROR_REASON_READ_UNAVAILABLE,
                          std::string("read refused: ") + raft::to_string(rs)));
    return;
  }
  st.waiting.emplace(tag, waiter{std::move(rp), waiter::kind::read_index, {}});
  request_flush(self);
}

status open(self_ptr self) {
  auto& st = self->state;
  auto s = st.cfg.open_store(st.cfg);
  if (!s)
    return s.err();
  st.store = std::move(*s);
  // The journal's entries and current state live in the store's tables
  // (docs/journal.md "Durable state"); start() loads them.
  st.sm = config_state_machine(st.store->tables());
  pact::replica::driver_config dc;
  dc.raft.id = st.cfg.node_id;
  dc.raft.election_timeout_ticks = st.cfg.election_ticks;
  dc.raft.heartbeat_interval_ticks = st.cfg.heartbeat_ticks;
  dc.snapshot_interval = st.cfg.snapshot_interval;
  dc.snapshot_growth_percent = st.cfg.snapshot_growth_percent;
  dc.monotonic_us = monotonic_us(self);
  // A leader's AppendEntries leave before its fsync (thesis §10.2.1).
  dc.send_early = [self](std::vector<raft::message>& msgs) {
    send_raft(self, msgs);
  };
  st.driver = std::make_unique<pact::replica::replica_driver>(dc, *st.store,
                                                              st.sm);
  return st.driver->start();
}

std::pair<ActorState, std::string> health_line(self_ptr self) {
  auto& d = *self->state.driver;
  if (d.failed())
    return {ACTOR_STATE_DEGRADED, "writes refused: " + d.failure()};
  auto text = d.role_text() + ", term " + std::to_string(d.term()) + ", leader "
              + std::to_string(d.leader()) + ", commit "
              + std::to_string(d.durable_commit_index()) + ", applied "
              + std::to_string(d.applied_index());
  return {d.leader() == 0 ? ACTOR_STATE_DEGRADED : ACTOR_STATE_RUNNING, text};
}

void report_health(self_ptr self) {
  auto line = health_line(self);
  supervision::report(self, self->state.h, line.first, line.second);
}

} // namespace

expected<std::shared_ptr<store::raft_store>>
open_lmdb_store(const replica_config& cfg) {
  store::lmdb_options opts;
  opts.dir = cfg.data_dir + "/raft";
  opts.map_size_bytes = cfg.map_size_bytes;
  opts.grow = cfg.map_grows;
  opts.bootstrap = cfg.bootstrap;
  auto s = store::lmdb_store::open(opts);
  if (!s)
    return s.err();
  return std::shared_ptr<store::raft_store>(std::move(*s));
}

void request_flush(replica_ptr self) {
  // One flush message at the back of the mailbox: everything queued before
  // it is stepped first, so one durable write covers the batch (group
  // commit).
  if (self->state.flush_pending)
    return;
  self->state.flush_pending = true;
  self->send(self, caf::atom_constant<caf::atom("flush")>::value);
}

caf::behavior replica(caf::stateful_actor<replica_state>* self,
                      supervision::health_handle h, replica_config cfg) {
  auto& st = self->state;
  st.h = std::move(h);
  st.cfg = std::move(cfg);
  if (!st.cfg.fatal->empty()) {
    self->quit(make_error(ERROR_REASON_STORE_FAILED, *st.cfg.fatal));
    return {};
  }
  st.reader = journal_reader(st.cfg.watch_scan_entries);
  if (auto opened = open(self); !opened) {
    self->quit(make_error(ERROR_REASON_STORE_FAILED, opened.err().message));
    return {};
  }
  for (auto& [id, ep] : st.cfg.peers) {
    st.peers[id].ep = ep;
    st.peers[id].problem_since = self->clock().now();
  }
  // Each incarnation registers itself and, on exit, removes the entry only
  // if it is still its own: the exit hook runs after the supervisor may
  // already have started (and registered) the next incarnation. The tick
  // re-registers, so even a lost race heals within one tick.
  self->system().registry().put(replica_name, self);
  self->attach_functor([sys = &self->system(), addr = self->address()] {
    auto cur = sys->registry().get(replica_name);
    if (cur && cur->address() == addr)
      sys->registry().erase(replica_name);
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [id, p] : self->state.peers)
      if (p.handle && p.handle.address() == dm.source) {
        p.handle = nullptr;
        peer_problem(self, id, "unreachable: connection lost");
        if (initiates(self, id))
          schedule_connect(self, id);
      }
  });
  daemon::publish_self(self, st.cfg.listen, [self](uint16_t port) {
    self->state.listen_url
      = (self->state.cfg.listen.tls ? "https://" : "http://")
        + self->state.cfg.listen.host + ":" + std::to_string(port);
    spdlog::info("replica {} listening for peers on {}",
                 self->state.cfg.node_id, self->state.listen_url);
    for (auto& [id, p] : self->state.peers)
      connect_peer(self, id);
  });
  // A single-voter cluster (--dev) needs no election timeout: nobody else
  // can be leader, so it campaigns at once and serves immediately.
  auto& voters = st.driver->membership().voters;
  if (voters.size() == 1 && voters.front() == st.cfg.node_id)
    st.driver->campaign();
  self->send(self, tick_atom::value);
  supervision::start_heartbeat(self);
  auto state = [self] { return health_line(self); };
  request_flush(self);
  report_health(self);
  return caf::message_handler{
    [self](raft_atom, const std::string& bytes) {
      self->state.cfg.metrics->messages_received->Increment();
      if (auto m = pact::replica::decode_raft_message(bytes)) {
        self->state.driver->step(*m);
        request_flush(self);
      }
    },
    [self](tick_atom) {
      if (self->system().registry().get(replica_name)
          != caf::actor_cast<caf::strong_actor_ptr>(self))
        self->system().registry().put(replica_name, self);
      self->state.driver->tick();
      flush(self); // also releases or expires requests held for a leader
      if (!self->state.watchers.empty())
        check_watchers(self); // expire long polls whose wait ended
      self->delayed_send(self, self->state.cfg.tick, tick_atom::value);
    },
    [self](flush_atom) {
      auto was = self->state.driver->role();
      flush(self);
      if (self->state.driver->role() != was)
        report_health(self); // role changes are worth reporting at once
    },
    [self](propose_atom, std::string& command) { on_propose(self, command); },
    [self](read_index_atom) { on_read_index(self); },
    [self](query_atom, const std::string& bytes) { on_query(self, bytes); },
    [self](watch_atom, const std::string& bytes) { on_watch(self, bytes); },
    [self](raft_status_atom) { return raft_status_bytes(self); },
    [self](peer_connect_atom, uint64_t id) { connect_peer(self, id); },
    [self](node_ca_atom) { return answer_node_ca(self); },
    [self](node_ca_atom, uint64_t id, int attempt) {
      // Only this replica's own retry timer (a remote sender could only
      // make it ask a peer again).
      if (self->current_sender() == self->ctrl())
        exchange_node_ca(self, id, self->state.peers[id].handle, attempt);
    },
    [self](peer_hello_atom, uint64_t id, const std::string& members,
           uint64_t term, uint64_t last, uint64_t you_stored) {
      auto r = on_peer_hello(self, id, members, {term, last, you_stored});
      return caf::make_message(r.id, std::move(r.members), r.term, r.last,
                               r.you_stored);
    },
  }
    .or_else(supervision::heartbeat_behavior(self, self->state.h, state));
}

caf::actor spawn_replica(caf::event_based_actor* sup,
                         const supervision::health_handle& h,
                         const replica_config& cfg) {
  // Not detached: CAF 0.17 waits in ~actor_system for every detached
  // actor's object to be destroyed, and remote peers' proxies keep the
  // replica alive until the middleman stops, so shutdown would hang. The
  // journal runs extra scheduler threads instead (see main.cpp), so the
  // durable write blocking one worker does not stall the others.
  return sup->spawn(replica, h, cfg);
}

} // namespace pact::journal
