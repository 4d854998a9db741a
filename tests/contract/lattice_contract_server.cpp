// pact-lattice-contract: a stand-in for the lattice scheduler's gRPC API
// (package lattice.v1, NodeService, AllocationService, AdminService) for
// pact's tests, since lattice itself cannot be built here. It answers as
// lattice's handlers do, from a JSON fixture, and records what it receives.
// Test-only: built beside the binaries, never installed.
//
//   pact-lattice-contract [--listen HOST:PORT] [--fixture FILE]
//       [--token T] [--tls-cert F --tls-key K] [--record FILE]
//       [--delay-ms N [--delay-method NAME]] [--fail-method NAME=CODE]
//
// --listen      default 127.0.0.1:0 (0: a free port). Once serving, prints
//               exactly one line, "listening on HOST:PORT", to stdout.
// --fixture     lattice's state (contract_state.hpp gives the shape).
// --token       every call must carry "authorization: Bearer T" (lattice's
//               interceptor): UNAUTHENTICATED otherwise.
// --record      one JSON line per call: method, authorization, request,
//               answer (code name), message.
// --delay-ms    sleep before answering every call, or only NAME's.
// --fail-method answer NAME (e.g. DrainNode) with CODE (e.g. INTERNAL) and
//               "injected failure".
// Exits 0 on SIGTERM/SIGINT, 2 on a bad flag or fixture.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <pthread.h>
#include <thread>

#include "tests/contract/contract_server.hpp"

using namespace pact::contract;

namespace {

int usage(const std::string& why) {
  std::cerr << "pact-lattice-contract: " << why << "\n"
            << "usage: pact-lattice-contract [--listen HOST:PORT] "
               "[--fixture FILE] [--token T] [--tls-cert F --tls-key K] "
               "[--record FILE] [--delay-ms N [--delay-method NAME]] "
               "[--fail-method NAME=CODE]\n";
  return 2;
}

bool parse_int(const std::string& s, int& out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0 || v > 3600000)
    return false;
  out = static_cast<int>(v);
  return true;
}

} // namespace

int main(int argc, char** argv) {
  server_options opts;
  std::string fixture;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      return usage(flag + " wants a value");
    std::string value = argv[++i];
    if (flag == "--listen") {
      opts.listen = value;
    } else if (flag == "--fixture") {
      fixture = value;
    } else if (flag == "--token") {
      opts.gate.token = value;
    } else if (flag == "--tls-cert") {
      opts.tls_cert = value;
    } else if (flag == "--tls-key") {
      opts.tls_key = value;
    } else if (flag == "--record") {
      opts.gate.record_path = value;
    } else if (flag == "--delay-ms") {
      if (!parse_int(value, opts.gate.delay_ms))
        return usage("--delay-ms wants milliseconds, not " + value);
    } else if (flag == "--delay-method") {
      opts.gate.delay_method = value;
    } else if (flag == "--fail-method") {
      auto eq = value.find('=');
      auto code = eq == std::string::npos
                    ? std::nullopt
                    : code_from_name(value.substr(eq + 1));
      if (!code || eq == 0 || *code == grpc::StatusCode::OK)
        return usage("--fail-method wants NAME=CODE (CODE as NOT_FOUND, "
                     "INTERNAL, ...), not "
                     + value);
      opts.gate.fail_method = value.substr(0, eq);
      opts.gate.fail_code = *code;
    } else {
      return usage("unknown flag " + flag);
    }
  }
  // Block the stop signals in every thread gRPC starts; one watcher takes
  // them with sigwait and shuts the server down outside signal context.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto server = std::make_unique<contract_server>();
  if (!fixture.empty()) {
    auto err = load_fixture(fixture, server->state());
    if (!err.empty())
      return usage(err);
  }
  auto err = server->start(opts);
  if (!err.empty())
    return usage(err);
  std::cout << "listening on " << server->address() << std::endl;
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    server->shutdown();
  });
  server->wait();
  watcher.join();
  return 0;
}
