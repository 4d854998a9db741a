#pragma once

/// The one authentication seam of every pact server (journal gateway, agent
/// API): checks the envelope version, verifies the bearer token and derives
/// the caller's identity and roles, only from the verified token (DESIGN.md
/// §5). Handlers receive an `authenticated` caller or never run.

#include <cstdint>
#include <map>
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
/// token's exp/nbf still admit it at the request's time.
///
/// Bounded, and sized for a cluster's node credentials (one per node, each
/// used by its agent's boot, reports and records; 10,000+ nodes): two
/// generations of at most `max_entries` each. When the current one fills,
/// it becomes the previous one and the oldest generation is dropped; a hit
/// in the previous generation moves into the current one. Tokens in use
/// stay, idle ones age out, and a full cache never drops everything at once
/// (which made every agent's next request pay for the check again).
class token_cache {
public:
  explicit token_cache(size_t max_entries = 8192) : max_(max_entries) {
  }

  const authenticated* find(const std::string& token, int64_t now_s,
                            int64_t leeway_s);
  void insert(const std::string& token, const authenticated& who);
  /// Entries held, both generations.
  size_t size() const {
    return current_.size() + previous_.size();
  }
  /// Forgets every entry when `generation` (key_store's) differs from the
  /// one seen last: a token checked with a key the IdP has since removed
  /// must be checked again.
  void key_generation(uint64_t generation);

private:
  using map = std::unordered_map<std::string, authenticated>;
  authenticated& put(const std::string& token, authenticated who);

  size_t max_;
  map current_;
  map previous_;
  uint64_t key_generation_ = 0;
};

/// Verifies the request's token (through `cache` when given); a request
/// marked ai_agent (pact-mcp) is held to the rules of AI principals: its
/// principal type is "agent" whatever the token says. Errors carry
/// exit_code::auth_failure and say what to do ("No auth token found: set
/// PACT_TOKEN ..."). `unknown_key`, when given, is set when the refusal may
/// go away once the IdP's keys are fetched again (verify_result).
expected<authenticated>
authenticate(const protocol::Request& req, const verifier_config& cfg,
             int64_t now_unix_seconds, token_cache* cache = nullptr,
             bool* unknown_key = nullptr);

/// The signature and time checks of `authenticate` for a bare token (a
/// node report's); the caller handles an empty one.
expected<authenticated>
authenticate_token(const std::string& token, const verifier_config& cfg,
                   int64_t now_unix_seconds, token_cache* cache = nullptr,
                   bool* unknown_key = nullptr);

/// The verifier settings of a journal or agent configuration; `prefix` is
/// "journal" or "agent". Reads the secret file when one is configured;
/// creates the key_store when a JWKS source is configured (its keys come
/// later, from the jwks_refresher). Refuses a JWKS or issuer URL that is
/// not https, and a roles map entry that is not IDP_GROUP=PACT_GROUP.
expected<verifier_config> load_verifier(const config::values& v,
                                        const std::string& prefix);

/// Parses `oidc.roles_map` entries "IDP_GROUP=PACT_GROUP" (one IdP group
/// may appear in several entries); `key` names the setting in errors.
expected<std::map<std::string, std::vector<std::string>>>
parse_group_map(const std::vector<std::string>& entries,
                const std::string& key);

/// A failed response echoing the request id.
protocol::Response error_response(const std::string& request_id,
                                  protocol::StatusCode code,
                                  const std::string& message);

/// The status code for an error's exit code.
protocol::StatusCode status_code_for(exit_code code);

} // namespace pact::policy
