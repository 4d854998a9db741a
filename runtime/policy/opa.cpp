#include "runtime/policy/opa.hpp"

#include <nlohmann/json.hpp>

#include "runtime/common/http_client.hpp"

namespace pact::policy {

namespace {

using json = nlohmann::json;

/// The answers OPA sends are small; a bigger one is not an answer.
constexpr size_t max_answer_bytes = 64 * 1024;

/// The part of a URL worth echoing: without user information or query.
std::string shown(const std::string& url) {
  auto s = url.substr(0, 200);
  if (auto at = s.find('@'); at != std::string::npos) {
    auto scheme = s.find("://");
    if (scheme != std::string::npos && at > scheme)
      s = s.substr(0, scheme + 3) + s.substr(at + 1);
  }
  return s.substr(0, s.find('?'));
}

} // namespace

std::string opa_request_body(const opa_input& in) {
  const auto& p = in.vcluster_policy;
  json input
    = {{"principal", {{"subject", in.subject}, {"type", in.principal_type}}},
       {"roles", in.roles},
       {"action", in.action},
       {"scope",
        {{"vcluster", in.vcluster},
         {"node", in.node},
         {"regulated", in.regulated}}},
       {"vcluster_policy",
        {{"ai_write_allowed", p.ai_write_allowed()},
         {"ai_exec_allowed", p.ai_exec_allowed()},
         {"emergency_allowed",
          !p.has_emergency_allowed() || p.emergency_allowed()},
         {"regulated", p.regulated()},
         {"two_person_approval", p.two_person_approval()}}}};
  return json{{"input", std::move(input)}}.dump();
}

opa_answer parse_opa_answer(long http_status, const std::string& body) {
  if (http_status != 200)
    return {opa_answer::kind::unreachable,
            "HTTP " + std::to_string(http_status)};
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return {opa_answer::kind::unreachable, "the answer is not a JSON object"};
  auto it = j.find("result");
  if (it != j.end() && it->is_boolean() && it->get<bool>())
    return {opa_answer::kind::allow, {}};
  return {opa_answer::kind::deny, {}};
}

opa_answer ask_opa(const std::string& base_url, const std::string& body,
                   std::chrono::milliseconds timeout) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  http::client_request req;
  req.method = "POST";
  req.url = url + opa_path;
  req.headers = {"Content-Type: application/json"};
  req.body = body;
  req.timeout = timeout;
  req.allow_plain_http = true; // OPA usually listens on localhost, plain HTTP
  req.max_response_bytes = max_answer_bytes;
  auto resp = http::perform(req);
  if (!resp) {
    // The client's message starts with the URL; after_opa names it once.
    auto why = resp.err().message;
    if (auto colon = why.find(": "); colon != std::string::npos)
      why = why.substr(colon + 2);
    return {opa_answer::kind::unreachable, why};
  }
  return parse_opa_answer(resp->status, resp->body);
}

decision after_opa(const decision& builtin, const opa_answer& answer,
                   const opa_input& in, const std::string& base_url) {
  if (!builtin.allowed() || answer.k == opa_answer::kind::allow)
    return builtin;
  decision d;
  d.out = decision::outcome::reject;
  auto where = in.vcluster.empty() ? std::string("the global scope")
                                   : "vcluster " + in.vcluster;
  if (answer.k == opa_answer::kind::deny) {
    d.message = "policy: rejected by OPA (action " + in.action + " on " + where
                + ")";
    return d;
  }
  // DESIGN.md §5 degraded rules: what the built-in rules decide goes on;
  // what needs the engine does not.
  if (!builtin.needs_engine)
    return builtin;
  d.message = "policy engine unreachable (OPA at " + shown(base_url) + ": "
              + answer.why + "); action " + in.action + " on " + where
              + " needs it"
              + (builtin.needs_approval ? " (two-person approval)" : "");
  return d;
}

} // namespace pact::policy
