#pragma once

/// Internals shared by the gateway's files: its state and the handlers of
/// the journal service (gateway_journal.cpp).

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "actors/journal/gateway.hpp"
#include "runtime/policy/read_authz.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::journal {

struct known_node {
  protocol::NodeReport report;
  int64_t received_unix_ms = 0;
};

/// One agent per node (docs/agent.md, "One agent per node"): the journal
/// link that first wrote or reported for the node with its node credential
/// while none held it, until its connection goes (monitored). Another link
/// writing or reporting for the node meanwhile is a second agent with the
/// same node id: refused, so it cannot take over the node's recorded
/// endpoint. A holder silent for three of its report intervals (at least
/// holder_silence_ms) has lost its node too: a node that crashed leaves a
/// connection nobody closes. Per gateway: agents connected to different
/// replicas are not compared.
struct node_holder {
  caf::actor_addr link;
  std::string endpoint;
  /// Its latest write or report, and the gap between its last two reports.
  int64_t active_unix_ms = 0;
  int64_t report_unix_ms = 0;
  int64_t report_gap_ms = 0;
};

inline constexpr int64_t holder_silence_ms = 30'000;

struct gateway_data {
  supervision::health_handle h;
  gateway_config cfg;
  std::shared_ptr<daemon::api_context> api;
  std::string url;
  std::map<std::string, known_node> nodes;
  std::map<std::string, node_holder> holders;
  /// The nodes each holding link holds (monitored once), so that a link's
  /// down message drops its nodes without a walk over every node.
  std::map<caf::actor_addr, std::set<std::string>> held_by;
  /// Node certificates checked against the nodes' enrollment records
  /// (gateway_node_cert.cpp), by "node serial": why it is refused ("" =
  /// current) and when that was read (ms since the epoch).
  std::map<std::string, std::pair<std::string, int64_t>> cert_verdicts;
};

using gateway_shared = std::shared_ptr<gateway_data>;

/// Wraps every handler of `table`: a request authenticated with a node's
/// certificate-bound token runs only while that certificate is the node's
/// current one (not revoked, not superseded by a renewal), as the node's
/// enrollment record says (read at most every few seconds per certificate).
void guard_node_certificates(caf::event_based_actor* self,
                             const gateway_shared& d, daemon::api_table& table);

/// Calls `then` with "" when `serial` is `node`'s current certificate by
/// its enrollment record, else with why not (the guard's check, for node
/// reports, which do not pass through the handler table).
void check_node_certificate(caf::event_based_actor* self,
                            const gateway_shared& d, const std::string& node,
                            const std::string& serial,
                            std::function<void(const std::string&)> then);

/// The current replica incarnation, found by its registered name.
caf::actor current_replica(caf::event_based_actor* self);

/// current_replica(), or null after answering `reply` with UNAVAILABLE.
caf::actor replica_or_fail(caf::event_based_actor* self,
                           daemon::api_reply& reply);

/// Read authorization needs each node's vCluster (runtime/policy/
/// read_authz.hpp): its enrollment, read from the local replica, else what
/// its agent reports. Calls `then` with that resolver. Callers that read
/// everything get it without a read. When the replica cannot answer, every
/// node resolves to no vCluster (hidden from scoped roles: fail closed).
/// `only_node` non-empty: the request concerns that node alone (a boot), so
/// only its record is read; a read of every record per boot would make a
/// boot storm of N agents cost N² (docs/benchmarks.md "Agent boot storm").
void with_node_vclusters(caf::event_based_actor* self, const gateway_shared& d,
                         const policy::authenticated& who, bool linearizable,
                         std::function<void(const policy::vcluster_of&)> then,
                         const std::string& only_node = {},
                         bool node_claims = true);

/// "" when `sender` may act for `node` as its agent (it holds the node, or
/// none does, and then it does from now on: monitored); else the refusal
/// naming the agent that holds it. `endpoint`: the sender's agent endpoint
/// when known (a report or boot record carries it); `report`: the claim is
/// a NodeReport (its gaps measure the holder's report interval).
std::string claim_node(caf::event_based_actor* self, gateway_data& d,
                       const std::string& node, const caf::actor_addr& sender,
                       const std::string& endpoint, bool report);

/// With `journal.policy.opa_url` set: decides `cmd` (as prepared for
/// proposing) with the vCluster policy and asks OPA (gateway_opa.cpp);
/// answers `reply` with the refusal, or calls `then(reply)` when the
/// command may be proposed. Without OPA, calls `then` at once.
void ask_policy_engine(caf::event_based_actor* self, const gateway_shared& d,
                       const policy::authenticated& who,
                       protocol::JournalCommand cmd, daemon::api_reply reply,
                       std::function<void(daemon::api_reply)> then);

/// Adds the enrollment handlers (certificate requests, CA bundle;
/// gateway_enroll.cpp) to `table`.
void add_enroll_handlers(caf::event_based_actor* self, const gateway_shared& d,
                         daemon::api_table& table);

/// Adds the journal-service handlers (command, log, state, watch, boot
/// config) to `table`.
void add_journal_handlers(caf::event_based_actor* self, const gateway_shared& d,
                          daemon::api_table& table);

} // namespace pact::journal
