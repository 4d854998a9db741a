// pact-bench-raft: three replica drivers (Raft core + LMDB store + state
// machine) in one process and one thread, connected by an in-memory
// network. Measures durable commit throughput and latency of the consensus
// path alone (no CAF, no sockets, no authentication), with C proposals kept
// outstanding. Each ready is persisted with one LMDB write + fsync per
// replica, as in the journal.
//
//   pact-bench-raft --clients C --duration-s S [--size B] [--dir DIR]
// Prints one JSON object like pact-load.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/bench/stats.hpp"

#include "runtime/replica/replica_driver.hpp"
#include "runtime/store/lmdb_store.hpp"

using namespace pact;
using clock_type = std::chrono::steady_clock;

namespace {

struct node {
  std::unique_ptr<store::lmdb_store> store;
  pact::replica::digest_machine sm;
  std::unique_ptr<pact::replica::replica_driver> driver;
};

uint64_t now_us() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(
      clock_type::now().time_since_epoch())
      .count());
}

} // namespace

int main(int argc, char** argv) {
  int clients = 1;
  double duration_s = 5;
  size_t size = 256;
  std::string dir = "/tmp/pact-bench-raft";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--clients")
      clients = std::stoi(v);
    else if (k == "--duration-s")
      duration_s = std::stod(v);
    else if (k == "--size")
      size = std::stoul(v);
    else if (k == "--dir")
      dir = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 1;
    }
  }
  std::system(("rm -rf '" + dir + "'").c_str());
  raft::conf_state conf{{1, 2, 3}, {}};
  std::vector<node> nodes(3);
  for (uint64_t id = 1; id <= 3; ++id) {
    auto& n = nodes[id - 1];
    store::lmdb_options o;
    o.dir = dir + "/r" + std::to_string(id);
    o.bootstrap = conf;
    auto s = store::lmdb_store::open(o);
    if (!s) {
      std::cerr << s.err().message << "\n";
      return 1;
    }
    n.store = std::move(*s);
    pact::replica::driver_config dc;
    dc.raft.id = id;
    dc.monotonic_us = now_us;
    n.driver = std::make_unique<pact::replica::replica_driver>(dc, *n.store,
                                                               n.sm);
    if (auto st = n.driver->start(); !st) {
      std::cerr << st.err().message << "\n";
      return 1;
    }
  }
  std::deque<raft::message> wire;
  std::map<uint64_t, clock_type::time_point> started;
  std::vector<double> lat;
  uint64_t next_tag = 1;
  auto pump = [&](auto&& on_done) {
    for (auto& n : nodes) {
      auto out = n.driver->process();
      for (auto& m : out.messages)
        wire.push_back(std::move(m));
      for (auto& c : out.done)
        on_done(c);
    }
    while (!wire.empty()) {
      auto m = std::move(wire.front());
      wire.pop_front();
      nodes[m.to - 1].driver->step(m);
    }
  };
  nodes[0].driver->campaign();
  for (int i = 0; i < 50 && nodes[0].driver->role() != raft::node_role::leader;
       ++i)
    pump([](const pact::replica::completion&) {});
  auto& leader = *nodes[0].driver;
  std::string payload(size, 'x');
  auto submit = [&] {
    auto tag = next_tag++;
    started[tag] = clock_type::now();
    leader.propose(tag, payload);
  };
  auto start = clock_type::now();
  auto deadline = start
                  + std::chrono::duration_cast<clock_type::duration>(
                    std::chrono::duration<double>(duration_s));
  for (int i = 0; i < clients; ++i)
    submit();
  while (clock_type::now() < deadline) {
    pump([&](const pact::replica::completion& c) {
      auto it = started.find(c.tag);
      if (it == started.end())
        return;
      if (c.ok)
        lat.push_back(std::chrono::duration<double, std::milli>(
                        clock_type::now() - it->second)
                        .count());
      started.erase(it);
      submit();
    });
  }
  auto elapsed
    = std::chrono::duration<double>(clock_type::now() - start).count();
  nlohmann::json out{{"mode", "in-process"},
                     {"clients", clients},
                     {"size_bytes", size},
                     {"duration_s", elapsed},
                     {"acknowledged", lat.size()},
                     {"throughput_per_s",
                      static_cast<double>(lat.size()) / elapsed},
                     {"p50_ms", bench::percentile(lat, 0.5)},
                     {"p99_ms", bench::percentile(lat, 0.99)}};
  std::cout << out.dump() << std::endl;
  std::system(("rm -rf '" + dir + "'").c_str());
  return 0;
}
