// The HTTP half of node management: sends the requests node_mgmt.cpp
// builds and reads the answers (contract in node_mgmt.hpp).

#include <cctype>
#include <thread>

#include "runtime/common/http_client.hpp"
#include "runtime/common/log_text.hpp"
#include "runtime/delegation/node_mgmt.hpp"

namespace pact::delegation {

namespace {

using nlohmann::json;

struct answer {
  long status = 0;
  std::string body;
  json doc;        // the body parsed; discarded (null) when not JSON
  std::string url; // as messages show it
};

bool success(long status) {
  return status >= 200 && status < 300;
}

/// A request URL as messages show it: without the query, made safe.
std::string shown(const std::string& url) {
  return safe_text(url.substr(0, url.find('?')), 200);
}

error unreachable(const node_mgmt_settings& s, const error& e) {
  // http_client's sentences start with the URL; keep only the reason.
  auto reason = e.message;
  auto colon = reason.find(": ");
  if (colon != std::string::npos)
    reason = reason.substr(colon + 2);
  return make_error("node management at " + shown(s.url)
                      + " is unreachable: " + reason,
                    exit_code::unavailable);
}

expected<answer> send(const node_mgmt_settings& s, const rest_call& call) {
  http::client_request req;
  req.method = call.method;
  req.url = s.url + call.path;
  req.headers.push_back("Accept: application/json");
  if (!call.body.is_null()) {
    req.headers.push_back("Content-Type: application/json");
    req.body = call.body.dump();
  }
  if (!s.token.empty())
    req.headers.push_back("Authorization: Bearer " + s.token);
  req.ca_bundle = s.ca_bundle;
  req.timeout = s.timeout;
  // node_mgmt_settings_from_env admits http:// on purpose (a site's
  // gateway on a management network; tests on loopback).
  req.allow_plain_http = s.url.rfind("http://", 0) == 0;
  auto r = http::perform(req);
  if (!r) {
    auto e = unreachable(s, r.err());
    // A request that timed out after it was sent may have been carried
    // out: a delegated operation's outcome is then unknown, not failed.
    e.outcome_unknown = call.method != "GET"
                        && r.err().message.find("timed out")
                             != std::string::npos;
    return e;
  }
  answer a;
  a.status = r->status;
  a.body = std::move(r->body);
  a.doc = json::parse(a.body, nullptr, false);
  if (a.doc.is_discarded())
    a.doc = nullptr;
  a.url = shown(req.url);
  return a;
}

/// `key` of a JSON object answer, or empty.
std::string field(const json& doc, const char* key) {
  if (!doc.is_object())
    return {};
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>()
                                            : std::string();
}

/// Starts a PCS transition for `node` and watches it for up to
/// `s.settle`, so that a node PCS does not know (which fails only in the
/// transition's task, after the 200) is an error, not a success.
expected<json> power(const node_mgmt_settings& s, const std::string& node,
                     const char* operation) {
  auto started = send(s, pcs_transition_call(s, node, operation));
  if (!started)
    return started.err();
  if (!success(started->status))
    return answer_error(started->url, started->status, started->body, node);
  auto id = field(started->doc, "transitionID");
  if (id.empty())
    return make_error(started->url + " answered without a transitionID");
  for (char c : id)
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '-'))
      return make_error(started->url
                        + " answered a transitionID that is "
                          "not a UUID");
  pcs_task_view task;
  auto deadline = std::chrono::steady_clock::now() + s.settle;
  for (;;) {
    auto got = send(s, pcs_transition_status_call(s, id));
    if (!got)
      return got.err();
    if (!success(got->status))
      return answer_error(got->url, got->status, got->body, node);
    task = pcs_task_of(got->doc, node);
    bool settled = (!task.status.empty() && task.status != "new")
                   || field(got->doc, "transitionStatus") == "completed";
    if (settled
        || std::chrono::steady_clock::now() + s.poll_interval > deadline)
      break;
    std::this_thread::sleep_for(s.poll_interval);
  }
  if (task.status == "failed" || task.status == "unsupported") {
    // PCS's task errors for a name that is no xname, or one HSM lacks
    // (internal/domain/transitions.go).
    if (task.error == "Invalid xname" || task.error == "Missing xname")
      return make_error(started->url + " does not know node " + node + " ("
                        + safe_text(task.error) + ")");
    return make_error("PCS could not " + std::string(operation) + " node "
                      + node + ": " + safe_text(task.error, 160));
  }
  return json{{"backend", to_string(s.backend)},
              {"node", node},
              {"power_operation", operation},
              {"transition_id", id},
              {"task_status", task.status.empty() ? "new" : task.status}};
}

/// The kernel BSS would boot `node` into, or the "nothing to boot" error.
expected<std::string> boot_kernel(const node_mgmt_settings& s,
                                  const std::string& node) {
  auto got = send(s, bss_boot_parameters_call(s, node));
  if (!got)
    return got.err();
  error none = make_error("no boot parameters for " + node
                          + " in BSS (nothing to boot it into)");
  // BSS answers 404 "Cannot find boot parameters for requested Hosts".
  if (got->status == 404)
    return none;
  if (!success(got->status))
    return answer_error(got->url, got->status, got->body, node);
  if (!got->doc.is_array())
    return make_error(got->url
                      + " answered something other than a list of "
                        "boot parameters");
  for (const auto& bp : got->doc) {
    auto kernel = field(bp, "kernel");
    if (!kernel.empty())
      return safe_text(kernel, 200);
  }
  return none;
}

expected<json> reimage_csm(const node_mgmt_settings& s,
                           const std::string& node) {
  if (s.bos_template.empty())
    return make_error("no boot template configured for reimage (set "
                      "PACT_NODE_MGMT_BOS_TEMPLATE to a BOS session "
                      "template)");
  if (!node_name_check(s.bos_template))
    return make_error("no boot template: PACT_NODE_MGMT_BOS_TEMPLATE "
                      + in_quotes(s.bos_template)
                      + " is not a BOS session template name");
  auto missing = make_error("no boot template " + in_quotes(s.bos_template)
                            + " in BOS at " + shown(s.url)
                            + " (PACT_NODE_MGMT_BOS_TEMPLATE)");
  auto tmpl = send(s, bos_template_call(s));
  if (!tmpl)
    return tmpl.err();
  if (tmpl->status == 404)
    return missing;
  if (!success(tmpl->status))
    return answer_error(tmpl->url, tmpl->status, tmpl->body, node);
  auto made = send(s, bos_session_call(s, node));
  if (!made)
    return made.err();
  // BOS answers 400 "Session Template Name invalid" when the template went
  // away since the look-up (controllers/v2/sessions.py).
  if (made->status == 400
      && problem_text(made->body).find("Template Name invalid")
           != std::string::npos)
    return missing;
  if (!success(made->status))
    return answer_error(made->url, made->status, made->body, node);
  std::string state;
  if (made->doc.is_object() && made->doc.contains("status"))
    state = field(made->doc["status"], "status");
  return json{{"backend", "csm"},
              {"node", node},
              {"operation", "reimage"},
              {"template", s.bos_template},
              {"session", safe_text(field(made->doc, "name"), 127)},
              {"session_status", state.empty() ? "pending" : state}};
}

} // namespace

expected<json> reboot_node(const node_mgmt_settings& s,
                           const std::string& node) {
  if (auto ok = node_name_check(node); !ok)
    return ok.err();
  auto done = power(s, node, pcs_reboot_operation);
  if (!done)
    return done;
  (*done)["operation"] = "reboot";
  return done;
}

expected<json> reimage_node(const node_mgmt_settings& s,
                            const std::string& node) {
  if (auto ok = node_name_check(node); !ok)
    return ok.err();
  if (s.backend == node_mgmt_backend::csm)
    return reimage_csm(s, node);
  auto kernel = boot_kernel(s, node);
  if (!kernel)
    return kernel.err();
  auto done = power(s, node, pcs_reimage_operation);
  if (!done)
    return done;
  (*done)["operation"] = "reimage";
  (*done)["kernel"] = *kernel;
  return done;
}

} // namespace pact::delegation
