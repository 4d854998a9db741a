#include "tests/sim/cluster.hpp"

#include <ostream>

namespace pact::sim {

namespace {

/// Stream ids under the run seed (rng::derive).
constexpr std::uint64_t network_stream = 1;
constexpr std::uint64_t replica_stream = 100;

} // namespace

cluster::cluster(std::size_t n, const replica_options& ro, std::uint64_t seed)
  : checks_(std::make_unique<invariants>()),
    net_(rng::derive(seed, network_stream)) {
  raft::conf_state conf;
  for (node_id id = 1; id <= n; ++id)
    conf.voters.push_back(id);
  for (node_id id = 1; id <= n; ++id) {
    replicas_.push_back(std::make_unique<replica>(
      id, conf, ro, rng::derive(seed, replica_stream + id), checks_.get()));
    replicas_.back()->start();
  }
}

std::set<node_id> cluster::ids() const {
  std::set<node_id> out;
  for (const auto& r : replicas_)
    out.insert(r->id());
  return out;
}

std::optional<node_id> cluster::leader() const {
  std::optional<node_id> best;
  raft::term_t best_term = 0;
  for (const auto& r : replicas_) {
    if (!r->up())
      continue;
    const auto& c = r->node().core();
    if (c.role() == raft::node_role::leader && c.current_term() >= best_term) {
      best = r->id();
      best_term = c.current_term();
    }
  }
  return best;
}

void cluster::note(const std::string& what) {
  fold(hash_bytes(what.data(), what.size()));
  print(what);
}

void cluster::print(const std::string& line) {
  if (trace_out_ == nullptr)
    return;
  if (trace_time_)
    *trace_out_ << "t=" << now_ << ' ';
  *trace_out_ << line << '\n';
}

void cluster::fold_packet(const packet& p) {
  fold(p.from);
  fold(p.to);
  fold(static_cast<std::uint64_t>(p.kind));
  if (p.kind == packet_kind::raft) {
    const auto& m = p.raft;
    fold(static_cast<std::uint64_t>(m.type));
    fold(m.term);
    fold(m.log_index);
    fold(m.log_term);
    fold(m.commit);
    fold(m.entries.size());
    fold(m.reject ? 1 : 0);
    fold(hash_bytes(m.context.data(), m.context.size()));
  } else {
    fold(p.kind == packet_kind::request ? p.request.seq : p.reply.seq);
    fold(p.kind == packet_kind::request ? p.request.client : p.reply.client);
  }
  if (trace_out_ != nullptr)
    print(describe(p));
}

void cluster::pump(replica& r) {
  outbox_.clear();
  r.pump(now_, outbox_);
  for (auto& p : outbox_)
    net_.send(std::move(p), now_);
  outbox_.clear();
}

void cluster::after_step(replica* r) {
  if (r != nullptr && r->up()) {
    const auto& c = r->node().core();
    fold(r->id());
    fold(static_cast<std::uint64_t>(c.role()));
    fold(c.current_term());
    fold(c.log().committed());
    fold(c.log().last_index());
  }
  checks_->check_step(replicas_);
}

void cluster::deliver(const packet& p) {
  fold_packet(p);
  if (p.to >= client_base) {
    if (on_reply_)
      on_reply_(p.reply);
    return;
  }
  auto& r = at(p.to);
  if (!r.up())
    return; // Packets to a crashed replica vanish.
  outbox_.clear();
  if (p.kind == packet_kind::raft) {
    r.step(p.raft);
  } else {
    r.on_request(p.request, outbox_);
    for (auto& q : outbox_)
      net_.send(std::move(q), now_);
    outbox_.clear();
  }
  pump(r);
  after_step(&r);
}

void cluster::complete_fsyncs() {
  for (auto& r : replicas_) {
    auto due = r->fsync_due();
    if (due && *due <= now_) {
      pump(*r);
      after_step(r.get());
    }
  }
}

bool cluster::deliver_next() {
  auto p = net_.next_due(now_);
  if (!p)
    return false;
  deliver(*p);
  return true;
}

void cluster::stabilize(std::size_t max_steps) {
  for (std::size_t i = 0; i < max_steps; ++i) {
    complete_fsyncs();
    if (!deliver_next()) {
      bool busy = false;
      for (auto& r : replicas_)
        busy = busy || (r->fsync_due() && *r->fsync_due() <= now_);
      if (!busy)
        return;
    }
  }
}

void cluster::run_tick() {
  ++now_;
  fold(now_);
  for (auto& r : replicas_) {
    if (!r->up())
      continue;
    r->on_tick();
    pump(*r);
    after_step(r.get());
  }
  stabilize();
}

void cluster::tick_replica(node_id id) {
  auto& r = at(id);
  if (!r.up())
    return;
  r.tick_node();
  pump(r);
  after_step(&r);
}

void cluster::crash(node_id id) {
  at(id).crash();
  note("crash " + std::to_string(id));
}

void cluster::restart(node_id id) {
  auto& r = at(id);
  if (r.failed())
    crash(id);
  if (r.up())
    return;
  r.start();
  note("restart " + std::to_string(id));
  pump(r);
  after_step(&r);
}

void cluster::poke(
  node_id id, const std::string& what,
  const std::function<void(pact::replica::replica_driver&)>& f) {
  auto& r = at(id);
  if (!r.up())
    return;
  note(what);
  f(r.driver());
  pump(r);
  after_step(&r);
}

void cluster::send_request(std::uint64_t client, node_id to,
                           const client_request& rq) {
  packet p;
  p.from = client_base + client;
  p.to = to;
  p.kind = packet_kind::request;
  p.request = rq;
  net_.send(std::move(p), now_);
}

} // namespace pact::sim
