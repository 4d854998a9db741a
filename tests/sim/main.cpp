// pact-sim: the deterministic simulation of the Raft core (DESIGN.md §8,
// docs/simulation.md).
//
//   pact-sim --seed S [--replicas 3|5] [--steps K] [--verbose]
//   pact-sim --seeds N [--start S] [--replicas 3|5] [--steps K]
//
// Every failure prints its seed and the exact command that replays it; the
// exit status is non-zero if any seed failed.

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <unistd.h>

#include "tests/sim/simulation.hpp"

namespace {

/// The replay command of the seed being run, for the abort handler: a Raft
/// core assertion (PACT_ASSERT) aborts the process, and the seed must
/// still be printed.
char replay_line[256] = "";

extern "C" void on_abort(int) {
  const char prefix[] = "\npact-sim: aborted; replay with: ";
  auto n = ::write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
  n = ::write(STDERR_FILENO, replay_line, std::strlen(replay_line));
  n = ::write(STDERR_FILENO, "\n", 1);
  (void)n;
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

struct cli {
  bool one = false;
  std::uint64_t seed = 1;
  std::uint64_t seeds = 0;
  std::uint64_t start = 1;
  std::size_t replicas = 0;
  std::uint64_t steps = pact::sim::sim_options{}.ticks;
  bool verbose = false;
  pact::sim::planted_bug bug = pact::sim::planted_bug::none;
};

int usage() {
  std::cerr << "usage: pact-sim --seed S [--replicas 3|5] [--steps K] "
               "[--verbose]\n"
               "       pact-sim --seeds N [--start S] [--replicas 3|5] "
               "[--steps K]\n"
               "  --plant-bug send-before-fsync|local-reads|leader-reads|"
               "forget-vote|count-unsynced\n"
               "      run with a deliberate host bug (the simulator's own "
               "test)\n";
  return 2;
}

bool parse(int argc, char** argv, cli& c) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--verbose") {
      c.verbose = true;
      continue;
    }
    if (i + 1 >= argc)
      return false;
    if (a == "--plant-bug") {
      auto b = pact::sim::parse_bug(argv[++i]);
      if (!b)
        return false;
      c.bug = *b;
      continue;
    }
    std::uint64_t v = 0;
    try {
      v = std::stoull(argv[++i]);
    } catch (...) {
      return false;
    }
    if (a == "--seed") {
      c.one = true;
      c.seed = v;
    } else if (a == "--seeds") {
      c.seeds = v;
    } else if (a == "--start") {
      c.start = v;
    } else if (a == "--replicas") {
      if (v != 3 && v != 5)
        return false;
      c.replicas = v;
    } else if (a == "--steps") {
      c.steps = v;
    } else {
      return false;
    }
  }
  return c.one != (c.seeds != 0);
}

bool run_one(const pact::sim::sim_options& o, bool print_ok) {
  auto cmd = pact::sim::replay_command(o);
  std::snprintf(replay_line, sizeof(replay_line), "%s", cmd.c_str());
  auto res = pact::sim::run_simulation(o);
  if (print_ok || !res.ok)
    std::cout << res.summary(o.seed) << '\n';
  if (!res.ok) {
    std::cout << "FAILURE seed=" << o.seed << ": " << res.failure << '\n'
              << "plan:\n"
              << res.plan << '\n'
              << "replay: " << cmd << " [--verbose]\n";
  }
  return res.ok;
}

} // namespace

int main(int argc, char** argv) {
  cli c;
  if (!parse(argc, argv, c))
    return usage();
  std::signal(SIGABRT, on_abort);
  pact::sim::sim_options o;
  o.replicas = c.replicas;
  o.ticks = c.steps;
  o.bug = c.bug;
  if (c.one) {
    o.seed = c.seed;
    if (c.verbose)
      o.trace = &std::cout;
    return run_one(o, true) ? 0 : 1;
  }
  std::uint64_t failed = 0;
  for (std::uint64_t s = c.start; s < c.start + c.seeds; ++s) {
    o.seed = s;
    if (!run_one(o, false))
      ++failed;
  }
  std::cout << "pact-sim: " << c.seeds << " seeds from " << c.start
            << (c.replicas != 0 ? " replicas=" + std::to_string(c.replicas)
                                : std::string{" replicas=3|5"})
            << " steps=" << c.steps << ": " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
