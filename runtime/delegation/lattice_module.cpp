// The pact-lattice module (lattice_module.hpp): one unary gRPC call to
// lattice per pact_lattice_call, JSON in and out. Channels are kept per
// (endpoint, CA bundle) for the life of the process, so pact-mcp's calls
// reuse one connection.

#include "runtime/delegation/lattice_module.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <google/protobuf/util/json_util.h>
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <lattice/v1/admin.grpc.pb.h>
#include <lattice/v1/allocations.grpc.pb.h>
#include <lattice/v1/nodes.grpc.pb.h>
#include <nlohmann/json.hpp>

#include "runtime/common/http.hpp"
#include "runtime/delegation/lattice_json.hpp"
#include "runtime/delegation/lattice_status.hpp"

namespace {

using nlohmann::json;
using pact::delegation::lattice_call_site;
namespace lv1 = lattice::v1;

/// One method: decode the request, call, encode the response.
using method_fn = std::function<grpc::Status(
  const std::shared_ptr<grpc::Channel>&, grpc::ClientContext&,
  const std::string& request_json, json& response)>;

template <class Service, class Request, class Response>
method_fn
unary(grpc::Status (Service::Stub::*call)(grpc::ClientContext*, const Request&,
                                          Response*)) {
  return [call](const std::shared_ptr<grpc::Channel>& channel,
                grpc::ClientContext& ctx, const std::string& request_json,
                json& response) {
    Request request;
    if (!pact::delegation::from_json(request_json, request))
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the request does not fit the schema");
    Response answer;
    typename Service::Stub stub(channel);
    auto st = (stub.*call)(&ctx, request, &answer);
    if (st.ok())
      response = pact::delegation::to_json(answer);
    return st;
  };
}

const std::map<std::string, method_fn>& methods() {
  using N = lv1::NodeService;
  using A = lv1::AllocationService;
  using D = lv1::AdminService;
  static const std::map<std::string, method_fn> table{
    {"NodeService/ListNodes", unary<N>(&N::Stub::ListNodes)},
    {"NodeService/GetNode", unary<N>(&N::Stub::GetNode)},
    {"NodeService/DrainNode", unary<N>(&N::Stub::DrainNode)},
    {"NodeService/UndrainNode", unary<N>(&N::Stub::UndrainNode)},
    {"NodeService/DisableNode", unary<N>(&N::Stub::DisableNode)},
    {"NodeService/EnableNode", unary<N>(&N::Stub::EnableNode)},
    {"NodeService/Health", unary<N>(&N::Stub::Health)},
    {"AllocationService/Get", unary<A>(&A::Stub::Get)},
    {"AllocationService/List", unary<A>(&A::Stub::List)},
    {"AllocationService/GetDag", unary<A>(&A::Stub::GetDag)},
    {"AllocationService/ListDags", unary<A>(&A::Stub::ListDags)},
    {"AdminService/GetRaftStatus", unary<D>(&D::Stub::GetRaftStatus)},
    {"AdminService/BackupVerify", unary<D>(&D::Stub::BackupVerify)},
    {"AdminService/CreateBackup", unary<D>(&D::Stub::CreateBackup)},
    {"AdminService/ListVClusters", unary<D>(&D::Stub::ListVClusters)},
    {"AdminService/GetVClusterQueue", unary<D>(&D::Stub::GetVClusterQueue)},
    {"AdminService/GetAccountingUsage", unary<D>(&D::Stub::GetAccountingUsage)},
    {"AdminService/GetTenantUsage", unary<D>(&D::Stub::GetTenantUsage)},
    {"AdminService/GetUserUsage", unary<D>(&D::Stub::GetUserUsage)},
  };
  return table;
}

json failure(int exit_code, std::string message, std::string code) {
  return {{"ok", false},
          {"exit_code", exit_code},
          {"message", std::move(message)},
          {"code", std::move(code)}};
}

std::mutex& channel_mutex() {
  static std::mutex mu;
  return mu;
}

/// Channels by endpoint and CA bundle contents.
std::map<std::string, std::shared_ptr<grpc::Channel>>& channel_cache() {
  static std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  return channels;
}

/// "host:port" of an endpoint and whether it is TLS.
struct target {
  std::string address;
  bool tls = true;
};

target target_of(const std::string& endpoint) {
  if (endpoint.rfind("http://", 0) == 0)
    return {endpoint.substr(7), false};
  if (endpoint.rfind("https://", 0) == 0)
    return {endpoint.substr(8), true};
  return {endpoint, true};
}

/// The channel to `endpoint`, made once per (endpoint, bundle contents).
/// Errors: the CA bundle cannot be read (exit 1).
std::shared_ptr<grpc::Channel> channel_for(const std::string& endpoint,
                                           const std::string& ca_bundle,
                                           json& error) {
  auto t = target_of(endpoint);
  while (!t.address.empty() && t.address.back() == '/')
    t.address.pop_back();
  std::string pem;
  if (t.tls && !ca_bundle.empty()) {
    std::ifstream in(ca_bundle, std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    if (!in || all.str().empty()) {
      error = failure(1,
                      "CA bundle " + ca_bundle
                        + " cannot be read (it verifies lattice at " + endpoint
                        + "; set PACT_CA_BUNDLE)",
                      "");
      return nullptr;
    }
    pem = all.str();
  }
  std::string key = endpoint + "\n" + pem;
  std::lock_guard<std::mutex> guard(channel_mutex());
  auto& channels = channel_cache();
  auto it = channels.find(key);
  if (it != channels.end())
    return it->second;
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (t.tls) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = pem;
    creds = grpc::SslCredentials(opts);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  // lattice's lists of a large cluster exceed gRPC's 4 MiB default.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  // pact-mcp keeps its channel: after an outage the next call should find
  // lattice again, not wait out gRPC's backoff (up to 120 s by default).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  auto ch = grpc::CreateCustomChannel(t.address, creds, args);
  channels.emplace(key, ch);
  return ch;
}

/// Forgets the channel of `endpoint` after it failed to connect, so the
/// next call connects afresh.
void forget_channel(const std::string& endpoint) {
  std::lock_guard<std::mutex> guard(channel_mutex());
  auto& channels = channel_cache();
  for (auto it = channels.begin(); it != channels.end();)
    if (it->first.rfind(endpoint + "\n", 0) == 0)
      it = channels.erase(it);
    else
      ++it;
}

/// gRPC logs failures (a TLS handshake refused, a connection reset) on
/// stderr in its own words; pact reports them in its own (lattice_status),
/// so the library's log is discarded.
void quiet_grpc() {
  static std::once_flag once;
  std::call_once(once, [] { gpr_set_log_function([](gpr_log_func_args*) {}); });
}

json perform(const json& call) {
  quiet_grpc();
  lattice_call_site site;
  site.endpoint = call.value("endpoint", "");
  site.method = call.value("method", "");
  site.ca_bundle = call.value("ca_bundle", "");
  site.deadline_ms = call.value("deadline_ms", 5000L);
  site.token_from_env = call.value("token_from_env", false);
  auto m = methods().find(site.method);
  if (m == methods().end())
    return failure(1, "pact-lattice: no method " + site.method, "");
  if (target_of(site.endpoint).address.empty())
    return failure(1,
                   "lattice endpoint not configured (set "
                   "PACT_LATTICE_ENDPOINT)",
                   "");
  json error;
  auto ch = channel_for(site.endpoint, site.ca_bundle, error);
  if (!ch)
    return error;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now()
                   + std::chrono::milliseconds(site.deadline_ms));
  auto token = call.value("token", "");
  if (!pact::http::bearer_token_ok(token))
    return failure(1,
                   "the token for lattice holds characters a bearer "
                   "token cannot have (RFC 6750 section 2.1)",
                   "");
  if (!token.empty())
    ctx.AddMetadata("authorization", "Bearer " + token);
  json response;
  auto st = m->second(ch, ctx, call.value("request", json::object()).dump(),
                      response);
  if (st.ok())
    return {{"ok", true}, {"response", std::move(response)}};
  auto f = pact::delegation::map_lattice_status(
    static_cast<int>(st.error_code()), st.error_message(), site);
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE)
    forget_channel(site.endpoint);
  auto out = failure(f.exit_code, f.message, f.code);
  out["outcome_unknown"] = f.outcome_unknown;
  return out;
}

char* copy_out(const std::string& text) {
  auto* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr)
    std::abort();
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

} // namespace

extern "C" {

int pact_lattice_abi(void) {
  return PACT_LATTICE_ABI_VERSION;
}

char* pact_lattice_call(const char* call_json) {
  json answer;
  try {
    answer = perform(json::parse(call_json));
  } catch (const std::exception&) {
    // Only the loader calls this, with JSON it made: a bug, reported as
    // one rather than thrown across the C boundary.
    answer = failure(1, "pact-lattice: malformed call", "");
  }
  return copy_out(answer.dump());
}

void pact_lattice_free(char* answer) {
  std::free(answer);
}

} // extern "C"
