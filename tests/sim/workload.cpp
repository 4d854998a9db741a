#include "tests/sim/workload.hpp"

#include <string>

namespace pact::sim {

workload::workload(cluster& c, workload_options o, rng r)
  : cluster_(c), opts_(o), rng_(r) {
  for (std::size_t i = 0; i < opts_.clients; ++i) {
    client_state cs;
    cs.id = i + 1;
    clients_.push_back(cs);
  }
  cluster_.on_reply([this](const client_reply& rp) { on_reply(rp); });
}

bool workload::idle() const {
  for (const auto& c : clients_)
    if (c.op)
      return false;
  return true;
}

node_id workload::random_replica() {
  return 1 + rng_.below(cluster_.replicas().size());
}

void workload::tick(bool start_new) {
  auto now = cluster_.now();
  for (auto& c : clients_) {
    if (!c.op) {
      if (start_new && now >= c.next_start)
        start(c);
      continue;
    }
    if (c.resend_at != 0 && now >= c.resend_at) {
      c.resend_at = 0;
      send(c);
    } else if (now >= c.deadline) {
      // No answer: request or reply lost, replica down or not leading.
      ++stats_.timeouts;
      if (++c.timeouts >= opts_.max_attempts) {
        finish(c, nullptr); // Gave up: the outcome stays unknown.
        continue;
      }
      c.target = random_replica();
      send(c);
    }
  }
}

void workload::start(client_state& c) {
  ++c.seq;
  c.rq = client_request{};
  c.rq.client = c.id;
  c.rq.seq = c.seq;
  c.rq.key = std::string(1, static_cast<char>('a' + rng_.below(opts_.keys)));
  c.rq.kind = rng_.chance(opts_.read_ppm) ? lin::op_kind::read
                                          : lin::op_kind::write;
  if (c.rq.kind == lin::op_kind::write)
    c.rq.value = "v" + std::to_string(c.id) + "." + std::to_string(c.seq);
  lin::operation op;
  op.client = c.id;
  op.kind = c.rq.kind;
  op.key = c.rq.key;
  op.value = c.rq.value;
  op.invoke = cluster_.clock();
  c.op = history_.size();
  history_.push_back(op);
  c.timeouts = 0;
  c.target = c.leader_hint != raft::no_node ? c.leader_hint : random_replica();
  send(c);
}

void workload::send(client_state& c) {
  ++c.rq.attempt;
  c.deadline = cluster_.now() + opts_.timeout_ticks;
  cluster_.send_request(c.id, c.target, c.rq);
}

void workload::finish(client_state& c, const client_reply* rp) {
  auto& op = history_[*c.op];
  if (rp != nullptr) {
    op.response = cluster_.clock();
    if (op.kind == lin::op_kind::read) {
      op.value = rp->value;
      ++stats_.reads_ok;
    } else {
      ++stats_.writes_ok;
    }
  } else {
    ++stats_.gave_up;
  }
  c.op.reset();
  c.resend_at = 0;
  c.next_start = cluster_.now() + rng_.below(opts_.think_ticks + 1);
}

void workload::on_reply(const client_reply& rp) {
  if (rp.client == 0 || rp.client > clients_.size())
    return;
  auto& c = clients_[rp.client - 1];
  if (rp.leader_hint != raft::no_node)
    c.leader_hint = rp.leader_hint;
  if (!c.op || rp.seq != c.seq)
    return; // An answer to an abandoned operation.
  if (rp.status == reply_status::ok) {
    finish(c, &rp);
    return;
  }
  // Refused, so not executed: retry, at the hinted leader if there is one.
  ++stats_.redirects;
  bool hinted = rp.status == reply_status::not_leader
                && rp.leader_hint != raft::no_node;
  c.target = hinted ? rp.leader_hint : random_replica();
  c.resend_at = cluster_.now() + (hinted ? 1 : 1 + rng_.below(3));
}

} // namespace pact::sim
