#include "runtime/policy/read_authz.hpp"

#include <algorithm>

#include <set>

#include "runtime/policy/decision.hpp"
#include "runtime/policy/scope_text.hpp"

namespace pact::policy {

using protocol::Scope;

bool reads_everything(const std::vector<role>& roles) {
  // The decision point's `log.export` row: the reads that span every
  // vCluster (docs/authorization.md).
  return decide({}, roles, "log.export", {}, {}).allowed();
}

std::string node_vcluster(const std::string& enrolled,
                          const std::string& reported) {
  return enrolled.empty() ? reported : enrolled;
}

std::string listed_vcluster(const protocol::NodeRecord& n) {
  return n.vcluster().empty() ? n.booted_vcluster() : n.vcluster();
}

bool can_read_global(const std::vector<role>& roles) {
  return can_read(roles, "");
}

bool can_read_vcluster(const std::vector<role>& roles,
                       const std::string& vcluster) {
  return !vcluster.empty() && can_read(roles, vcluster);
}

bool can_read_node(const std::vector<role>& roles, const std::string& node_vc) {
  // A node in no vCluster is nobody's to read but the roles that read
  // everything: it is not global state.
  return reads_everything(roles) || can_read_vcluster(roles, node_vc);
}

bool can_read_scope(const std::vector<role>& roles, const Scope& scope,
                    const std::string& node_vc) {
  switch (scope.target_case()) {
    case Scope::kGlobal:
      return can_read_global(roles);
    case Scope::kVcluster:
      return can_read_vcluster(roles, scope.vcluster());
    case Scope::kNode:
      return can_read_node(roles, node_vc);
    case Scope::TARGET_NOT_SET:
      break;
  }
  return false;
}

namespace {

std::string denied(const authenticated& who, const std::string& what) {
  return "policy: denied: " + who.claims.subject + " may not read " + what;
}

/// " (needs ROLE, … or ROLE)": the roles that read `vcluster`
/// (decision.hpp's read row).
std::string needs(const std::string& vcluster) {
  return " (needs " + roles_needed(*find_action("status"), vcluster) + ")";
}

} // namespace

std::string vcluster_denial(const authenticated& who,
                            const std::string& vcluster) {
  if (vcluster.empty())
    return can_read_global(who.roles) ? "" : denied(who, "the journal");
  return can_read_vcluster(who.roles, vcluster)
           ? ""
           : denied(who, "vcluster " + vcluster + needs(vcluster));
}

std::string node_denial(const authenticated& who, const std::string& node,
                        const std::string& node_vc) {
  if (can_read_node(who.roles, node_vc))
    return {};
  return denied(who, "node " + node
                       + (node_vc.empty()
                            ? std::string(" (in no vCluster; needs "
                                          "pact-service-ai or "
                                          "pact-platform-admin)")
                            : " (vcluster " + node_vc + ")" + needs(node_vc)));
}

std::string all_denial(const authenticated& who, const std::string& what) {
  if (reads_everything(who.roles))
    return {};
  return denied(who, what + " of every vCluster; name a vCluster it may read");
}

namespace {

/// For filtering a read: the enrollment, else the live report, else the
/// vCluster the node booted from.
std::string visible_vcluster(const protocol::NodeRecord& n,
                             const vcluster_of& reported) {
  auto vc = node_vcluster(n.vcluster(), reported(n.node()));
  return vc.empty() ? n.booted_vcluster() : vc;
}

} // namespace

void filter_state(const std::vector<role>& roles, protocol::StateReply& reply,
                  const vcluster_of& reported) {
  if (reads_everything(roles))
    return;
  auto in = reply;
  reply.clear_overlays();
  for (const auto& o : in.overlays())
    if (can_read_vcluster(roles, o.vcluster()))
      *reply.add_overlays() = o;
  reply.clear_nodes();
  std::set<std::string> visible;
  for (const auto& n : in.nodes())
    if (can_read_node(roles, visible_vcluster(n, reported))) {
      *reply.add_nodes() = n;
      visible.insert(n.node());
    }
  reply.clear_emergencies();
  for (const auto& e : in.emergencies()) {
    const auto& s = e.scope();
    bool show = s.target_case() == Scope::kNode ? visible.count(s.node()) > 0
                                                : can_read_scope(roles, s, "");
    if (show)
      *reply.add_emergencies() = e;
  }
  // An approval is seen by whoever reads one of the vClusters it touches
  // (its requester and approvers among them).
  reply.clear_approvals();
  for (const auto& a : in.approvals())
    if (std::any_of(a.vclusters().begin(), a.vclusters().end(),
                    [&](const std::string& vc) {
                      return can_read_vcluster(roles, vc);
                    }))
      *reply.add_approvals() = a;
}

void filter_status(const std::vector<role>& roles, protocol::StatusReply& reply,
                   const vcluster_of& of) {
  if (reads_everything(roles))
    return;
  auto in = reply.nodes();
  reply.clear_nodes();
  for (const auto& n : in)
    if (can_read_node(roles, of(n.report().node_id())))
      *reply.add_nodes() = n;
}

const protocol::ConfigEntry* first_unreadable(
  const std::vector<role>& roles,
  const google::protobuf::RepeatedPtrField<protocol::ConfigEntry>& entries,
  const vcluster_of& of) {
  if (reads_everything(roles))
    return nullptr;
  for (const auto& e : entries) {
    const auto& s = e.scope();
    auto vc = s.target_case() == Scope::kNode ? of(s.node()) : std::string();
    if (!can_read_scope(roles, s, vc))
      return &e;
  }
  return nullptr;
}

vcluster_of node_resolver(std::map<std::string, std::string> enrolled,
                          vcluster_of reported,
                          std::map<std::string, std::string> booted) {
  return [enrolled = std::move(enrolled), reported = std::move(reported),
          booted = std::move(booted)](const std::string& node) {
    auto it = enrolled.find(node);
    auto vc = node_vcluster(it == enrolled.end() ? std::string() : it->second,
                            reported(node));
    if (!vc.empty())
      return vc;
    auto b = booted.find(node);
    return b == booted.end() ? std::string() : b->second;
  };
}

std::map<std::string, std::string>
enrollments(const protocol::StateReply& reply) {
  std::map<std::string, std::string> out;
  for (const auto& n : reply.nodes())
    out.emplace(n.node(), n.vcluster());
  return out;
}

std::map<std::string, std::string>
booted_vclusters(const protocol::StateReply& reply) {
  std::map<std::string, std::string> out;
  for (const auto& n : reply.nodes())
    if (!n.booted_vcluster().empty())
      out.emplace(n.node(), n.booted_vcluster());
  return out;
}

std::optional<std::string> enrolled_in(const protocol::StateReply& reply,
                                       const std::string& node) {
  for (const auto& n : reply.nodes())
    if (n.node() == node)
      return n.vcluster();
  return std::nullopt;
}

std::string log_request_denial(const authenticated& who,
                               const protocol::Scope* scope) {
  if (!scope)
    return all_denial(who, "the entries");
  switch (scope->target_case()) {
    case Scope::kNode:
      return {}; // against the node's vCluster, on the answer
    case Scope::kVcluster:
      return vcluster_denial(who, scope->vcluster());
    case Scope::kGlobal:
    case Scope::TARGET_NOT_SET:
      break;
  }
  return vcluster_denial(who, "");
}

std::string whole_journal_denial(const authenticated& who,
                                 const std::string& which) {
  if (reads_everything(who.roles))
    return {};
  // Not all_denial's advice to name a vCluster: these runs take no scope.
  return denied(who, "the whole journal, " + which
                       + " (the hash chain links the entries of every "
                         "vCluster): that needs a role that reads every "
                         "vCluster");
}

std::string log_denial(
  const authenticated& who, const protocol::Scope* scope,
  const google::protobuf::RepeatedPtrField<protocol::ConfigEntry>& entries,
  const vcluster_of& of) {
  if (scope && scope->target_case() == Scope::kNode)
    if (auto why = node_denial(who, scope->node(), of(scope->node()));
        !why.empty())
      return why;
  if (auto* e = first_unreadable(who.roles, entries, of))
    return denied(who, "entry " + std::to_string(e->sequence()) + " ("
                         + scope_key(e->scope()) + ")");
  return {};
}

std::string watch_denial(const authenticated& who,
                         const std::string& vcluster) {
  return vcluster.empty() ? all_denial(who, "the entries")
                          : vcluster_denial(who, vcluster);
}

std::string named_node_denial(const authenticated& who, const std::string& node,
                              bool known, const std::string& node_vc) {
  return known ? node_denial(who, node, node_vc) : std::string();
}

std::string boot_denial(
  const authenticated& who, const std::string& node,
  const google::protobuf::RepeatedPtrField<protocol::BootChunk>& chunks,
  const vcluster_of& of) {
  for (const auto& c : chunks)
    if (c.has_complete())
      if (auto why = vcluster_denial(who, c.complete().vcluster());
          !why.empty())
        return why;
  if (node.empty())
    return {};
  return node_denial(who, node, of(node));
}

std::string raw_propose_denial(const authenticated& who) {
  if (can_write(who.roles, ""))
    return {};
  return "policy: denied: " + who.claims.subject
         + " may not append raw commands (platform admins only)";
}

} // namespace pact::policy
