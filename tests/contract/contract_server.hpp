// A lattice contract server: the three lattice.v1 services on one gRPC
// listener, answering from a lattice_state through one call_gate. Used by
// the `pact-lattice-contract` program and, in process, by its self-test.

#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "tests/contract/call_gate.hpp"
#include "tests/contract/contract_services.hpp"
#include "tests/contract/contract_state.hpp"

namespace pact::contract {

struct server_options {
  /// HOST:PORT; port 0 picks a free one.
  std::string listen = "127.0.0.1:0";
  /// PEM files; both set: TLS, both empty: plaintext.
  std::string tls_cert;
  std::string tls_key;
  gate_options gate;
};

class contract_server {
public:
  /// Fill before start(); services read it under state().mutex afterwards.
  lattice_state& state() {
    return state_;
  }

  /// Starts serving. Returns "" or why not (bad address, unreadable TLS
  /// file, record file). After success port() is the port bound.
  std::string start(const server_options& options);

  int port() const {
    return port_;
  }

  /// "HOST:PORT" with the port bound.
  std::string address() const {
    return address_;
  }

  /// Stops accepting, lets calls in flight finish (bounded by `grace_ms`).
  void shutdown(int grace_ms = 1000);

  /// Blocks until shutdown() returns.
  void wait();

private:
  lattice_state state_;
  call_gate gate_;
  node_service nodes_{state_, gate_};
  allocation_service allocations_{state_, gate_};
  admin_service admin_{state_, gate_};
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
};

} // namespace pact::contract
