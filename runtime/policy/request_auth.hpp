#pragma once

/// The one authentication seam of every pact server (journal gateway, agent
/// API): checks the envelope version, verifies the bearer token and derives
/// the caller's identity and roles, only from the verified token (DESIGN.md
/// §5). Handlers receive an `authenticated` caller or never run.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/common/schemas.hpp"
#include "runtime/policy/roles.hpp"
#include "runtime/policy/token.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::policy {

/// A caller whose token verified.
struct authenticated {
  token_claims claims;
  std::vector<role> roles;
};

/// Largest request envelope a server accepts, in bytes.
inline constexpr size_t max_request_bytes = 4 * 1024 * 1024;

/// Parses `bytes` as a Request; fails with a message naming the problem
/// (too large, not a Request, unsupported version).
expected<protocol::Request> parse_request(const std::string& bytes);

/// Parses `bytes` as the NodeReport an agent's journal link sends; bounded
/// like a request (max_request_bytes). Fails, naming the problem, when too
/// large, not a NodeReport, or naming no node.
expected<protocol::NodeReport> parse_node_report(const std::string& bytes);

/// Verified tokens, so that a client sending many requests with one token
/// pays for the signature check once. An entry is used only while the
/// token's exp/nbf still admit it at the request's time. Bounded: when full
/// it starts over (tokens are few; this is not an LRU).
class token_cache {
public:
  explicit token_cache(size_t max_entries = 1024) : max_(max_entries) {
  }

  const authenticated* find(const std::string& token, int64_t now_s,
                            int64_t leeway_s) const;
  void insert(const std::string& token, const authenticated& who);
  size_t size() const {
    return entries_.size();
  }

private:
  size_t max_;
  std::unordered_map<std::string, authenticated> entries_;
};

/// Verifies the request's token (through `cache` when given). Errors carry
/// exit_code::auth_failure and say what to do ("No auth token found: set
/// PACT_TOKEN ...").
expected<authenticated>
authenticate(const protocol::Request& req, const verifier_config& cfg,
             int64_t now_unix_seconds, token_cache* cache = nullptr);

/// The verifier settings of a journal or agent configuration; `prefix` is
/// "journal" or "agent". Reads the secret file when one is configured.
expected<verifier_config> load_verifier(const config::values& v,
                                        const std::string& prefix);

/// A failed response echoing the request id.
protocol::Response error_response(const std::string& request_id,
                                  protocol::StatusCode code,
                                  const std::string& message);

/// The status code for an error's exit code.
protocol::StatusCode status_code_for(exit_code code);

} // namespace pact::policy
