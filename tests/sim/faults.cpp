#include "tests/sim/faults.hpp"

#include <initializer_list>
#include <sstream>

namespace pact::sim {

namespace {

constexpr std::uint64_t plan_stream = 4;

template <class T>
T pick(rng& r, std::initializer_list<T> choices) {
  return *(choices.begin() + r.below(choices.size()));
}

replica_options draw_replica_options(rng& r) {
  replica_options ro;
  ro.election_timeout_ticks = static_cast<int>(r.between(8, 16));
  ro.heartbeat_interval_ticks = static_cast<int>(r.between(1, 3));
  // Production runs with both on; sometimes exercise the plain protocol.
  ro.pre_vote = r.chance(900'000);
  ro.check_quorum = r.chance(900'000);
  ro.max_entries_per_msg = pick<std::size_t>(r, {1, 4, 64});
  ro.max_inflight_msgs = pick<std::size_t>(r, {1, 4, 256});
  ro.max_snapshot_chunk_bytes = pick<std::size_t>(r, {16, 64, 1U << 20});
  if (r.chance(500'000)) {
    ro.snapshot_every = r.between(5, 60);
    ro.compact_keep = r.between(0, 8);
  }
  return ro;
}

link_faults draw_links(rng& r) {
  link_faults lf;
  lf.loss_ppm = pick<std::uint64_t>(r, {0, 10'000, 50'000, 150'000});
  lf.duplicate_ppm = pick<std::uint64_t>(r, {0, 10'000, 50'000});
  lf.max_delay_ticks = pick<std::uint64_t>(r, {0, 1, 3, 6});
  lf.reorder = r.chance(500'000);
  lf.long_delay_ppm = pick<std::uint64_t>(r, {0, 1'000, 10'000});
  lf.long_delay_ticks = 100;
  return lf;
}

fault_rates draw_rates(rng& r) {
  fault_rates fr;
  fr.partition_ppm = pick<std::uint64_t>(r, {0, 5'000, 20'000});
  fr.heal_ppm = pick<std::uint64_t>(r, {20'000, 100'000});
  fr.crash_ppm = pick<std::uint64_t>(r, {0, 3'000, 10'000});
  fr.crash_after_fsync_ppm = 250'000;
  fr.reboot_ppm = 250'000;
  fr.restart_ppm = pick<std::uint64_t>(r, {20'000, 100'000});
  fr.transfer_ppm = pick<std::uint64_t>(r, {0, 2'000});
  fr.campaign_ppm = pick<std::uint64_t>(r, {0, 2'000});
  return fr;
}

workload_options draw_clients(rng& r, const replica_options& ro,
                              const link_faults& lf) {
  workload_options wo;
  wo.clients = r.between(2, 5);
  wo.keys = r.between(1, 4);
  wo.read_ppm = r.between(200'000, 700'000);
  wo.think_ticks = r.between(0, 6);
  // Long enough for an election plus a round trip or two.
  wo.timeout_ticks = static_cast<std::uint64_t>(3 * ro.election_timeout_ticks)
                     + 4 * lf.max_delay_ticks;
  wo.max_attempts = r.between(1, 4);
  return wo;
}

} // namespace

fault_plan draw_plan(std::uint64_t seed, std::size_t replicas) {
  auto r = rng::derive(seed, plan_stream);
  fault_plan p;
  p.replica = draw_replica_options(r);
  bool skew = r.chance(600'000);
  bool slow_disks = r.chance(400'000);
  for (std::size_t i = 0; i < replicas; ++i) {
    p.clock_rate_permille.push_back(skew ? r.between(700, 1300) : 1000);
    p.max_fsync_ticks.push_back(slow_disks ? r.between(0, 5) : 0);
  }
  p.links = draw_links(r);
  p.rates = draw_rates(r);
  p.clients = draw_clients(r, p.replica, p.links);
  // Last, so that adding it left the earlier draws of every seed alone.
  p.rates.store_failure_ppm = pick<std::uint64_t>(r, {0, 0, 0, 1'000});
  // A straggling disk (after the store failures, for the same reason): in
  // a quarter of the seeds one replica's fsync takes up to 8..30 ticks, so
  // while it leads, its followers persist and acknowledge entries long
  // before its own write completes (thesis §10.2.1), and a crash in that
  // window loses the leader's copy of entries others hold.
  if (r.chance(250'000)) {
    auto who = r.between(0, replicas - 1);
    p.max_fsync_ticks.at(who) = r.between(8, 30);
  }
  return p;
}

void apply_plan(cluster& c, const fault_plan& plan) {
  c.net().faults() = plan.links;
  for (auto id : c.ids()) {
    auto& o = c.at(id).options();
    o.clock_rate_permille = plan.clock_rate_permille.at(id - 1);
    o.max_fsync_ticks = plan.max_fsync_ticks.at(id - 1);
  }
}

std::string fault_plan::describe() const {
  std::ostringstream out;
  const auto& ro = replica;
  out << "raft: election=" << ro.election_timeout_ticks
      << " heartbeat=" << ro.heartbeat_interval_ticks
      << " pre_vote=" << ro.pre_vote << " check_quorum=" << ro.check_quorum
      << " max_entries=" << ro.max_entries_per_msg
      << " max_inflight=" << ro.max_inflight_msgs
      << " chunk=" << ro.max_snapshot_chunk_bytes
      << " snapshot_every=" << ro.snapshot_every << " keep=" << ro.compact_keep
      << "\nclocks:";
  for (auto c : clock_rate_permille)
    out << ' ' << c;
  out << " fsync_max:";
  for (auto f : max_fsync_ticks)
    out << ' ' << f;
  out << "\nnet: loss=" << links.loss_ppm << " dup=" << links.duplicate_ppm
      << " delay<=" << links.max_delay_ticks << " reorder=" << links.reorder
      << " late=" << links.long_delay_ppm
      << " partition=" << rates.partition_ppm << " heal=" << rates.heal_ppm
      << " crash=" << rates.crash_ppm << " restart=" << rates.restart_ppm
      << " transfer=" << rates.transfer_ppm
      << " campaign=" << rates.campaign_ppm
      << " store_failure=" << rates.store_failure_ppm
      << "\nclients: n=" << clients.clients << " keys=" << clients.keys
      << " read=" << clients.read_ppm << " think=" << clients.think_ticks
      << " timeout=" << clients.timeout_ticks
      << " attempts=" << clients.max_attempts;
  return out.str();
}

namespace {

std::string show(const std::set<node_id>& s) {
  std::string out = "{";
  for (auto id : s)
    out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "}";
}

/// A random replica, preferring the leader half of the time.
node_id victim(cluster& c, rng& r) {
  auto l = c.leader();
  if (l && r.chance(500'000))
    return *l;
  return 1 + r.below(c.replicas().size());
}

} // namespace

void start_partition(cluster& c, rng& r) {
  auto all = c.ids();
  auto& net = c.net();
  switch (r.below(4)) {
    case 0: { // Symmetric split into two non-empty sides.
      std::set<node_id> side;
      while (side.empty() || side.size() == all.size()) {
        side.clear();
        for (auto id : all)
          if (r.chance(500'000))
            side.insert(id);
      }
      net.partition(side, all);
      c.note("partition " + show(side) + " | rest");
      break;
    }
    case 1: {
      auto id = victim(c, r);
      net.isolate(id, all);
      c.note("isolate " + std::to_string(id));
      break;
    }
    case 2: { // One-way: a replica that can only send, or only receive.
      auto id = victim(c, r);
      bool outgoing = r.chance(500'000);
      for (auto other : all)
        if (other != id)
          outgoing ? net.cut(id, other) : net.cut(other, id);
      c.note("one-way " + std::to_string(id)
             + (outgoing ? " cannot send" : " cannot receive"));
      break;
    }
    default: { // Bridge: two halves that only `b` connects.
      auto b = victim(c, r);
      std::set<node_id> left;
      std::set<node_id> right;
      for (auto id : all)
        if (id != b)
          (r.chance(500'000) ? left : right).insert(id);
      for (auto x : left)
        for (auto y : right) {
          net.cut(x, y);
          net.cut(y, x);
        }
      c.note("bridge " + std::to_string(b) + " between " + show(left) + " and "
             + show(right));
      break;
    }
  }
}

void inject_faults(cluster& c, const fault_rates& rates, rng& r,
                   fault_counts& counts) {
  auto& net = c.net();
  if (!net.partitioned() && r.chance(rates.partition_ppm)) {
    start_partition(c, r);
    ++counts.partitions;
  } else if (net.partitioned() && r.chance(rates.heal_ppm)) {
    net.heal();
    c.note("heal");
  }
  if (r.chance(rates.crash_ppm)) {
    auto id = victim(c, r);
    if (c.at(id).up()) {
      ++counts.crashes;
      auto how = r.below(1'000'000);
      if (how < rates.crash_after_fsync_ppm) {
        c.at(id).crash_after_next_fsync();
        c.note("crash " + std::to_string(id) + " after its next fsync");
      } else if (how < rates.crash_after_fsync_ppm + rates.reboot_ppm) {
        c.crash(id); // A reboot: back at once, volatile state gone.
        c.restart(id);
      } else {
        c.crash(id);
      }
    }
  }
  // Drawn only in plans with store failures, so that the others keep their
  // fault streams.
  if (rates.store_failure_ppm != 0 && r.chance(rates.store_failure_ppm)) {
    auto id = victim(c, r);
    bool full = r.chance(500'000);
    if (c.at(id).up()) {
      c.at(id).fail_next_write(full);
      c.note("store of " + std::to_string(id) + " fails its next write"
             + (full ? " (full)" : ""));
    }
  }
  for (auto id : c.ids())
    if ((!c.at(id).up() || c.at(id).failed()) && r.chance(rates.restart_ppm))
      c.restart(id);
  if (r.chance(rates.transfer_ppm))
    if (auto l = c.leader()) {
      auto to = 1 + r.below(c.replicas().size());
      c.poke(*l, "transfer " + std::to_string(*l) + " -> " + std::to_string(to),
             [to](pact::replica::replica_driver& d) {
               d.transfer_leadership(to);
             });
      ++counts.transfers;
    }
  if (r.chance(rates.campaign_ppm)) {
    auto id = 1 + r.below(c.replicas().size());
    c.poke(id, "campaign " + std::to_string(id),
           [](pact::replica::replica_driver& d) { d.campaign(); });
    ++counts.campaigns;
  }
}

} // namespace pact::sim
