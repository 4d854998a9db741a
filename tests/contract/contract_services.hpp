// The contract server's three lattice.v1 services. Each answers from the
// shared lattice_state the way lattice's own handlers do
// (lattice-api/src/grpc/{node,allocation,admin}_service.rs at the mirrored
// commit), including where lattice's behaviour is surprising; each such
// place says so in its handler. Every call goes through the call_gate
// (auth, faults, record).

#pragma once

#include <lattice/v1/admin.grpc.pb.h>
#include <lattice/v1/allocations.grpc.pb.h>
#include <lattice/v1/nodes.grpc.pb.h>

#include "tests/contract/call_gate.hpp"
#include "tests/contract/contract_state.hpp"

namespace pact::contract {

namespace lv1 = lattice::v1;
using grpc::ServerContext;
using grpc::Status;

class node_service final : public lv1::NodeService::Service {
public:
  node_service(lattice_state& state, call_gate& gate)
    : state_(state), gate_(gate) {
  }
  Status ListNodes(ServerContext* ctx, const lv1::ListNodesRequest* req,
                   lv1::ListNodesResponse* resp) override;
  Status GetNode(ServerContext* ctx, const lv1::GetNodeRequest* req,
                 lv1::NodeStatus* resp) override;
  Status DrainNode(ServerContext* ctx, const lv1::DrainNodeRequest* req,
                   lv1::DrainNodeResponse* resp) override;
  Status UndrainNode(ServerContext* ctx, const lv1::UndrainNodeRequest* req,
                     lv1::UndrainNodeResponse* resp) override;
  Status DisableNode(ServerContext* ctx, const lv1::DisableNodeRequest* req,
                     lv1::DisableNodeResponse* resp) override;
  Status EnableNode(ServerContext* ctx, const lv1::EnableNodeRequest* req,
                    lv1::EnableNodeResponse* resp) override;
  Status Health(ServerContext* ctx, const lv1::HealthRequest* req,
                lv1::HealthResponse* resp) override;

private:
  lattice_state& state_;
  call_gate& gate_;
};

class allocation_service final : public lv1::AllocationService::Service {
public:
  allocation_service(lattice_state& state, call_gate& gate)
    : state_(state), gate_(gate) {
  }
  Status Get(ServerContext* ctx, const lv1::GetAllocationRequest* req,
             lv1::AllocationStatus* resp) override;
  Status List(ServerContext* ctx, const lv1::ListAllocationsRequest* req,
              lv1::ListAllocationsResponse* resp) override;
  Status GetDag(ServerContext* ctx, const lv1::GetDagRequest* req,
                lv1::DagStatus* resp) override;
  Status ListDags(ServerContext* ctx, const lv1::ListDagsRequest* req,
                  lv1::ListDagsResponse* resp) override;

private:
  lattice_state& state_;
  call_gate& gate_;
};

class admin_service final : public lv1::AdminService::Service {
public:
  admin_service(lattice_state& state, call_gate& gate)
    : state_(state), gate_(gate) {
  }
  Status GetRaftStatus(ServerContext* ctx, const lv1::GetRaftStatusRequest* req,
                       lv1::RaftStatusResponse* resp) override;
  Status BackupVerify(ServerContext* ctx, const lv1::BackupVerifyRequest* req,
                      lv1::BackupVerifyResponse* resp) override;
  Status CreateBackup(ServerContext* ctx, const lv1::CreateBackupRequest* req,
                      lv1::CreateBackupResponse* resp) override;
  Status ListVClusters(ServerContext* ctx, const lv1::ListVClustersRequest* req,
                       lv1::ListVClustersResponse* resp) override;
  Status GetVClusterQueue(ServerContext* ctx,
                          const lv1::GetVClusterQueueRequest* req,
                          lv1::VClusterQueueResponse* resp) override;
  Status GetAccountingUsage(ServerContext* ctx,
                            const lv1::GetAccountingUsageRequest* req,
                            lv1::AccountingUsageResponse* resp) override;
  Status GetTenantUsage(ServerContext* ctx,
                        const lv1::GetTenantUsageRequest* req,
                        lv1::TenantUsageResponse* resp) override;
  Status GetUserUsage(ServerContext* ctx, const lv1::GetUserUsageRequest* req,
                      lv1::UserUsageResponse* resp) override;

private:
  lattice_state& state_;
  call_gate& gate_;
};

} // namespace pact::contract
