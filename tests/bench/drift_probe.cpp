// pact-drift-probe: how long a running agent takes to see a file write
// (issue 11 item 7; docs/benchmarks.md "Agent: file write to drift").
//
//   pact-drift-probe --agent URL --token TOKEN --node NODE --root DIR
//                    [--trials N] [--pause-ms MS]
//
// The agent's own detection, without a CLI process per look: one client
// connected once to the agent API (the connection `pact diff NODE` opens),
// then per trial: rewrite ROOT/etc/bench/f<k>.conf (holding "v0\n", best
// created before the agent started so that it is in its baseline), and ask
// for the node's drift (the DriftRequest `pact diff` sends) again and
// again, each request as soon as the previous answer arrived, until an item
// for that path with the new content is in the answer. The latency is from
// just before the write to that answer. Then "v0\n" goes back and the
// probe waits until the item is gone, so each trial starts without drift.
// Before the trials it also times drift requests with nothing changed (the
// query's own round trip). Prints one JSON object with the percentiles.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "protocol/caf_types.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/files.hpp"
#include "tests/bench/stats.hpp"
#include <pact/protocol/api.pb.h>

using namespace pact;
using std::chrono::steady_clock;

namespace {

struct options {
  endpoint agent;
  std::string token;
  std::string node;
  std::string root;
  int trials = 100;
  int pause_ms = 100;
};

double ms_since(steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - t)
    .count();
}

/// One drift request and its answer; an error text when there is none.
expected<protocol::DriftReply> ask(caf::scoped_actor& self, const caf::actor& a,
                                   const options& o) {
  protocol::Request req;
  req.set_version(protocol::PROTOCOL_VERSION_1);
  req.set_token(o.token);
  req.set_request_id("probe");
  req.mutable_drift()->set_node(o.node);
  self->send(a, protocol::api_atom::value, req.SerializeAsString(),
             caf::actor_cast<caf::actor>(self));
  expected<protocol::DriftReply> out = make_error("no answer in 5 s");
  self->receive(
    [&](const std::string& bytes) {
      protocol::Response r;
      if (!r.ParseFromString(bytes))
        out = make_error("a malformed answer");
      else if (r.status().code() != protocol::STATUS_CODE_OK)
        out = make_error(r.status().message());
      else
        out = r.drift_reply();
    },
    caf::after(std::chrono::seconds(5)) >> [] {});
  return out;
}

bool shows(const protocol::DriftReply& r, const std::string& key,
           const std::string& content) {
  return std::any_of(r.items().begin(), r.items().end(), [&](const auto& i) {
    return i.key() == key && i.actual() == content;
  });
}

expected<options> parse(int argc, char** argv) {
  options o;
  bool have_agent = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--agent") {
      auto ep = parse_endpoint(v, "--agent");
      if (!ep)
        return ep.err();
      o.agent = *ep;
      have_agent = true;
    } else if (k == "--token") {
      o.token = v;
    } else if (k == "--node") {
      o.node = v;
    } else if (k == "--root") {
      o.root = v;
    } else if (k == "--trials") {
      o.trials = std::stoi(v);
    } else if (k == "--pause-ms") {
      o.pause_ms = std::stoi(v);
    } else {
      return make_error("unknown option " + k);
    }
  }
  if (!have_agent || o.root.empty() || o.trials < 1)
    return make_error("usage: pact-drift-probe --agent URL --token TOKEN "
                      "--node NODE --root DIR [--trials N] [--pause-ms MS]");
  return o;
}

std::string bench_file(int k) {
  return "/etc/bench/f" + std::to_string(k) + ".conf";
}

/// Creates the files the trials rewrite that are not there yet; they
/// should be in the agent's baseline (created before it started: then a
/// trial's write is a modification, and putting "v0" back ends the drift).
status prepare(const options& o) {
  if (auto st = files::make_dirs(o.root + "/etc/bench", 0755); !st)
    return st;
  for (int k = 0; k < o.trials; ++k)
    if (!files::exists(o.root + bench_file(k))
        && !(std::ofstream(o.root + bench_file(k)) << "v0\n"))
      return make_error("cannot write " + o.root + bench_file(k));
  return {};
}

int fail(const std::string& what) {
  std::cerr << "pact-drift-probe: " << what << "\n";
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  if (!opts)
    return fail(opts.err().message);
  if (auto st = prepare(*opts); !st)
    return fail(st.err().message);
  caf::actor_system_config cfg;
  protocol::configure(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto a = sys.middleman().remote_actor(opts->agent.host, opts->agent.port);
  if (!a)
    return fail("cannot reach the agent at " + opts->agent.url());
  // The new files are seen (as added, then in the baseline on a fresh
  // agent's first walk) before the trials start.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::vector<double> query;
  for (int i = 0; i < 50; ++i) {
    auto t = steady_clock::now();
    auto r = ask(self, *a, *opts);
    if (!r)
      return fail(r.err().message);
    query.push_back(ms_since(t));
  }
  std::vector<double> detect;
  std::vector<double> polls;
  for (int k = 0; k < opts->trials; ++k) {
    auto key = bench_file(k);
    auto content = "v1 trial " + std::to_string(k) + "\n";
    auto t = steady_clock::now();
    if (!(std::ofstream(opts->root + key) << content))
      return fail("cannot write " + opts->root + key);
    int n = 0;
    auto seen = [&](bool want) -> expected<bool> {
      auto r = ask(self, *a, *opts);
      if (!r)
        return r.err();
      ++n;
      return shows(*r, key, content) == want;
    };
    for (;;) {
      auto r = seen(true);
      if (!r)
        return fail(r.err().message);
      if (*r)
        break;
      if (ms_since(t) > 10000)
        return fail("the agent did not show " + key + " within 10 s");
    }
    detect.push_back(ms_since(t));
    polls.push_back(n);
    // Put the file back, so that each trial starts with no drift and the
    // answers stay small (a node rarely has hundreds of drifted files).
    if (!(std::ofstream(opts->root + key) << "v0\n"))
      return fail("cannot write " + opts->root + key);
    for (auto back = steady_clock::now();;) {
      auto r = seen(false);
      if (!r)
        return fail(r.err().message);
      if (*r)
        break;
      if (ms_since(back) > 10000)
        return fail("the agent still shows " + key + " after 10 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(opts->pause_ms));
  }
  nlohmann::json out{
    {"trials", opts->trials},
    {"query_p50_ms", bench::percentile(query, 0.50)},
    {"query_p99_ms", bench::percentile(query, 0.99)},
    {"detect_p50_ms", bench::percentile(detect, 0.50)},
    {"detect_p99_ms", bench::percentile(detect, 0.99)},
    {"detect_max_ms", *std::max_element(detect.begin(), detect.end())},
    {"requests_p50", bench::percentile(polls, 0.50)},
    {"requests_max", *std::max_element(polls.begin(), polls.end())}};
  std::cout << out.dump() << std::endl;
  return 0;
}
