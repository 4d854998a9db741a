#pragma once

/// `pact reboot NODE` and `pact reimage NODE` delegated to the site's node
/// management (docs/delegation.md): OpenCHAMI or HPE CSM, over their REST
/// APIs through runtime/common/http_client. CAF-free and blocking: call it
/// from a thread of its own, never from a scheduler thread.
///
/// The API versions implemented, and what each request is based on:
/// - Power Control Service (PCS) v1, both backends: POST /transitions with
///   {"operation","location":[{"xname"}]}, then GET /transitions/{id}
///   (OpenCHAMI/power-control api/swagger.yaml, PCS API 1.1.2).
/// - OpenCHAMI Boot Script Service (BSS) /boot/v1: GET
///   /boot/v1/bootparameters?name=NODE (OpenCHAMI/bss api/swagger.yaml).
/// - CSM Boot Orchestration Service (BOS) v2: GET
///   /v2/sessiontemplates/{name}, POST /v2/sessions with
///   {"template_name","operation":"reboot","limit"} (Cray-HPE/bos
///   api/openapi.yaml.in).
///
/// Where the services live below PACT_NODE_MGMT_URL follows each system's
/// own clients: OpenCHAMI's `ochami` CLI puts PCS at the cluster URL's root
/// and BSS at /boot/v1; CSM's API gateway puts them at
/// /apis/power-control/v1 and /apis/bos/v2. The URL may carry a path prefix
/// of its own; the service paths are appended to it.
///
/// Node naming: pact's node name is the component id (the xname, e.g.
/// x1000c0s0b0n0) both systems key nodes by; pact keeps no mapping. A name
/// must be 1-127 letters, digits, '.', '-' or '_' (node_name_check): BOS
/// reads a session limit as a list with ',' '&' '!' and "*" meaning all
/// nodes, so anything else could widen a reimage to other nodes.
///
/// Errors (all pact sentences; no libcurl or service text reaches the
/// operator except a problem-details `detail`/`title`, made safe and cut):
/// - 401/403: exit 2, "URL refused the token (HTTP 401); set
///   PACT_NODE_MGMT_TOKEN".
/// - the node unknown (PCS fails the node's task "Missing xname"; a 404):
///   exit 1, "URL does not know node NODE".
/// - ochami reimage and BSS has no boot parameters for the node: exit 1,
///   "no boot parameters for NODE in BSS (nothing to boot it into)".
/// - csm reimage with no template configured, or BOS does not have it:
///   exit 1, "no boot template ...".
/// - 502/503/504 (a gateway whose service is down): exit 5; any other
///   4xx/5xx: exit 1 naming the status.
/// - transport failures: exit 5, "node management at URL is unreachable:
///   REASON".

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"

namespace pact::delegation {

enum class node_mgmt_backend { ochami, csm };

struct node_mgmt_settings {
  node_mgmt_backend backend = node_mgmt_backend::ochami;
  /// Base URL without a trailing '/', e.g. https://ochami.site:8443 or
  /// https://api-gw.csm.site.
  std::string url;
  /// Bearer token (PACT_NODE_MGMT_TOKEN); empty: no Authorization header.
  std::string token;
  /// PEM file to verify an https server with (the site CA); empty: the
  /// system's.
  std::string ca_bundle;
  /// csm reimage: the BOS session template (PACT_NODE_MGMT_BOS_TEMPLATE).
  std::string bos_template;
  /// Per HTTP request.
  std::chrono::milliseconds timeout{10000};
  /// How long to watch a new PCS transition for the node's task to leave
  /// "new" (a node PCS does not know fails at once, asynchronously); the
  /// answer then reports the task's state. 0: look once.
  std::chrono::milliseconds settle{3000};
  std::chrono::milliseconds poll_interval{250};
};

/// From the environment: PACT_NODE_MGMT_BACKEND (ochami|csm),
/// PACT_NODE_MGMT_URL, PACT_NODE_MGMT_TOKEN, PACT_NODE_MGMT_BOS_TEMPLATE;
/// `ca_bundle` is pact's CA bundle setting. Errors (exit 1): not
/// configured ("node management not configured (set
/// PACT_NODE_MGMT_BACKEND=ochami|csm and PACT_NODE_MGMT_URL)"), an unknown
/// backend, a URL that is not http(s).
expected<node_mgmt_settings>
node_mgmt_settings_from_env(const std::string& ca_bundle);

/// "ochami" or "csm".
const char* to_string(node_mgmt_backend backend);

/// Empty when `node` may be used as a component id (see the header's
/// comment), else the error (exit 1) saying why not.
status node_name_check(const std::string& node);

/// One HTTP request the backend would send: method, path (after the base
/// URL, with any query), JSON body or null. Pure.
struct rest_call {
  std::string method;
  std::string path;
  nlohmann::json body;
};

/// PCS operations: reboot power-cycles a running node ("hard-restart":
/// off, then on; PCS refuses a node that is off); reimage makes sure the
/// node goes through a power-on whatever its state ("init"), so it boots
/// from BSS. PCS transitions doc: docs/design/Transitions.md.
inline constexpr const char* pcs_reboot_operation = "hard-restart";
inline constexpr const char* pcs_reimage_operation = "init";

/// POST .../transitions for `xname`.
rest_call pcs_transition_call(const node_mgmt_settings& s,
                              const std::string& xname,
                              const std::string& operation);
/// GET .../transitions/{id}.
rest_call pcs_transition_status_call(const node_mgmt_settings& s,
                                     const std::string& transition_id);
/// GET /boot/v1/bootparameters?name=XNAME (ochami).
rest_call bss_boot_parameters_call(const node_mgmt_settings& s,
                                   const std::string& xname);
/// GET /apis/bos/v2/sessiontemplates/{template} (csm).
rest_call bos_template_call(const node_mgmt_settings& s);
/// POST /apis/bos/v2/sessions: operation reboot, limited to `xname`.
rest_call bos_session_call(const node_mgmt_settings& s,
                           const std::string& xname);

/// The requests a reboot sends first (the status poll that follows is
/// pcs_transition_status_call): one PCS transition, both backends.
std::vector<rest_call> reboot_calls(const node_mgmt_settings& s,
                                    const std::string& xname);
/// The requests a reimage sends, in order: ochami, the BSS look-up then the
/// PCS transition; csm, the template look-up then the BOS session.
std::vector<rest_call> reimage_calls(const node_mgmt_settings& s,
                                     const std::string& xname);

/// The error a non-2xx answer means (see the header's comment). `url` is
/// the request's URL as the message shows it; `body` the answer, read only
/// for a problem-details `detail` or `title` (RFC 7807). Pure.
error answer_error(const std::string& url, long http_status,
                   const std::string& body, const std::string& node);

/// The service's own short text from a problem-details body: `detail`,
/// else `title`, made safe (control characters replaced) and cut to 160
/// characters; empty when there is none. Pure.
std::string problem_text(const std::string& body);

/// What a PCS transition record (GET /transitions/{id}) says about the
/// node's task: "new", "in-progress", "succeeded", "failed",
/// "unsupported", or "" when the record lists no task for it.
struct pcs_task_view {
  std::string status;
  /// The task's `error`, else its `taskStatusDescription` (raw).
  std::string error;
};
pcs_task_view pcs_task_of(const nlohmann::json& transition,
                          const std::string& xname);

/// Reboot: a PCS hard-restart. Answer: {"backend","node","operation":
/// "reboot","power_operation","transition_id","task_status"}.
expected<nlohmann::json> reboot_node(const node_mgmt_settings& s,
                                     const std::string& node);

/// Reimage. ochami: BSS must hold boot parameters for the node, then a PCS
/// init; answer as reboot_node plus "kernel". csm: a BOS v2 session with
/// operation reboot limited to the node from the configured template;
/// answer {"backend","node","operation":"reimage","template","session",
/// "session_status"}.
expected<nlohmann::json> reimage_node(const node_mgmt_settings& s,
                                      const std::string& node);

} // namespace pact::delegation
