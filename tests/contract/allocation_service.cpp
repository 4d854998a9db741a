// AllocationService as lattice-api/src/grpc/allocation_service.rs
// implements it.
//
// Where lattice surprises, the contract server does the same:
// - Get wants a UUID: any other id is INVALID_ARGUMENT before any lookup.
// - List filters by tenant, user, vCluster and state; a state name lattice
//   does not know filters nothing; limit and cursor are ignored.
// - ListDags filters by tenant only (user and state are ignored), keeping
//   of each DAG only that tenant's steps, as lattice groups the tenant's
//   allocations by DAG.
// DAGs come from the fixture's "dags" (lattice derives them from its
// allocations' dag_id, a field pact's schema subset does not carry).

#include <cctype>

#include "tests/contract/contract_services.hpp"

namespace pact::contract {

namespace {

bool all_hex(const std::string& s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

// The forms Rust's uuid::Uuid::parse_str accepts: simple (32 hex digits),
// hyphenated 8-4-4-4-12, braced, and urn:uuid:-prefixed.
bool is_uuid(std::string s) {
  if (s.rfind("urn:uuid:", 0) == 0)
    s = s.substr(9);
  else if (s.size() == 38 && s.front() == '{' && s.back() == '}')
    s = s.substr(1, 36);
  if (s.size() == 32)
    return all_hex(s);
  if (s.size() != 36)
    return false;
  for (size_t i : {8u, 13u, 18u, 23u})
    if (s[i] != '-')
      return false;
  return all_hex(s.substr(0, 8) + s.substr(9, 4) + s.substr(14, 4)
                 + s.substr(19, 4) + s.substr(24));
}

bool known_allocation_state(const std::string& s) {
  return s == "pending" || s == "staging" || s == "running"
         || s == "checkpointing" || s == "suspended" || s == "completed"
         || s == "failed" || s == "cancelled";
}

} // namespace

Status allocation_service::Get(ServerContext* ctx,
                               const lv1::GetAllocationRequest* req,
                               lv1::AllocationStatus* resp) {
  return gate_.run(ctx, "/lattice.v1.AllocationService/Get", *req, [&] {
    const auto& id = req->allocation_id();
    if (!is_uuid(id))
      return Status(grpc::StatusCode::INVALID_ARGUMENT,
                    "invalid allocation id: " + id + " is not a UUID");
    std::lock_guard<std::mutex> lock(state_.mutex);
    for (const auto& a : state_.allocations)
      if (a.allocation_id() == id) {
        *resp = a;
        return Status::OK;
      }
    return Status(grpc::StatusCode::NOT_FOUND, "Allocation not found: " + id);
  });
}

Status allocation_service::List(ServerContext* ctx,
                                const lv1::ListAllocationsRequest* req,
                                lv1::ListAllocationsResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AllocationService/List", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    bool by_state = known_allocation_state(req->state());
    for (const auto& a : state_.allocations) {
      if (!req->tenant().empty() && a.spec().tenant() != req->tenant())
        continue;
      if (!req->user().empty() && a.user() != req->user())
        continue;
      if (!req->vcluster().empty() && a.spec().vcluster() != req->vcluster())
        continue;
      if (by_state && a.state() != req->state())
        continue;
      *resp->add_allocations() = a;
    }
    return Status::OK;
  });
}

Status allocation_service::GetDag(ServerContext* ctx,
                                  const lv1::GetDagRequest* req,
                                  lv1::DagStatus* resp) {
  return gate_.run(ctx, "/lattice.v1.AllocationService/GetDag", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    for (const auto& d : state_.dags)
      if (d.dag_id() == req->dag_id()) {
        *resp = d;
        return Status::OK;
      }
    return Status(grpc::StatusCode::NOT_FOUND,
                  "DAG " + req->dag_id() + " not found");
  });
}

Status allocation_service::ListDags(ServerContext* ctx,
                                    const lv1::ListDagsRequest* req,
                                    lv1::ListDagsResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AllocationService/ListDags", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    for (const auto& d : state_.dags) {
      if (req->tenant().empty()) {
        *resp->add_dags() = d;
        continue;
      }
      lv1::DagStatus kept = d;
      kept.clear_allocations();
      for (const auto& a : d.allocations())
        if (a.spec().tenant() == req->tenant())
          *kept.add_allocations() = a;
      if (kept.allocations_size() > 0)
        *resp->add_dags() = kept;
    }
    return Status::OK;
  });
}

} // namespace pact::contract
