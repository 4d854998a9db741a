// What every contract-server call goes through before and after its
// handler: the injected delay, lattice's bearer-token check, an injected
// failure, and the record line.
//
// Order, and why: the delay comes first so that a deadline test sees it
// whatever the call's outcome; authentication comes before an injected
// failure because lattice's interceptor rejects a call before any service
// sees it (lattice-api/src/server.rs, build_interceptor).

#pragma once

#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

namespace pact::contract {

/// Test knobs, all off by default.
struct gate_options {
  /// When set, every call must carry `authorization: Bearer <token>`.
  std::string token;
  /// Sleep this long before answering...
  int delay_ms = 0;
  /// ...only this method (empty: every method).
  std::string delay_method;
  /// Answer this method with `fail_code` and "injected failure".
  std::string fail_method;
  grpc::StatusCode fail_code = grpc::StatusCode::INTERNAL;
  /// Append one JSON line per call here (empty: no record).
  std::string record_path;
};

/// Whether `method` (the full path "/lattice.v1.NodeService/DrainNode")
/// is the one a flag names: the full path, "NodeService/DrainNode" or just
/// "DrainNode".
bool method_matches(const std::string& flag, const std::string& method);

/// "NOT_FOUND" for grpc::StatusCode::NOT_FOUND, "OK" for OK.
std::string code_name(grpc::StatusCode code);

/// The code named (as code_name writes it), or nothing.
std::optional<grpc::StatusCode> code_from_name(const std::string& name);

/// Thread-safe: one gate serves every call of every service.
class call_gate {
public:
  /// Opens the record file for appending. Returns "" or why it could not.
  std::string open(gate_options options);

  ~call_gate();

  /// Runs `body` (returning grpc::Status) unless the gate answers first,
  /// records the call, and returns the answer.
  template <class Body>
  grpc::Status run(grpc::ServerContext* ctx, const char* method,
                   const google::protobuf::Message& request, Body&& body) {
    auto early = before(ctx, method);
    grpc::Status answer = early ? *early : body();
    record(ctx, method, request, answer);
    return answer;
  }

private:
  std::optional<grpc::Status> before(grpc::ServerContext* ctx,
                                     const std::string& method);
  void record(grpc::ServerContext* ctx, const std::string& method,
              const google::protobuf::Message& request,
              const grpc::Status& answer);

  gate_options options_;
  std::mutex record_mutex_;
  std::FILE* record_ = nullptr;
};

} // namespace pact::contract
