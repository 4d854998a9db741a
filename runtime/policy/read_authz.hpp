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
/// Pure and CAF-free: the gateway resolves nodes to vClusters and calls
/// these functions.

#include <functional>
#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

#include "runtime/policy/request_auth.hpp"
#include "runtime/policy/roles.hpp"

namespace pact::policy {

/// Whether `roles` read every vCluster: platform admin or the AI service.
bool reads_everything(const std::vector<role>& roles);

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
void filter_status(const std::vector<role>& roles,
                   protocol::StatusReply& reply, const vcluster_of& of);

/// The first entry of `entries` `roles` may not read (`of` maps node scopes
/// to vClusters), or null.
const protocol::ConfigEntry*
first_unreadable(const std::vector<role>& roles,
                 const google::protobuf::RepeatedPtrField<protocol::ConfigEntry>&
                   entries,
                 const vcluster_of& of);

} // namespace pact::policy
