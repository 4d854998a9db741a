// pact-load: closed-loop write load against pact-journal gateways, for the
// benchmarks (tests/bench/run.sh) and for the end-to-end durability test.
//
//   pact-load --endpoints URL[,URL...] --token TOKEN --clients N
//             --duration-s S [--size BYTES] [--mode propose|commit]
//             [--acked FILE] [--ca-bundle FILE]
//
// https:// endpoints go through pact's TLS transport, verified against
// --ca-bundle (server authentication and host name, as the CLI does).
//
// Each of N client actors keeps one request in flight against one gateway
// (client i starts at endpoint i mod E); on an error it moves to the next
// endpoint and retries with a new command. Every acknowledged write is
// (optionally) written to FILE as "index hex(command)". Prints one JSON
// object: acknowledged writes, errors, throughput, latency percentiles; the
// first error's message goes to stderr.
//
// --mode propose (default): a raw ProposeRequest of SIZE opaque bytes.
// --mode commit: a journal-service CommandRequest, the write `pact commit`
//   sends: a node-scoped COMMIT (node "bench-<client mod 64>", ttl 3600 s,
//   one KERNEL item "bench.c<client>" whose value is padded so the
//   serialized JournalCommand is SIZE bytes). The gateway stamps the author,
//   the leader the time; an OK reply with a command_reply is a durable,
//   applied commit.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "tests/bench/bench_command.hpp"
#include "tests/bench/stats.hpp"

#include "actors/net/tls_transport.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/assert.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/tls/tls_files.hpp"
#include <pact/protocol/api.pb.h>

using namespace pact;
using std::chrono::steady_clock;

namespace {

using done_atom = caf::atom_constant<caf::atom("done")>;
using next_atom = caf::atom_constant<caf::atom("next")>;

struct options {
  std::vector<endpoint> endpoints;
  std::string token;
  int clients = 1;
  double duration_s = 5;
  size_t size = 256;
  bool commit = false;
  std::string acked_file;
  std::string ca_bundle;
  /// The TLS middleman for https:// endpoints (set in main).
  caf::io::middleman_actor tls;
};

struct client_result {
  std::vector<double> latencies_ms;
  std::vector<std::pair<uint64_t, std::string>> acked;
  uint64_t errors = 0;
};

struct client_state {
  options opts;
  int id = 0;
  size_t ep = 0;
  uint64_t seq = 0;
  caf::actor gateway;
  caf::actor collector;
  steady_clock::time_point deadline;
  client_result result;
};

std::string make_command(int client, uint64_t seq, size_t size) {
  auto s = "load-c" + std::to_string(client) + "-s" + std::to_string(seq) + "-";
  if (s.size() < size)
    s.append(size - s.size(), 'x');
  return s;
}

/// The node COMMIT of bench_command.hpp, serialized.
std::string make_journal_command(int client, uint64_t seq, size_t size) {
  return bench::journal_commit(client, seq, size).SerializeAsString();
}

std::atomic<bool> reported_error{false};

/// Prints the first error of the whole run to stderr (once).
void report_error(const std::string& what) {
  if (!reported_error.exchange(true))
    std::cerr << "pact-load: first error: " << what << std::endl;
}

void next(caf::stateful_actor<client_state>* self);

void connect(caf::stateful_actor<client_state>* self) {
  auto& st = self->state;
  auto& target = st.opts.endpoints[st.ep % st.opts.endpoints.size()];
  auto mm = target.tls && st.opts.tls
              ? st.opts.tls
              : self->system().middleman().actor_handle();
  self
    ->request(mm, std::chrono::seconds(2), caf::connect_atom::value,
              target.host, target.port)
    .then(
      [self](const caf::node_id&, caf::strong_actor_ptr& ptr,
             const std::set<std::string>&) {
        self->state.gateway = caf::actor_cast<caf::actor>(ptr);
        next(self);
      },
      [self](caf::error& err) {
        report_error("connect: " + self->system().render(err));
        ++self->state.result.errors;
        ++self->state.ep;
        self->delayed_send(self, std::chrono::milliseconds(50),
                           next_atom::value);
      });
}

void fail_over(caf::stateful_actor<client_state>* self,
               const std::string& what) {
  report_error(what);
  auto& st = self->state;
  ++st.result.errors;
  st.gateway = nullptr;
  ++st.ep;
  self->delayed_send(self, std::chrono::milliseconds(50), next_atom::value);
}

void next(caf::stateful_actor<client_state>* self) {
  auto& st = self->state;
  if (steady_clock::now() >= st.deadline) {
    std::vector<uint64_t> indices;
    std::vector<std::string> commands;
    for (auto& [i, c] : st.result.acked) {
      indices.push_back(i);
      commands.push_back(c);
    }
    self->send(st.collector, done_atom::value, st.result.latencies_ms, indices,
               commands, st.result.errors);
    self->quit();
    return;
  }
  if (!st.gateway) {
    connect(self);
    return;
  }
  protocol::Request req;
  req.set_version(protocol::PROTOCOL_VERSION_1);
  req.set_token(st.opts.token);
  std::string command;
  if (st.opts.commit) {
    command = make_journal_command(st.id, st.seq++, st.opts.size);
    PACT_ASSERT(
      req.mutable_command()->mutable_command()->ParseFromString(command),
      "a command this tool serialized");
  } else {
    command = make_command(st.id, st.seq++, st.opts.size);
    req.mutable_propose()->set_command(command);
  }
  auto start = steady_clock::now();
  self
    ->request(st.gateway, std::chrono::seconds(10), protocol::api_atom::value,
              req.SerializeAsString())
    .then(
      [self, start, command](const std::string& bytes) {
        protocol::Response resp;
        if (!resp.ParseFromString(bytes)) {
          fail_over(self, "malformed response");
          return;
        }
        if (resp.status().code() != protocol::STATUS_CODE_OK) {
          fail_over(self, protocol::StatusCode_Name(resp.status().code()) + ": "
                            + resp.status().message());
          return;
        }
        bool commit = self->state.opts.commit;
        if (commit && !resp.has_command_reply()) {
          fail_over(self, "OK response without a command_reply");
          return;
        }
        auto ms = std::chrono::duration<double, std::milli>(steady_clock::now()
                                                            - start)
                    .count();
        auto& r = self->state.result;
        r.latencies_ms.push_back(ms);
        if (!self->state.opts.acked_file.empty())
          r.acked.emplace_back(commit ? resp.command_reply().index()
                                      : resp.propose_reply().index(),
                               command);
        next(self);
      },
      [self](caf::error& err) { fail_over(self, self->system().render(err)); });
}

caf::behavior client(caf::stateful_actor<client_state>* self, options opts,
                     int id, caf::actor collector,
                     steady_clock::time_point deadline) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.id = id;
  st.ep = static_cast<size_t>(id);
  st.collector = collector;
  st.deadline = deadline;
  self->send(self, next_atom::value);
  return {
    [self](next_atom) { next(self); },
  };
}

expected<options> parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--endpoints") {
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) {
        auto ep = parse_endpoint(item, "--endpoints");
        if (!ep)
          return ep.err();
        o.endpoints.push_back(*ep);
      }
    } else if (k == "--token") {
      o.token = v;
    } else if (k == "--clients") {
      o.clients = std::stoi(v);
    } else if (k == "--duration-s") {
      o.duration_s = std::stod(v);
    } else if (k == "--size") {
      o.size = std::stoul(v);
    } else if (k == "--mode") {
      if (v != "propose" && v != "commit")
        return make_error("--mode must be 'propose' or 'commit'");
      o.commit = v == "commit";
    } else if (k == "--acked") {
      o.acked_file = v;
    } else if (k == "--ca-bundle") {
      o.ca_bundle = v;
    } else {
      return make_error("unknown option " + k);
    }
  }
  if (o.endpoints.empty() || o.clients < 1)
    return make_error("usage: pact-load --endpoints URL[,URL...] --token T "
                      "--clients N --duration-s S [--size B] "
                      "[--mode propose|commit] [--acked FILE] "
                      "[--ca-bundle FILE]");
  return o;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  if (!opts) {
    std::cerr << "pact-load: " << opts.err().message << "\n";
    return 1;
  }
  caf::actor_system_config cfg;
  protocol::configure(cfg);
  caf::actor_system sys{cfg};
  if (!opts->ca_bundle.empty()) {
    auto pem = tls::load_bundle("--ca-bundle", opts->ca_bundle);
    std::string why;
    auto ctx = pem ? tls::context::client({*pem, opts->ca_bundle, {}}, why)
                   : nullptr;
    if (!ctx) {
      std::cerr << "pact-load: " << (pem ? why : pem.err().message) << "\n";
      return 1;
    }
    net::tls_policy p;
    p.client = std::make_shared<tls::context_slot>(ctx);
    opts->tls = net::spawn_tls_middleman(sys, std::move(p));
  }
  caf::scoped_actor self{sys};
  auto start = steady_clock::now();
  auto deadline = start
                  + std::chrono::duration_cast<steady_clock::duration>(
                    std::chrono::duration<double>(opts->duration_s));
  std::vector<caf::actor> clients;
  for (int i = 0; i < opts->clients; ++i)
    clients.push_back(
      sys.spawn(client, *opts, i, caf::actor_cast<caf::actor>(self), deadline));
  std::vector<double> lat;
  uint64_t errors = 0;
  std::ofstream acked;
  if (!opts->acked_file.empty())
    acked.open(opts->acked_file);
  int finished = 0;
  self->receive_while([&] { return finished < opts->clients; })(
    [&](done_atom, const std::vector<double>& l,
        const std::vector<uint64_t>& indices,
        const std::vector<std::string>& commands, uint64_t errs) {
      ++finished;
      lat.insert(lat.end(), l.begin(), l.end());
      errors += errs;
      for (size_t i = 0; i < indices.size(); ++i) {
        acked << indices[i] << " ";
        for (unsigned char c : commands[i])
          acked << "0123456789abcdef"[c >> 4] << "0123456789abcdef"[c & 15];
        acked << "\n";
      }
    });
  auto elapsed
    = std::chrono::duration<double>(steady_clock::now() - start).count();
  nlohmann::json out{
    {"request", opts->commit ? "commit" : "propose"},
    {"clients", opts->clients},
    {"size_bytes", opts->size},
    {"duration_s", elapsed},
    {"acknowledged", lat.size()},
    {"errors", errors},
    {"throughput_per_s", static_cast<double>(lat.size()) / elapsed},
    {"p50_ms", bench::percentile(lat, 0.50)},
    {"p99_ms", bench::percentile(lat, 0.99)},
    {"max_ms", lat.empty() ? 0.0 : *std::max_element(lat.begin(), lat.end())}};
  std::cout << out.dump() << std::endl;
  // The TLS middleman's thread ends once no handle is left
  // (tls_transport.hpp); `opts` outlives the actor system.
  opts->tls = caf::io::middleman_actor{};
  return 0;
}
