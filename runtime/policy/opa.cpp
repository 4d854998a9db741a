#include "runtime/policy/opa.hpp"

#include <mutex>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace pact::policy {

namespace {

using json = nlohmann::json;

/// Once per process, before any other thread uses libcurl (its global
/// state is not thread-safe to set up).
void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// The answers OPA sends are small; a bigger one is not an answer.
constexpr size_t max_answer_bytes = 64 * 1024;

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t bytes = size * n;
  if (out->size() + bytes > max_answer_bytes)
    return 0; // aborts the transfer: CURLE_WRITE_ERROR
  out->append(data, bytes);
  return bytes;
}

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
  init_curl();
  CURL* c = curl_easy_init();
  if (c == nullptr)
    return {opa_answer::kind::unreachable, "cannot start an HTTP request"};
  std::string url = base_url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  url += opa_path;
  std::string answer;
  curl_slist* headers = curl_slist_append(nullptr,
                                          "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); // called off the main thread
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  auto rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  curl_slist_free_all(headers);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return {opa_answer::kind::unreachable,
            "no answer within " + std::to_string(timeout.count()) + " ms"};
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
    return {opa_answer::kind::unreachable, "connection refused"};
  if (rc != CURLE_OK)
    return {opa_answer::kind::unreachable,
            "request failed (libcurl code " + std::to_string(rc) + ")"};
  return parse_opa_answer(status, answer);
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
