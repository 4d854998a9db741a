#pragma once

/// The optional OPA policy engine (DESIGN.md §5; issue 13 item 5). The
/// journal gateway asks it about a command after the built-in rules
/// (decision.hpp) allowed it: `POST {url}/v1/data/pact/authz/allow` with
/// `{"input": {principal, roles, action, scope, vcluster_policy}}`. The
/// request and answer handling here is pure; ask_opa() is the one blocking
/// HTTP call, made off the gateway actor (actors/journal).
///
/// An engine that does not answer in time, cannot be reached or answers
/// anything but a JSON object is unreachable: the built-in decision stands
/// (DESIGN.md §5 degraded rules), except where it needs the engine
/// (decision::needs_engine: two-person approval and engine-only rules),
/// which is rejected with exit 3 "policy engine unreachable".

#include <chrono>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/policy/decision.hpp"

namespace pact::policy {

/// What OPA is told about one decision.
struct opa_input {
  std::string subject;
  /// "human", "agent" (AI) or "service".
  std::string principal_type;
  /// Group names of the caller's pact roles.
  std::vector<std::string> roles;
  std::string action;
  std::string vcluster;
  /// The node of a node-scoped command ("" otherwise).
  std::string node;
  bool regulated = false;
  /// The vCluster's policy (the fields the built-in rules read and the
  /// approval settings).
  protocol::VClusterPolicy vcluster_policy;
};

/// The path OPA's data API serves the rule under.
inline constexpr const char* opa_path = "/v1/data/pact/authz/allow";

/// The request body: `{"input": {...}}`.
std::string opa_request_body(const opa_input& in);

/// OPA's answer.
struct opa_answer {
  enum class kind { allow, deny, unreachable };
  kind k = kind::unreachable;
  /// Why it is unreachable ("timed out after 2000 ms", "HTTP 500", …).
  std::string why;
};

/// Reads an HTTP answer: status 200 and a JSON object whose `result` is
/// `true` allows; `false`, another value or no `result` denies; any other
/// status or a body that is not a JSON object is unreachable.
opa_answer parse_opa_answer(long http_status, const std::string& body);

/// POSTs `body` to `base_url` + opa_path and waits at most `timeout`.
/// Blocking: never call it on an actor's thread.
opa_answer ask_opa(const std::string& base_url, const std::string& body,
                   std::chrono::milliseconds timeout);

/// The final decision: `builtin` when it refused or OPA allowed; a
/// rejection (exit 3) when OPA denied ("policy: rejected by OPA (action A
/// on vcluster V)"); when OPA is unreachable, `builtin` unless it needs the
/// engine, then a rejection ("policy engine unreachable (OPA at URL: WHY)").
decision after_opa(const decision& builtin, const opa_answer& answer,
                   const opa_input& in, const std::string& base_url);

} // namespace pact::policy
