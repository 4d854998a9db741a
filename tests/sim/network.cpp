#include "tests/sim/network.hpp"

#include <algorithm>
#include <sstream>

namespace pact::sim {

namespace {

void describe_entries(std::ostringstream& out,
                      const std::vector<raft::entry>& ents) {
  out << " ents=[";
  for (std::size_t i = 0; i < ents.size(); ++i) {
    if (i > 0)
      out << ',';
    out << ents[i].index << '@' << ents[i].term;
  }
  out << ']';
}

} // namespace

std::string describe(const raft::message& m) {
  using raft::message_type;
  std::ostringstream out;
  out << raft::to_string(m.type) << " t=" << m.term;
  switch (m.type) {
    case message_type::pre_vote:
    case message_type::request_vote:
      out << " last=" << m.log_index << '@' << m.log_term;
      break;
    case message_type::append_entries:
      out << " prev=" << m.log_index << '@' << m.log_term;
      describe_entries(out, m.entries);
      out << " commit=" << m.commit;
      break;
    case message_type::append_entries_response:
      out << " idx=" << m.log_index;
      if (m.reject)
        out << " hint=" << m.hint_index << '@' << m.hint_term;
      break;
    case message_type::heartbeat:
      out << " commit=" << m.commit;
      break;
    case message_type::install_snapshot:
      out << " snap=" << m.snapshot.last_included_index << '@'
          << m.snapshot.last_included_term << " off=" << m.chunk_offset
          << " len=" << m.chunk.size() << (m.chunk_done ? " done" : "");
      break;
    case message_type::install_snapshot_response:
      out << " snap=" << m.log_index << " next=" << m.hint_index;
      break;
    case message_type::read_index_response:
      out << " idx=" << m.log_index;
      break;
    default:
      break;
  }
  if (m.reject)
    out << " REJECT";
  if (!m.context.empty())
    out << " ctx=" << describe_context(m.context);
  return out.str();
}

std::string describe_context(const std::string& ctx) {
  bool printable = std::all_of(ctx.begin(), ctx.end(),
                               [](char c) { return c >= 0x20 && c < 0x7f; });
  if (printable)
    return ctx; // e.g. the core's transfer marker
  if (ctx.size() != 16)
    return "<" + std::to_string(ctx.size()) + " bytes>";
  // replica_driver's ReadIndex context: the replica id and the read's tag,
  // 8 bytes each, big-endian.
  auto u64 = [&ctx](std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = at; i < at + 8; ++i)
      v = (v << 8) | static_cast<unsigned char>(ctx[i]);
    return v;
  };
  return std::to_string(u64(0)) + "." + std::to_string(u64(8));
}

std::string describe(const packet& p) {
  std::ostringstream out;
  out << p.from << "->" << p.to << ' ';
  switch (p.kind) {
    case packet_kind::raft:
      out << describe(p.raft);
      break;
    case packet_kind::request:
      out << "client "
          << (p.request.kind == lin::op_kind::read ? "read " : "write ")
          << p.request.key;
      if (p.request.kind == lin::op_kind::write)
        out << " := " << p.request.value;
      out << " (c" << p.request.client << '#' << p.request.seq << ')';
      break;
    case packet_kind::reply:
      out << "reply c" << p.reply.client << '#' << p.reply.seq << ' ';
      switch (p.reply.status) {
        case reply_status::ok:
          out << "ok " << p.reply.value;
          break;
        case reply_status::not_leader:
          out << "not_leader hint=" << p.reply.leader_hint;
          break;
        case reply_status::unavailable:
          out << "unavailable";
          break;
      }
      break;
  }
  return out.str();
}

void network::send(packet p, std::uint64_t now) {
  ++stats_.sent;
  if (rng_.chance(faults_.loss_ppm)) {
    ++stats_.lost;
    return;
  }
  if (rng_.chance(faults_.duplicate_ppm)) {
    ++stats_.duplicated;
    enqueue(p, now);
  }
  enqueue(std::move(p), now);
}

void network::enqueue(packet p, std::uint64_t now) {
  if (heap_.size() >= max_in_flight) {
    ++stats_.overflow;
    return;
  }
  flight f;
  f.due = now
          + rng_.between(faults_.min_delay_ticks,
                         std::max(faults_.min_delay_ticks,
                                  faults_.max_delay_ticks));
  if (rng_.chance(faults_.long_delay_ppm))
    f.due += rng_.between(1,
                          std::max<std::uint64_t>(1, faults_.long_delay_ticks));
  f.order = faults_.reorder ? rng_.next() : sequence_;
  ++sequence_;
  f.p = std::move(p);
  heap_.push_back(std::move(f));
  std::push_heap(heap_.begin(), heap_.end(), later);
}

std::optional<packet> network::next_due(std::uint64_t now) {
  while (!heap_.empty() && heap_.front().due <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    auto f = std::move(heap_.back());
    heap_.pop_back();
    if (!connected(f.p.from, f.p.to)) {
      ++stats_.cut;
      continue;
    }
    ++stats_.delivered;
    return std::move(f.p);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> network::next_due_tick() const {
  if (heap_.empty())
    return std::nullopt;
  return heap_.front().due;
}

std::vector<packet> network::pending() const {
  auto copy = heap_;
  std::sort(copy.begin(), copy.end(),
            [](const flight& a, const flight& b) { return later(b, a); });
  std::vector<packet> out;
  for (auto& f : copy)
    out.push_back(std::move(f.p));
  return out;
}

std::vector<packet> network::take_all() {
  auto out = pending();
  heap_.clear();
  return out;
}

void network::requeue(packet p, std::uint64_t now) {
  flight f{now, sequence_++, std::move(p)};
  heap_.push_back(std::move(f));
  std::push_heap(heap_.begin(), heap_.end(), later);
}

void network::partition(const std::set<node_id>& side,
                        const std::set<node_id>& all) {
  for (auto a : side)
    for (auto b : all)
      if (side.count(b) == 0) {
        cut(a, b);
        cut(b, a);
      }
}

void network::isolate(node_id id, const std::set<node_id>& all) {
  partition({id}, all);
}

bool network::connected(node_id from, node_id to) const {
  if (from >= client_base || to >= client_base)
    return true;
  return cut_.count({from, to}) == 0;
}

} // namespace pact::sim
