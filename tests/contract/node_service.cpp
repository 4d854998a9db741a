// NodeService as lattice-api/src/grpc/node_service.rs implements it.
//
// Where lattice surprises, the contract server does the same, so that
// pact's tests meet the real behaviour:
// - ListNodes filters by state, group and tenant only: lattice's NodeFilter
//   has no vCluster, and it ignores limit and cursor (one page, always).
// - DrainNode, DisableNode and EnableNode change state through lattice's
//   update_node_state, which answers INTERNAL ("Internal error: ...") both
//   for an unknown node and for a transition its state machine refuses
//   (ready -> ready, drained -> down, ...). GetNode and UndrainNode look
//   the node up first and answer NOT_FOUND.

#include <cstdlib>

#include "tests/contract/contract_services.hpp"

namespace pact::contract {

namespace {

lv1::NodeStatus* find_node(lattice_state& s, const std::string& id) {
  for (auto& n : s.nodes)
    if (n.node_id() == id)
      return &n;
  return nullptr;
}

// lattice's update_node_state: the node must exist and the state machine
// must allow the edge. Sets the state (and its reason) on success.
Status update_node_state(lattice_state& s, const std::string& id,
                         const std::string& to,
                         const std::string& reason = "") {
  auto* node = find_node(s, id);
  if (node == nullptr)
    return Status(grpc::StatusCode::INTERNAL,
                  "Internal error: Node not found: " + id);
  auto refused = transition_error(*node, to, reason);
  if (!refused.empty())
    return Status(grpc::StatusCode::INTERNAL, "Internal error: " + refused);
  node->set_state(to);
  // lattice keeps a reason only on the states that carry one.
  node->set_state_reason(to == "down" ? reason : "");
  return Status::OK;
}

bool state_matches(const lv1::NodeStatus& n, const std::string& wanted) {
  // lattice reads the filter with node_state_from_str: an unknown name is
  // the state "unknown".
  return debug_state(n.state(), "") == debug_state(wanted, "");
}

} // namespace

Status node_service::ListNodes(ServerContext* ctx,
                               const lv1::ListNodesRequest* req,
                               lv1::ListNodesResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.NodeService/ListNodes", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    // lattice: req.group.parse::<u32>().ok(); unparsable means "any".
    char* end = nullptr;
    auto group = std::strtoul(req->group().c_str(), &end, 10);
    bool by_group = !req->group().empty() && end != nullptr && *end == '\0';
    for (const auto& n : state_.nodes) {
      if (!req->state().empty() && !state_matches(n, req->state()))
        continue;
      if (by_group && n.group() != group)
        continue;
      if (!req->tenant().empty() && n.owner_tenant() != req->tenant())
        continue;
      *resp->add_nodes() = n;
    }
    return Status::OK;
  });
}

Status node_service::GetNode(ServerContext* ctx, const lv1::GetNodeRequest* req,
                             lv1::NodeStatus* resp) {
  return gate_.run(ctx, "/lattice.v1.NodeService/GetNode", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    auto* node = find_node(state_, req->node_id());
    if (node == nullptr)
      return Status(grpc::StatusCode::NOT_FOUND,
                    "Node not found: " + req->node_id());
    *resp = *node;
    return Status::OK;
  });
}

Status node_service::DrainNode(ServerContext* ctx,
                               const lv1::DrainNodeRequest* req,
                               lv1::DrainNodeResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.NodeService/DrainNode", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    uint32_t active = 0;
    for (const auto& a : state_.allocations) {
      if (is_terminal(a.state()))
        continue;
      for (const auto& n : a.assigned_nodes())
        if (n == req->node_id()) {
          ++active;
          break;
        }
    }
    // Always Ready -> Draining first; Drained at once only when idle (the
    // scheduler loop finishes the drain otherwise, which the contract
    // server does not run: a test sets the fixture it needs).
    auto st = update_node_state(state_, req->node_id(), "draining");
    if (st.ok() && active == 0)
      st = update_node_state(state_, req->node_id(), "drained");
    if (!st.ok())
      return st;
    resp->set_success(true);
    resp->set_active_allocations(active);
    return Status::OK;
  });
}

Status node_service::UndrainNode(ServerContext* ctx,
                                 const lv1::UndrainNodeRequest* req,
                                 lv1::UndrainNodeResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.NodeService/UndrainNode", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    auto* node = find_node(state_, req->node_id());
    if (node == nullptr)
      return Status(grpc::StatusCode::NOT_FOUND,
                    "Node not found: " + req->node_id());
    if (node->state() != "drained")
      return Status(grpc::StatusCode::FAILED_PRECONDITION,
                    "Cannot undrain node in state "
                      + debug_state(node->state(), node->state_reason())
                      + " \xE2\x80\x94 node must be in Drained state (drain "
                        "must complete first)");
    auto st = update_node_state(state_, req->node_id(), "ready");
    if (st.ok())
      resp->set_success(true);
    return st;
  });
}

Status node_service::DisableNode(ServerContext* ctx,
                                 const lv1::DisableNodeRequest* req,
                                 lv1::DisableNodeResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.NodeService/DisableNode", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    auto st = update_node_state(state_, req->node_id(), "down", req->reason());
    if (st.ok())
      resp->set_success(true);
    return st;
  });
}

Status node_service::EnableNode(ServerContext* ctx,
                                const lv1::EnableNodeRequest* req,
                                lv1::EnableNodeResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.NodeService/EnableNode", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    auto st = update_node_state(state_, req->node_id(), "ready");
    if (st.ok())
      resp->set_success(true);
    return st;
  });
}

Status node_service::Health(ServerContext* ctx, const lv1::HealthRequest* req,
                            lv1::HealthResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.NodeService/Health", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    if (state_.health) {
      *resp = *state_.health;
      return Status::OK;
    }
    auto up = std::chrono::steady_clock::now() - state_.started;
    resp->set_status("healthy");
    resp->set_version("contract");
    resp->set_uptime_secs(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(up).count()));
    return Status::OK;
  });
}

} // namespace pact::contract
