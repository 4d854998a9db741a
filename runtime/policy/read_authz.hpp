#pragma once

/// Who may read what the journal service shows (DESIGN.md §5, built-in
/// RBAC; issue 8 item 13). One rule for every read path (status, diff, log,
/// watch, boot config, group, blacklist, and MCP's tools, which use the
/// same gateway requests), so that no path shows what another refuses:
///
///   * the global scope (global items, global blacklist, the journal's own
///     health) is readable by any known role;
///   * a vCluster is readable by platform admins, the AI service and the
///     scoped roles (ops, viewer, regulated) of that vCluster;
///   * a node belongs to the vCluster it is enrolled in (the journal's node
///     record), or, when enrolled nowhere, to the vCluster its agent
///     reports; it is readable when that vCluster is. A node in no
///     vCluster is readable only by the roles that read everything;
///   * an entry is readable when its scope is.
///
/// Pure and CAF-free: the gateway resolves nodes to vClusters (through
/// node_resolver) and asks these functions, per request, whether to refuse
/// and what to show.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

#include "runtime/policy/request_auth.hpp"
#include "runtime/policy/roles.hpp"

namespace pact::policy {

/// Whether `roles` read every vCluster: platform admin or the AI service.
bool reads_everything(const std::vector<role>& roles);

/// The vCluster a node record is listed under (`pact status --vcluster`,
/// `pact log --vcluster`): its enrollment, else the vCluster whose overlay
/// its agent last booted from (NodeRecord.booted_vcluster); "" when neither.
/// A node that booted without being enrolled belongs to the vCluster it
/// runs, for reading, as its agent's live report already makes it.
std::string listed_vcluster(const protocol::NodeRecord& n);

/// The vCluster a node belongs to for reading: `enrolled` (its journal
/// enrollment) when set, else `reported` (its agent's report); "" when
/// neither.
std::string node_vcluster(const std::string& enrolled,
                          const std::string& reported);

/// Global scope (any known role).
bool can_read_global(const std::vector<role>& roles);
/// vCluster `vcluster` (non-empty).
bool can_read_vcluster(const std::vector<role>& roles,
                       const std::string& vcluster);
/// A node belonging to `node_vc` (see node_vcluster; "" = none).
bool can_read_node(const std::vector<role>& roles, const std::string& node_vc);
/// An entry or request of `scope`; `node_vc` is the vCluster of the node
/// when the scope is a node. A scope with no target is unreadable.
bool can_read_scope(const std::vector<role>& roles,
                    const protocol::Scope& scope, const std::string& node_vc);

/// Refusals, phrased for the operator and mapped to exit 2: "policy:
/// denied: SUBJECT may not read WHAT". Each returns "" when allowed.
/// `vcluster` "" means the global scope.
std::string vcluster_denial(const authenticated& who,
                            const std::string& vcluster);
std::string node_denial(const authenticated& who, const std::string& node,
                        const std::string& node_vc);
/// Reads that span every vCluster (an unfiltered log or watch): only for
/// the roles that read everything. `what` names the data ("the entries").
std::string all_denial(const authenticated& who, const std::string& what);

/// Maps a node name to its vCluster (node_vcluster of its enrollment and
/// report); "" when unknown.
using vcluster_of = std::function<std::string(const std::string& node)>;

/// Removes from a state reply what `roles` may not read: overlays of other
/// vClusters, nodes of other vClusters (by their enrollment, else
/// `reported(node)`), emergencies of either. Global state stays.
void filter_state(const std::vector<role>& roles, protocol::StateReply& reply,
                  const vcluster_of& reported);

/// Removes from a status reply the nodes `roles` may not read; `of` maps a
/// node to its vCluster.
void filter_status(const std::vector<role>& roles, protocol::StatusReply& reply,
                   const vcluster_of& of);

/// The first entry of `entries` `roles` may not read (`of` maps node scopes
/// to vClusters), or null.
const protocol::ConfigEntry* first_unreadable(
  const std::vector<role>& roles,
  const google::protobuf::RepeatedPtrField<protocol::ConfigEntry>& entries,
  const vcluster_of& of);

/// A resolver from what the gateway knows: `enrolled` (node -> vCluster,
/// the journal's node records) wins, else `reported(node)` (its agent's live
/// report), else `booted` (node -> the vCluster its agent last booted from,
/// replicated: what a gateway the agent does not report to knows).
vcluster_of node_resolver(std::map<std::string, std::string> enrolled,
                          vcluster_of reported,
                          std::map<std::string, std::string> booted = {});

/// The enrollments in a state answer, node -> vCluster ("" when enrolled
/// in none), for node_resolver.
std::map<std::string, std::string>
enrollments(const protocol::StateReply& reply);

/// The nodes of a state answer whose agent booted from a vCluster, node ->
/// NodeRecord.booted_vcluster, for node_resolver.
std::map<std::string, std::string>
booted_vclusters(const protocol::StateReply& reply);

/// The vCluster `reply` enrolls `node` in; nullopt when `reply` has no
/// record of it.
std::optional<std::string> enrolled_in(const protocol::StateReply& reply,
                                       const std::string& node);

// Per-request decisions of the gateway. Each returns "" when the request
// may go on, else the refusal (as above, exit 2).

/// A log read before it reaches the journal: `scope` is the parsed scope
/// (null: no scope, every vCluster). A node scope passes here; its node is
/// checked on the answer (log_denial), once its vCluster is known.
std::string log_request_denial(const authenticated& who,
                               const protocol::Scope* scope);

/// A log answer: the node asked for by `scope` (when a node scope) and
/// every entry of `entries`. The entry refusal names its sequence and
/// scope key ("policy: denied: S may not read entry 7 (node:n1)").
std::string log_denial(
  const authenticated& who, const protocol::Scope* scope,
  const google::protobuf::RepeatedPtrField<protocol::ConfigEntry>& entries,
  const vcluster_of& of);

/// A run of the whole journal in sequence order (the pages of `pact log
/// --export` and `--verify`): the hash chain runs through every vCluster's
/// entries, so it cannot be narrowed to one vCluster; only the roles that
/// read everything. `which` says what the flag does with it ("which
/// --verify checks").
std::string whole_journal_denial(const authenticated& who,
                                 const std::string& which);

/// A watch of `vcluster` ("" = every vCluster: all_denial).
std::string watch_denial(const authenticated& who, const std::string& vcluster);

/// A read naming `node` that found nothing `who` may read: the refusal
/// when the node is `known` (enrolled, or reported by its agent) and not
/// readable, so that the caller hears "denied" rather than "not known";
/// "" when it is unknown.
std::string named_node_denial(const authenticated& who, const std::string& node,
                              bool known, const std::string& node_vc);

/// A boot-config stream answered for `node` ("" = none): the vCluster of
/// every completion marker (which the journal may have resolved from the
/// node's enrollment) and the node itself.
std::string boot_denial(
  const authenticated& who, const std::string& node,
  const google::protobuf::RepeatedPtrField<protocol::BootChunk>& chunks,
  const vcluster_of& of);

/// A raw (already encoded) command: platform admins only.
std::string raw_propose_denial(const authenticated& who);

} // namespace pact::policy
