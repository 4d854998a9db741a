#include "tests/contract/call_gate.hpp"

#include <array>
#include <chrono>
#include <thread>
#include <utility>

#include <google/protobuf/util/json_util.h>

namespace pact::contract {

namespace {

// The client's `authorization` header, or nothing.
std::optional<std::string> authorization(const grpc::ServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end())
    return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\u%04x", u);
      out += buf.data();
    } else {
      out += c;
    }
  }
  return out + "\"";
}

const std::array<std::pair<grpc::StatusCode, const char*>, 17> codes{{
  {grpc::StatusCode::OK, "OK"},
  {grpc::StatusCode::CANCELLED, "CANCELLED"},
  {grpc::StatusCode::UNKNOWN, "UNKNOWN"},
  {grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
  {grpc::StatusCode::DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"},
  {grpc::StatusCode::NOT_FOUND, "NOT_FOUND"},
  {grpc::StatusCode::ALREADY_EXISTS, "ALREADY_EXISTS"},
  {grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED"},
  {grpc::StatusCode::RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
  {grpc::StatusCode::FAILED_PRECONDITION, "FAILED_PRECONDITION"},
  {grpc::StatusCode::ABORTED, "ABORTED"},
  {grpc::StatusCode::OUT_OF_RANGE, "OUT_OF_RANGE"},
  {grpc::StatusCode::UNIMPLEMENTED, "UNIMPLEMENTED"},
  {grpc::StatusCode::INTERNAL, "INTERNAL"},
  {grpc::StatusCode::UNAVAILABLE, "UNAVAILABLE"},
  {grpc::StatusCode::DATA_LOSS, "DATA_LOSS"},
  {grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED"},
}};

} // namespace

bool method_matches(const std::string& flag, const std::string& method) {
  if (flag.empty())
    return false;
  if (flag == method)
    return true;
  // A suffix after a '/' or '.': "DrainNode", "NodeService/DrainNode".
  if (flag.size() >= method.size())
    return false;
  auto at = method.size() - flag.size();
  char before = method[at - 1];
  return method.compare(at, flag.size(), flag) == 0
         && (before == '/' || before == '.');
}

std::string code_name(grpc::StatusCode code) {
  for (const auto& [c, name] : codes)
    if (c == code)
      return name;
  return "CODE_" + std::to_string(static_cast<int>(code));
}

std::optional<grpc::StatusCode> code_from_name(const std::string& name) {
  for (const auto& [c, n] : codes)
    if (name == n)
      return c;
  return std::nullopt;
}

std::string call_gate::open(gate_options options) {
  options_ = std::move(options);
  if (options_.record_path.empty())
    return "";
  record_ = std::fopen(options_.record_path.c_str(), "a");
  if (record_ == nullptr)
    return "cannot open record file " + options_.record_path;
  return "";
}

call_gate::~call_gate() {
  if (record_ != nullptr)
    std::fclose(record_);
}

std::optional<grpc::Status> call_gate::before(grpc::ServerContext* ctx,
                                              const std::string& method) {
  if (options_.delay_ms > 0
      && (options_.delay_method.empty()
          || method_matches(options_.delay_method, method)))
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.delay_ms));
  if (!options_.token.empty()) {
    // lattice strips "Bearer " and treats anything else as no token.
    static const std::string prefix = "Bearer ";
    auto auth = authorization(ctx);
    if (!auth || auth->compare(0, prefix.size(), prefix) != 0)
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing Bearer token");
    if (auth->substr(prefix.size()) != options_.token)
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "authentication failed: invalid token");
  }
  if (method_matches(options_.fail_method, method))
    return grpc::Status(options_.fail_code, "injected failure");
  return std::nullopt;
}

void call_gate::record(grpc::ServerContext* ctx, const std::string& method,
                       const google::protobuf::Message& request,
                       const grpc::Status& answer) {
  if (record_ == nullptr)
    return;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  // Every field present, so a test reads request["reason"] even when empty.
  opts.always_print_primitive_fields = true;
  std::string body;
  if (!google::protobuf::util::MessageToJsonString(request, &body, opts).ok())
    body = "null";
  auto auth = authorization(ctx);
  std::string line
    = "{\"method\":" + json_string(method) + ",\"authorization\":"
      + (auth ? json_string(*auth) : std::string("null")) + ",\"request\":"
      + body + ",\"answer\":" + json_string(code_name(answer.error_code()))
      + ",\"message\":" + json_string(answer.error_message()) + "}\n";
  std::lock_guard<std::mutex> guard(record_mutex_);
  std::fputs(line.c_str(), record_);
  std::fflush(record_);
}

} // namespace pact::contract
