// pact-bulkload: fills a STOPPED journal replica's data directory with N
// journal entries for the benchmarks at scale (issue 10 item 5;
// docs/benchmarks.md "journal at scale").
//
//   pact-bulkload --data-dir DIR --probe
//   pact-bulkload --data-dir DIR --entries N --after-index I --term T
//                 [--batch B] [--size BYTES] [--clients C] [--start-ms MS]
//
// --probe prints what the replica's store holds (last log index and term,
// current term, applied index, snapshot index, voters) as one JSON object,
// so a script can pick one (I, T) at or beyond every replica's.
//
// Loading writes exactly what the apply path writes, because it IS the
// apply path: it builds the real config_state_machine over the store's
// state tables and applies N node COMMITs (bench_command.hpp, the command
// `pact-load --mode commit` sends, stamped as a gateway and a leader would:
// author "pact-bulkload" with the platform-admin role, timestamps
// --start-ms + k) at Raft indexes I+1 .. I+N, and commits the machine's
// write sets (take_writes) into the LMDB state database B entries per
// write transaction (one fsync per transaction, not per entry). The
// journal's previous state is cleared first, so every replica loaded with
// the same arguments holds byte-identical tables and digest, whatever it
// held before. Last, one save() leaves the Raft store as if the replica had
// received a snapshot at (I+N, T) from a leader: the log is discarded, the
// snapshot point is I+N with term T and the replica's membership, the hard
// state's term is T (its vote kept when the term is unchanged) and its
// commit index I+N. Started again, the replica serves those entries as its
// state and streams them to a follower that needs a snapshot.
//
// Prints one JSON object (entries, applied index, term, last sequence, the
// state machine's digest as a replica reports it on /health, seconds). An
// interrupted load leaves the directory unusable until it is run again.
// Exit 1 with a message naming the problem on bad arguments, a data
// directory that holds no replica or whose replica is running, or an
// (I, T) below what the store holds.

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "runtime/journal/config_state_machine.hpp"
#include "runtime/policy/command_authz.hpp"
#include "runtime/policy/roles.hpp"
#include "runtime/store/lmdb_store.hpp"
#include "tests/bench/bench_command.hpp"

using namespace pact;
namespace po = boost::program_options;

namespace {

struct options {
  std::string data_dir;
  bool probe = false;
  uint64_t entries = 0;
  uint64_t after_index = 0;
  uint64_t term = 0;
  uint64_t batch = 20000;
  size_t size = 256;
  int clients = 256;
  int64_t start_ms = 1'700'000'000'000;
};

expected<options> parse(int argc, char** argv) {
  options o;
  po::options_description d("pact-bulkload options");
  d.add_options()("help", "This text")(
    "data-dir", po::value(&o.data_dir)->required(),
    "The stopped replica's --data-dir (its store is DIR/raft)")(
    "probe", po::bool_switch(&o.probe),
    "Print what the store holds as JSON and change nothing")(
    "entries", po::value(&o.entries), "Entries to load (N >= 1)")(
    "after-index", po::value(&o.after_index),
    "Raft index after which the entries are applied (at or beyond every "
    "replica's last log index)")(
    "term", po::value(&o.term),
    "Raft term of the resulting snapshot point (at or above every "
    "replica's current term)")("batch", po::value(&o.batch),
                               "Entries per LMDB write transaction (20000)")(
    "size", po::value(&o.size), "Bytes per serialized command (256)")(
    "clients", po::value(&o.clients),
    "Writers imitated: entry k is client k mod C's (256, as pact-load)")(
    "start-ms", po::value(&o.start_ms),
    "Timestamp of entry 1 in Unix ms; entry k is stamped start + k - 1 "
    "(1700000000000)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    if (vm.count("help")) {
      std::cout << d << "\n";
      std::exit(0);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return make_error(std::string("pact-bulkload: ") + e.what());
  }
  if (o.probe)
    return o;
  if (!vm.count("entries") || !vm.count("after-index") || !vm.count("term"))
    return make_error("pact-bulkload: --entries, --after-index and --term are "
                      "required to load (or --probe)");
  if (o.entries == 0 || o.batch == 0 || o.clients <= 0 || o.term == 0
      || o.start_ms <= 0)
    return make_error("pact-bulkload: --entries, --batch, --clients, --term "
                      "and --start-ms must be positive");
  return o;
}

/// Refuses a directory whose replica process is alive: two writers would
/// corrupt the store (LMDB does not lock against that across processes).
status check_stopped(const std::string& dir) {
  std::ifstream in(dir + "/endpoints.json");
  if (!in)
    return {};
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("pid") || !j["pid"].is_number_integer())
    return {};
  auto pid = j["pid"].get<int>();
  if (pid > 0 && ::kill(pid, 0) == 0) {
    std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
    std::string line;
    std::getline(cmd, line);
    if (line.find("pact-journal") != std::string::npos)
      return make_error("pact-bulkload: " + dir
                        + " belongs to a running pact-journal (pid "
                        + std::to_string(pid) + "): stop it first");
  }
  return {};
}

expected<std::unique_ptr<store::lmdb_store>> open_store(const options& o) {
  if (auto st = check_stopped(o.data_dir); !st)
    return st.err();
  if (!std::ifstream(o.data_dir + "/raft/data.mdb"))
    return make_error("pact-bulkload: " + o.data_dir
                      + " holds no journal replica (start the cluster once "
                        "with --bootstrap, then stop it)");
  store::lmdb_options lo;
  lo.dir = o.data_dir + "/raft";
  lo.map_size_bytes = store::default_map_size_bytes;
  lo.grow = true;
  return store::lmdb_store::open(lo);
}

uint64_t applied_index(store::lmdb_store& s) {
  auto v = s.tables().get(store::state_table::meta, "applied");
  if (!v || !v->has_value())
    return 0;
  uint64_t out = 0;
  for (auto c : **v)
    out = (out << 8) | static_cast<unsigned char>(c);
  return out;
}

int probe(store::lmdb_store& s) {
  auto init = s.load_initial_state();
  auto last = s.term(s.last_index());
  auto snap = s.snapshot_metadata();
  nlohmann::json j{
    {"last_index", s.last_index()},
    {"last_term", last ? last.value() : 0},
    {"current_term", init.hard.current_term},
    {"applied", applied_index(s)},
    {"snapshot_index", snap ? snap.value().last_included_index : 0},
    {"voters", init.conf.voters},
  };
  std::cout << j.dump() << std::endl;
  return 0;
}

/// The command of entry k (1-based) as a gateway and a leader stamp it.
std::string stamped(const options& o, const policy::authenticated& who,
                    uint64_t k) {
  auto client = static_cast<int>((k - 1) % static_cast<uint64_t>(o.clients));
  auto p = policy::prepare_proposal(who,
                                    bench::journal_commit(client, k, o.size));
  PACT_ASSERT(p.denial.empty(), "a node commit is authorized at apply");
  p.command.set_timestamp_unix_ms(o.start_ms + static_cast<int64_t>(k) - 1);
  return p.command.SerializeAsString();
}

status check_applied(const std::string& result, uint64_t k) {
  protocol::CommandResult r;
  if (!r.ParseFromString(result))
    return make_error("pact-bulkload: entry " + std::to_string(k)
                      + ": the state machine's result does not parse");
  if (r.status().code() != protocol::STATUS_CODE_OK || r.sequences_size() != 1)
    return make_error("pact-bulkload: entry " + std::to_string(k)
                      + " was refused: " + r.status().message());
  return {};
}

status persist(store::lmdb_store& s, journal::config_state_machine& sm) {
  auto w = sm.take_writes();
  if (auto st = s.tables().write(w); !st)
    return st;
  sm.writes_persisted();
  return {};
}

/// Checks (I, T) against what the store holds.
status check_point(store::lmdb_store& s, const options& o) {
  auto hs = s.load_initial_state().hard;
  if (o.after_index < s.last_index() || o.after_index < applied_index(s))
    return make_error("pact-bulkload: --after-index "
                      + std::to_string(o.after_index)
                      + " is below what the replica holds (last index "
                      + std::to_string(s.last_index())
                      + "): use one at or beyond every replica's (--probe)");
  auto last = s.term(s.last_index());
  if (o.term < hs.current_term || (last && o.term < last.value()))
    return make_error("pact-bulkload: --term " + std::to_string(o.term)
                      + " is below the replica's current term "
                      + std::to_string(hs.current_term));
  if (s.load_initial_state().conf.voters.empty())
    return make_error("pact-bulkload: the replica has no membership");
  return {};
}

/// Leaves the Raft store as after a received snapshot at (I+N, T) whose
/// state is the tables, in one transaction with the last write set.
status seal(store::lmdb_store& s, journal::config_state_machine& sm,
            const options& o) {
  auto init = s.load_initial_state();
  raft::snapshot snap;
  snap.meta.last_included_index = sm.applied();
  snap.meta.last_included_term = o.term;
  snap.meta.conf = init.conf;
  raft::hard_state hs = init.hard;
  if (hs.current_term != o.term)
    hs.voted_for = raft::no_node;
  hs.current_term = o.term;
  hs.commit_index = sm.applied();
  auto w = sm.take_writes();
  store::write_batch b;
  b.snapshot = &snap;
  b.snapshot_in_state = true;
  b.hard_state = &hs;
  b.state = &w;
  if (auto st = s.save(b); !st)
    return st;
  sm.writes_persisted();
  return {};
}

expected<nlohmann::json> load(store::lmdb_store& s, const options& o) {
  if (auto st = check_point(s, o); !st)
    return st.err();
  auto t0 = std::chrono::steady_clock::now();
  store::state_write clear;
  clear.clear = true;
  if (auto st = s.tables().write(clear); !st)
    return st.err();
  journal::config_state_machine sm(s.tables());
  if (auto st = sm.load(); !st)
    return st.err();
  policy::authenticated who;
  who.claims.subject = "pact-bulkload";
  who.roles = policy::parse_roles({"pact-platform-admin"});
  for (uint64_t k = 1; k <= o.entries; ++k) {
    if (auto st = check_applied(sm.apply(o.after_index + k, stamped(o, who, k)),
                                k);
        !st)
      return st.err();
    if (k % o.batch == 0) {
      if (auto st = persist(s, sm); !st)
        return st.err();
      if (k % 1'000'000 == 0)
        std::cerr << "pact-bulkload: " << k << " entries" << std::endl;
    }
  }
  if (auto st = seal(s, sm, o); !st)
    return st.err();
  // What a restart reads back: the durable state reloads to the digest.
  journal::config_state_machine again(s.tables());
  if (auto st = again.load(); !st)
    return st.err();
  PACT_ASSERT(again.digest() == sm.digest(), "bulk state reloads equal");
  double secs
    = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
        .count();
  return nlohmann::json{{"entries", o.entries},
                        {"applied_index", sm.applied()},
                        {"term", o.term},
                        {"last_sequence", sm.last_sequence()},
                        {"digest", sm.digest()},
                        {"seconds", secs},
                        {"entries_per_s",
                         static_cast<double>(o.entries) / secs}};
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  if (!o) {
    std::cerr << o.err().message << std::endl;
    return 1;
  }
  auto s = open_store(*o);
  if (!s) {
    std::cerr << s.err().message << std::endl;
    return 1;
  }
  if (o->probe)
    return probe(**s);
  auto out = load(**s, *o);
  if (!out) {
    std::cerr << out.err().message << std::endl;
    return 1;
  }
  std::cout << out->dump() << std::endl;
  return 0;
}
