// The pure half of node management: settings from the environment, node
// name rules, the requests each backend sends, and what an answer means.
// The HTTP half is node_mgmt_client.cpp.

#include "runtime/delegation/node_mgmt.hpp"

#include <cstdlib>

#include "runtime/common/http.hpp"
#include "runtime/common/log_text.hpp"

namespace pact::delegation {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

/// The component-id alphabet (also BOS's template-name alphabet).
bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/// Where PCS and BOS live below the base URL (see the header).
std::string pcs_base(const node_mgmt_settings& s) {
  return s.backend == node_mgmt_backend::csm ? "/apis/power-control/v1" : "";
}

const char* bos_base = "/apis/bos/v2";

expected<std::string> parse_url(std::string url) {
  auto bad = [&] {
    return make_error("PACT_NODE_MGMT_URL " + in_quotes(url)
                      + " is not an http(s) URL (e.g. "
                        "https://ochami.site:8443)");
  };
  std::string scheme;
  if (starts_with(url, "https://"))
    scheme = "https://";
  else if (starts_with(url, "http://"))
    scheme = "http://";
  else
    return bad();
  while (url.size() > scheme.size() && url.back() == '/')
    url.pop_back();
  if (url.size() == scheme.size() || url[scheme.size()] == '/')
    return bad(); // no host
  for (char c : url)
    if (c <= ' ' || c == '\x7f' || c == '?' || c == '#')
      return bad();
  return url;
}

} // namespace

const char* to_string(node_mgmt_backend backend) {
  return backend == node_mgmt_backend::csm ? "csm" : "ochami";
}

expected<node_mgmt_settings>
node_mgmt_settings_from_env(const std::string& ca_bundle) {
  auto backend = env("PACT_NODE_MGMT_BACKEND");
  auto url = env("PACT_NODE_MGMT_URL");
  if (backend.empty() || url.empty())
    return make_error("node management not configured (set "
                      "PACT_NODE_MGMT_BACKEND=ochami|csm and "
                      "PACT_NODE_MGMT_URL)");
  node_mgmt_settings s;
  if (backend == "ochami")
    s.backend = node_mgmt_backend::ochami;
  else if (backend == "csm")
    s.backend = node_mgmt_backend::csm;
  else
    return make_error("PACT_NODE_MGMT_BACKEND " + in_quotes(backend)
                      + " is not a node management backend (ochami or csm)");
  auto parsed = parse_url(url);
  if (!parsed)
    return parsed.err();
  s.url = *parsed;
  s.token = env("PACT_NODE_MGMT_TOKEN");
  if (!http::bearer_token_ok(s.token))
    return make_error("PACT_NODE_MGMT_TOKEN holds characters a bearer "
                      "token cannot have (RFC 6750 section 2.1)");
  s.bos_template = env("PACT_NODE_MGMT_BOS_TEMPLATE");
  s.ca_bundle = ca_bundle;
  return s;
}

status node_name_check(const std::string& node) {
  bool ok = !node.empty() && node.size() <= 127;
  for (char c : node)
    ok = ok && id_char(c);
  if (!ok)
    return make_error("node name " + in_quotes(node)
                      + " cannot be a component id (letters, digits, '.', "
                        "'-', '_'; at most 127)");
  return {};
}

rest_call pcs_transition_call(const node_mgmt_settings& s,
                              const std::string& xname,
                              const std::string& operation) {
  // PCS swagger `transition_create`; taskDeadlineMinutes is left to PCS's
  // default (5 minutes per task).
  nlohmann::json body
    = {{"operation", operation},
       {"location", nlohmann::json::array({{{"xname", xname}}})}};
  return {"POST", pcs_base(s) + "/transitions", std::move(body)};
}

rest_call pcs_transition_status_call(const node_mgmt_settings& s,
                                     const std::string& transition_id) {
  return {"GET", pcs_base(s) + "/transitions/" + transition_id, nullptr};
}

rest_call bss_boot_parameters_call(const node_mgmt_settings&,
                                   const std::string& xname) {
  // The name passed node_name_check: nothing in it needs percent-encoding.
  return {"GET", "/boot/v1/bootparameters?name=" + xname, nullptr};
}

rest_call bos_template_call(const node_mgmt_settings& s) {
  return {"GET", std::string(bos_base) + "/sessiontemplates/" + s.bos_template,
          nullptr};
}

rest_call bos_session_call(const node_mgmt_settings& s,
                           const std::string& xname) {
  // BOS `V2SessionCreate`: "reboot" applies the template and guarantees a
  // reboot; `limit` is the one node (node_name_check keeps it from being a
  // list, a negation or "*").
  nlohmann::json body = {{"template_name", s.bos_template},
                         {"operation", "reboot"},
                         {"limit", xname}};
  return {"POST", std::string(bos_base) + "/sessions", std::move(body)};
}

std::vector<rest_call> reboot_calls(const node_mgmt_settings& s,
                                    const std::string& xname) {
  return {pcs_transition_call(s, xname, pcs_reboot_operation)};
}

std::vector<rest_call> reimage_calls(const node_mgmt_settings& s,
                                     const std::string& xname) {
  if (s.backend == node_mgmt_backend::csm)
    return {bos_template_call(s), bos_session_call(s, xname)};
  return {bss_boot_parameters_call(s, xname),
          pcs_transition_call(s, xname, pcs_reimage_operation)};
}

std::string problem_text(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object())
    return {};
  for (const char* key : {"detail", "title"}) {
    auto it = doc.find(key);
    if (it != doc.end() && it->is_string() && !it->get<std::string>().empty())
      return safe_text(it->get<std::string>(), 160);
  }
  return {};
}

error answer_error(const std::string& url, long http_status,
                   const std::string& body, const std::string& node) {
  auto code = " (HTTP " + std::to_string(http_status) + ")";
  auto detail = problem_text(body);
  auto with_detail = detail.empty() ? std::string() : ": " + detail;
  if (http_status == 401 || http_status == 403)
    return make_error(url + " refused the token" + code
                        + "; set PACT_NODE_MGMT_TOKEN",
                      exit_code::auth_failure);
  if (http_status == 404)
    return make_error(url + " does not know node " + safe_text(node)
                      + (detail.empty() ? "" : " (" + detail + ")"));
  // A gateway answering for a service that is down: the service is
  // unreachable, as for a transport failure.
  if (http_status == 502 || http_status == 503 || http_status == 504)
    return make_error(url + " is unavailable" + code + with_detail,
                      exit_code::unavailable);
  return make_error(url + " refused the request" + code + with_detail);
}

pcs_task_view pcs_task_of(const nlohmann::json& transition,
                          const std::string& xname) {
  pcs_task_view view;
  if (!transition.is_object())
    return view;
  auto tasks = transition.find("tasks");
  if (tasks == transition.end() || !tasks->is_array())
    return view;
  auto text = [](const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>()
                                            : std::string();
  };
  for (const auto& t : *tasks) {
    if (!t.is_object() || text(t, "xname") != xname)
      continue;
    view.status = text(t, "taskStatus");
    view.error = text(t, "error");
    if (view.error.empty())
      view.error = text(t, "taskStatusDescription");
    break;
  }
  return view;
}

} // namespace pact::delegation
