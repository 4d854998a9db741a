// pact-bootstorm: N agents' journal links booting at once against a journal
// cluster (issue 11 item 7; docs/benchmarks.md "Agent boot storm").
//
//   pact-bootstorm --journals URL[,URL...] --agents N --dir DIR
//                  --secret-file FILE [--first I] [--vcluster NAME]
//                  [--connections C] [--threads T] [--enroll] [--wait-go]
//                  [--timeout-s S] [--linger-s S] [--log-level error|warn]
//
// Each agent is the real journal link actor (actors/agent/journal_link.hpp)
// with its own node credential (an HS256 token for node `bench-<i>` with
// role pact-node, minted with the journal's secret as `pact-journal --dev`
// mints its node token), its own --root DIR/a<i>/root, state dir and LMDB
// boot cache; no drift watcher (no inotify). Agents are I .. I+N-1. The
// links run in ceil(C / journals) CAF actor systems in this process: CAF
// keeps one connection per (actor system, remote node), so that is how the
// links share C client connections (counted from /proc at the end, not
// assumed), each system reaching every replica through its middleman
// (remote_actor). Agent i lives in system i mod S and asks replica
// (i / S) mod J first, so every system uses every replica.
//
// One process holds at most about 1,000 agents: LMDB takes a pthread key
// per open environment (PTHREAD_KEYS_MAX = 1024), so larger storms run
// several of these processes, started together (boot_storm.py: --wait-go
// prints "ready" after the setup and starts on a line on stdin).
//
// Untimed setup: the directories, tokens and caches, and with --enroll one
// NODE_ENROLL command per node (as a platform admin, 64 in flight). Timed:
// every link spawned at once (t = 0) until every one has applied its
// configuration and handed it on (what the agent logs as "pact-agent ready
// in N ms (start to configured)"). Prints one JSON object: the time until
// all were configured, per-agent times and percentiles, t0 on
// CLOCK_MONOTONIC (so a caller can merge processes and time the journal's
// side against it), the connections, and the links' health states.

#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/journal_link.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/files.hpp"
#include "runtime/policy/token.hpp"
#include "tests/bench/stats.hpp"
#include <pact/protocol/api.pb.h>
#include <pact/protocol/health.pb.h>

using namespace pact;
using std::chrono::steady_clock;

namespace {

struct options {
  std::vector<endpoint> journals;
  size_t agents = 100;
  /// Index of this process's first agent (node bench-<first>).
  size_t first = 0;
  /// Print "ready" after the setup and start on a line on stdin.
  bool wait_go = false;
  size_t connections = 102;
  size_t threads = 2;
  std::string dir;
  std::string secret;
  std::string vcluster = "bench";
  bool enroll = false;
  double timeout_s = 120;
  /// After printing: keep the links running this long, or until stdin
  /// closes, so that their boot records reach the journal.
  double linger_s = 0;
  /// spdlog level of the links' log on stderr.
  std::string log_level = "error";
};

/// What the links report, from every actor system's sink.
struct tracker {
  steady_clock::time_point t0;
  std::atomic<size_t> configured{0};
  std::mutex m;
  std::vector<double> at_ms;
  /// Last health state and detail per link.
  std::map<std::string, std::pair<int32_t, std::string>> health;

  void configured_now() {
    auto ms
      = std::chrono::duration<double, std::milli>(steady_clock::now() - t0)
          .count();
    std::lock_guard<std::mutex> g(m);
    at_ms.push_back(ms);
    configured.fetch_add(1);
  }
};

/// Stands in for each agent's health registry, drift watcher and service
/// supervisor: answers the link's snapshot request with an empty tree and
/// counts the declared state each link hands on once it has applied it.
caf::behavior sink(caf::event_based_actor* self, std::shared_ptr<tracker> t) {
  // What else an agent's actors are sent is not this benchmark's: dropped,
  // never printed (CAF's default prints unexpected messages on stdout, where
  // the tool's JSON goes).
  self->set_default_handler(caf::drop);
  return {
    [](protocol::health_snapshot_atom) {
      return protocol::HealthTree().SerializeAsString();
    },
    [t](protocol::health_report_atom, const std::string& name, int32_t state,
        const std::string& detail, uint64_t) {
      std::lock_guard<std::mutex> g(t->m);
      t->health[name] = {state, detail};
    },
    [t](agent::declared_state_atom, const std::string&, const std::string&) {
      t->configured_now();
    },
    [](agent::declared_services_atom, const std::string&, const std::string&) {
    },
    [](agent::undeclared_atom, const std::string&) {},
  };
}

std::string token_for(const options& o, const std::string& sub,
                      const std::vector<std::string>& groups,
                      const std::string& type) {
  policy::token_claims c;
  c.subject = sub;
  c.issuer = "pact-dev";
  c.audience = "pact";
  c.groups = groups;
  c.principal_type = type;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  c.issued_at = now;
  c.expires_at = now + 3600;
  return policy::sign_hs256(c, o.secret);
}

std::string node_name(size_t i) {
  return "bench-" + std::to_string(i);
}

/// Directories a node's root has from its image before pact configures
/// it (the spec's files and sysctls go into them): a boot fills them, it
/// does not build the tree.
const char* const image_dirs[] = {"/etc/security/limits.d",
                                  "/etc/modprobe.d",
                                  "/proc/sys/vm",
                                  "/proc/sys/kernel",
                                  "/run",
                                  "/var/lib"};

/// One agent's files: DIR/a<i>/{root,state,token}; its boot cache.
expected<agent::journal_link_config> agent_config(const options& o, size_t i) {
  auto base = o.dir + "/a" + std::to_string(i);
  for (const auto& d : {base + "/root", base + "/state"})
    if (auto st = files::make_dirs(d, 0750); !st)
      return st.err();
  for (const char* d : image_dirs)
    if (auto st = files::make_dirs(base + "/root" + d); !st)
      return st.err();
  auto token = token_for(o, node_name(i), {"pact-node"}, "service");
  if (auto st = files::write_atomic(base + "/token", token + "\n", 0600); !st)
    return st.err();
  auto cache = node::boot_cache::open(base + "/state/boot-cache");
  if (!cache)
    return cache.err();
  agent::journal_link_config lc;
  lc.node_id = node_name(i);
  lc.vcluster = o.vcluster;
  lc.agent_endpoint = [i] { return "http://" + node_name(i) + ":9445"; };
  lc.token_file = base + "/token";
  lc.state_dir = base + "/state";
  lc.cache = std::move(*cache);
  lc.host.root = base + "/root";
  lc.host.privileged = ::geteuid() == 0;
  lc.host.run = node::spawn_runner();
  lc.wall = std::make_shared<system_clock>();
  return lc;
}

/// Enrolls every node (as a platform admin, 64 requests in flight).
status enroll_all(caf::actor_system& sys, const options& o) {
  caf::scoped_actor self{sys};
  auto admin = token_for(o, "bench-admin", {"pact-platform-admin"}, "human");
  const auto& ep = o.journals.front();
  caf::actor gw;
  self
    ->request(sys.middleman().actor_handle(), std::chrono::seconds(10),
              caf::connect_atom::value, ep.host, ep.port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& p,
          const std::set<std::string>&) {
        gw = caf::actor_cast<caf::actor>(p);
      },
      [](caf::error&) {});
  if (!gw)
    return make_error("cannot reach the journal at " + ep.url());
  size_t sent = 0, done = 0;
  std::string problem;
  auto send_one = [&] {
    protocol::Request req;
    req.set_version(protocol::PROTOCOL_VERSION_1);
    req.set_token(admin);
    auto* c = req.mutable_command()->mutable_command();
    c->set_kind(protocol::COMMAND_KIND_NODE_ENROLL);
    c->mutable_scope()->set_node(node_name(o.first + sent));
    c->set_vcluster(o.vcluster);
    c->set_message("bench enroll");
    self->send(gw, protocol::api_atom::value, req.SerializeAsString(),
               caf::actor_cast<caf::actor>(self));
    ++sent;
  };
  while (sent < std::min<size_t>(64, o.agents))
    send_one();
  while (done < o.agents && problem.empty()) {
    self->receive(
      [&](const std::string& bytes) {
        protocol::Response r;
        if (!r.ParseFromString(bytes))
          problem = "a malformed answer";
        else if (r.status().code() != protocol::STATUS_CODE_OK)
          problem = r.status().message();
        ++done;
        if (sent < o.agents)
          send_one();
      },
      caf::after(std::chrono::seconds(30)) >>
        [&] { problem = "no answer in 30 s"; });
  }
  if (!problem.empty())
    return make_error("enrolling the nodes: " + problem);
  return {};
}

void raise_file_limit(size_t agents) {
  // Each boot cache holds two descriptors (data and lock file).
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  rlim_t want = 2 * agents + 4096;
  if (r.rlim_cur >= want)
    return;
  rlimit n{want, std::max(want, r.rlim_max)};
  if (::setrlimit(RLIMIT_NOFILE, &n) != 0) {
    n.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &n);
    std::cerr << "pact-bootstorm: open files limited to " << r.rlim_max << "; "
              << want << " wanted (run as root or raise ulimit -n)\n";
  }
}

expected<options> parse(int argc, char** argv) {
  options o;
  std::string secret_file;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--enroll" || k == "--wait-go") {
      (k == "--enroll" ? o.enroll : o.wait_go) = true;
      continue;
    }
    if (i + 1 >= argc)
      return make_error(k + " needs a value");
    std::string v = argv[++i];
    if (k == "--journals") {
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) {
        auto ep = parse_endpoint(item, "--journals");
        if (!ep)
          return ep.err();
        o.journals.push_back(*ep);
      }
    } else if (k == "--agents") {
      o.agents = std::stoul(v);
    } else if (k == "--first") {
      o.first = std::stoul(v);
    } else if (k == "--connections") {
      o.connections = std::stoul(v);
    } else if (k == "--threads") {
      o.threads = std::stoul(v);
    } else if (k == "--dir") {
      o.dir = v;
    } else if (k == "--secret-file") {
      secret_file = v;
    } else if (k == "--vcluster") {
      o.vcluster = v;
    } else if (k == "--timeout-s") {
      o.timeout_s = std::stod(v);
    } else if (k == "--log-level") {
      o.log_level = v;
    } else if (k == "--linger-s") {
      o.linger_s = std::stod(v);
    } else {
      return make_error("unknown option " + k);
    }
  }
  if (o.journals.empty() || o.dir.empty() || secret_file.empty() || o.agents < 1
      || o.connections < 1 || o.threads < 1)
    return make_error(
      "usage: pact-bootstorm --journals URL[,URL...] --agents N --dir DIR "
      "--secret-file FILE [--vcluster NAME] [--connections C] [--threads T] "
      "[--first I] [--enroll] [--wait-go] [--timeout-s S] [--linger-s S] "
      "[--log-level L]");
  auto s = files::read_all(secret_file);
  if (!s)
    return s.err();
  o.secret = *s;
  while (!o.secret.empty() && o.secret.back() == '\n')
    o.secret.pop_back();
  return o;
}

/// The links' last health states: how many in each, and a few details of
/// those not running (what went wrong, when something did).
nlohmann::json health_summary(tracker& t) {
  std::lock_guard<std::mutex> g(t.m);
  std::map<std::string, size_t> counts;
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& [name, sd] : t.health) {
    auto state
      = protocol::ActorState_Name(static_cast<protocol::ActorState>(sd.first));
    ++counts[state];
    if (sd.first != protocol::ACTOR_STATE_RUNNING && samples.size() < 5)
      samples.push_back(name + ": " + sd.second);
  }
  return {{"states", counts}, {"not_running", samples}};
}

/// Established TCP connections of this process to `ports` (the gateways):
/// CAF shares a connection per actor system and remote node, so this is
/// counted, not assumed. Reads /proc/self/net/tcp{,6} and /proc/self/fd.
size_t connections_to(const std::vector<endpoint>& eps) {
  std::set<std::string> inodes;
  for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string sl, local, remote, state, queues, tr, retr, uid, timeout,
        inode;
      ls >> sl >> local >> remote >> state >> queues >> tr >> retr >> uid
        >> timeout >> inode;
      auto port = std::stoul(remote.substr(remote.rfind(':') + 1), nullptr, 16);
      bool gateway = std::any_of(eps.begin(), eps.end(),
                                 [&](const auto& e) { return e.port == port; });
      if (state == "01" && gateway)
        inodes.insert(inode);
    }
  }
  size_t n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0
        && inodes.count(target.substr(8, target.size() - 9)) > 0)
      ++n;
  }
  return n;
}

/// Waits `seconds` or until stdin reaches its end, whichever is first.
void linger(double seconds) {
  if (seconds <= 0)
    return;
  pollfd p{STDIN_FILENO, POLLIN, 0};
  auto until = steady_clock::now()
               + std::chrono::duration_cast<steady_clock::duration>(
                 std::chrono::duration<double>(seconds));
  char buf[256];
  while (steady_clock::now() < until) {
    if (::poll(&p, 1, 100) > 0
        && (::read(STDIN_FILENO, buf, sizeof buf) <= 0
            || (p.revents & (POLLHUP | POLLERR)) != 0))
      return;
  }
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  if (!opts) {
    std::cerr << "pact-bootstorm: " << opts.err().message << "\n";
    return 1;
  }
  // Warnings and errors only, on stderr: 10,000 links' info lines would be
  // the benchmark. Each item a test root only records is a warning too.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("bootstorm"));
  spdlog::set_level(spdlog::level::from_str(opts->log_level));
  raise_file_limit(opts->agents);
  auto J = opts->journals.size();
  auto S = std::max<size_t>(1, (opts->connections + J - 1) / J);
  std::vector<std::unique_ptr<caf::actor_system_config>> cfgs;
  std::vector<std::unique_ptr<caf::actor_system>> systems;
  auto t = std::make_shared<tracker>();
  std::vector<caf::actor> sinks;
  for (size_t s = 0; s < S; ++s) {
    auto cfg = std::make_unique<caf::actor_system_config>();
    protocol::configure(*cfg);
    cfg->set("scheduler.max-threads", opts->threads);
    systems.push_back(std::make_unique<caf::actor_system>(*cfg));
    cfgs.push_back(std::move(cfg));
    sinks.push_back(systems.back()->spawn(sink, t));
  }
  if (opts->enroll)
    if (auto st = enroll_all(*systems.front(), *opts); !st) {
      std::cerr << "pact-bootstorm: " << st.err().message << "\n";
      return 1;
    }
  std::vector<agent::journal_link_config> links;
  links.reserve(opts->agents);
  for (size_t i = 0; i < opts->agents; ++i) {
    auto lc = agent_config(*opts, opts->first + i);
    if (!lc) {
      std::cerr << "pact-bootstorm: " << lc.err().message << "\n";
      return 1;
    }
    auto s = i % S;
    auto first = (i / S) % J;
    for (size_t k = 0; k < J; ++k)
      lc->journals.push_back(opts->journals[(first + k) % J]);
    lc->registry = sinks[s];
    lc->services = sinks[s];
    lc->drift_watcher = [sk = sinks[s]] { return sk; };
    links.push_back(std::move(*lc));
  }

  if (opts->wait_go) {
    std::cout << "ready" << std::endl;
    std::string go;
    if (!std::getline(std::cin, go))
      return 1;
  }
  t->t0 = steady_clock::now();
  auto mono_t0
    = std::chrono::duration<double>(t->t0.time_since_epoch()).count();
  std::vector<caf::actor> spawned;
  spawned.reserve(opts->agents);
  for (size_t i = 0; i < opts->agents; ++i) {
    links[i].started = t->t0;
    spawned.push_back(systems[i % S]->spawn(
      agent::journal_link,
      supervision::health_handle{sinks[i % S],
                                 "bench/" + node_name(opts->first + i)},
      links[i]));
  }
  auto spawned_ms
    = std::chrono::duration<double, std::milli>(steady_clock::now() - t->t0)
        .count();
  auto deadline = t->t0
                  + std::chrono::duration_cast<steady_clock::duration>(
                    std::chrono::duration<double>(opts->timeout_s));
  while (t->configured.load() < opts->agents && steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto all_ms
    = std::chrono::duration<double, std::milli>(steady_clock::now() - t->t0)
        .count();
  // Let the links' last health reports arrive (they follow the boot).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<double> at;
  {
    std::lock_guard<std::mutex> g(t->m);
    at = t->at_ms;
  }
  auto n = at.size();
  nlohmann::json out{
    {"agents", opts->agents},
    {"actor_systems", S},
    {"connections", connections_to(opts->journals)},
    {"configured", n},
    {"t0_monotonic_s", mono_t0},
    {"spawn_ms", spawned_ms},
    {"all_configured_ms", n == opts->agents ? all_ms : -1.0},
    {"p50_ms", bench::percentile(at, 0.50)},
    {"p99_ms", bench::percentile(at, 0.99)},
    {"max_ms", at.empty() ? 0.0 : *std::max_element(at.begin(), at.end())},
    {"configured_ms", at},
    {"health", health_summary(*t)}};
  std::cout << out.dump() << std::endl;
  linger(opts->linger_s);
  for (auto& a : spawned)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  for (auto& s : sinks)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  return n == opts->agents ? 0 : 2;
}
