// AdminService as lattice-api/src/grpc/admin_service.rs implements it.
//
// Where lattice surprises, the contract server does the same:
// - CreateBackup and BackupVerify answer an empty path with
//   INVALID_ARGUMENT, and every other failure (unwritable path, missing or
//   corrupt file) as success=false / valid=false with lattice's message,
//   never as an RPC error.
// - GetVClusterQueue never answers NOT_FOUND: lattice counts the
//   allocations of whatever vCluster is named. The contract server answers
//   the fixture's "queues" entry when there is one, else counts as lattice.
// - GetAccountingUsage never fails: an unknown tenant has zero usage.
// - GetUserUsage never fails: an unknown user has no tenants.
// - GetTenantUsage answers NOT_FOUND "tenant 'X' not found".
// - ListVClusters ignores its filters.
// The backup file is the contract server's own JSON, not lattice's
// tar.gz: only the messages and counts are the contract.

#include <fstream>
#include <set>
#include <sstream>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "tests/contract/contract_services.hpp"

namespace pact::contract {

namespace {

using google::protobuf::util::TimeUtil;

constexpr const char* backup_format = "pact-lattice-contract-backup/1";

uint32_t days_or_default(uint32_t days) {
  return days == 0 ? 90 : days;
}

// lattice's window: [now - days, now], as dates it writes.
void period(uint32_t days, std::string& start, std::string& end) {
  auto now = TimeUtil::GetCurrentTime();
  end = TimeUtil::ToString(now);
  start = TimeUtil::ToString(
    now - TimeUtil::SecondsToDuration(static_cast<int64_t>(days) * 86400));
}

uint64_t tenant_count(const lattice_state& s) {
  std::set<std::string> t;
  for (const auto& v : s.vclusters)
    t.insert(v.tenant_id());
  for (const auto& a : s.allocations)
    t.insert(a.spec().tenant());
  for (const auto& n : s.nodes)
    t.insert(n.owner_tenant());
  for (const auto& u : s.tenant_usage)
    t.insert(u.tenant());
  for (const auto& a : s.accounting)
    t.insert(a.tenant_id());
  t.erase("");
  return t.size();
}

// Reads a backup the contract server wrote; "" or why it is not one.
std::string read_backup(const std::string& path, lv1::BackupVerifyResponse& r,
                        uint64_t counts[3]) {
  std::ifstream in(path);
  if (!in)
    return "cannot open " + path;
  std::ostringstream text;
  text << in.rdbuf();
  google::protobuf::Struct doc;
  if (!google::protobuf::util::JsonStringToMessage(text.str(), &doc).ok())
    return "not a backup (unreadable metadata)";
  const auto& f = doc.fields();
  auto fmt = f.find("format");
  if (fmt == f.end() || fmt->second.string_value() != backup_format)
    return "not a backup (unknown format)";
  const char* keys[] = {"node_count",    "allocation_count", "tenant_count",
                        "snapshot_term", "snapshot_index",   "timestamp"};
  for (const char* k : keys)
    if (f.find(k) == f.end())
      return std::string("not a backup (no ") + k + ")";
  if (!TimeUtil::FromString(f.at("timestamp").string_value(),
                            r.mutable_backup_timestamp()))
    return "not a backup (bad timestamp)";
  counts[0] = static_cast<uint64_t>(f.at("node_count").number_value());
  counts[1] = static_cast<uint64_t>(f.at("allocation_count").number_value());
  counts[2] = static_cast<uint64_t>(f.at("tenant_count").number_value());
  r.set_snapshot_term(
    static_cast<uint64_t>(f.at("snapshot_term").number_value()));
  r.set_snapshot_index(
    static_cast<uint64_t>(f.at("snapshot_index").number_value()));
  return "";
}

} // namespace

Status admin_service::GetRaftStatus(ServerContext* ctx,
                                    const lv1::GetRaftStatusRequest* req,
                                    lv1::RaftStatusResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AdminService/GetRaftStatus", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    *resp = state_.raft;
    return Status::OK;
  });
}

Status admin_service::BackupVerify(ServerContext* ctx,
                                   const lv1::BackupVerifyRequest* req,
                                   lv1::BackupVerifyResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AdminService/BackupVerify", *req, [&] {
    if (req->backup_path().empty())
      return Status(grpc::StatusCode::INVALID_ARGUMENT,
                    "backup_path is required");
    uint64_t counts[3] = {0, 0, 0};
    lv1::BackupVerifyResponse r;
    auto why = read_backup(req->backup_path(), r, counts);
    if (!why.empty()) {
      resp->set_valid(false);
      resp->set_message("Backup verification failed: " + why);
      return Status::OK;
    }
    *resp = r;
    resp->set_valid(true);
    resp->set_message("Backup valid: " + std::to_string(counts[0]) + " nodes, "
                      + std::to_string(counts[1]) + " allocations, "
                      + std::to_string(counts[2]) + " tenants");
    return Status::OK;
  });
}

Status admin_service::CreateBackup(ServerContext* ctx,
                                   const lv1::CreateBackupRequest* req,
                                   lv1::CreateBackupResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AdminService/CreateBackup", *req, [&] {
    if (req->backup_path().empty())
      return Status(grpc::StatusCode::INVALID_ARGUMENT,
                    "backup_path is required");
    std::lock_guard<std::mutex> lock(state_.mutex);
    auto now = TimeUtil::GetCurrentTime();
    uint64_t nodes = state_.nodes.size();
    uint64_t allocs = state_.allocations.size();
    uint64_t tenants = tenant_count(state_);
    std::ofstream out(req->backup_path(), std::ios::trunc);
    if (out)
      out << "{\"format\":\"" << backup_format << "\",\"timestamp\":\""
          << TimeUtil::ToString(now) << "\",\"node_count\":" << nodes
          << ",\"allocation_count\":" << allocs
          << ",\"tenant_count\":" << tenants
          << ",\"snapshot_term\":" << state_.raft.current_term()
          << ",\"snapshot_index\":" << state_.raft.last_applied() << "}\n";
    out.close();
    if (!out) {
      resp->set_success(false);
      resp->set_message("Backup failed: cannot write " + req->backup_path());
      return Status::OK;
    }
    resp->set_success(true);
    resp->set_message("Backup created successfully");
    *resp->mutable_backup_timestamp() = now;
    resp->set_node_count(nodes);
    resp->set_allocation_count(allocs);
    resp->set_tenant_count(tenants);
    resp->set_audit_entry_count(0);
    return Status::OK;
  });
}

Status admin_service::ListVClusters(ServerContext* ctx,
                                    const lv1::ListVClustersRequest* req,
                                    lv1::ListVClustersResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AdminService/ListVClusters", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    for (const auto& v : state_.vclusters)
      *resp->add_vclusters() = v;
    return Status::OK;
  });
}

Status admin_service::GetVClusterQueue(ServerContext* ctx,
                                       const lv1::GetVClusterQueueRequest* req,
                                       lv1::VClusterQueueResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AdminService/GetVClusterQueue", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    for (const auto& q : state_.queues)
      if (q.vcluster_id() == req->vcluster_id()) {
        *resp = q;
        return Status::OK;
      }
    uint32_t pending = 0, running = 0, total = 0;
    for (const auto& a : state_.allocations) {
      if (a.spec().vcluster() != req->vcluster_id())
        continue;
      ++total;
      pending += a.state() == "pending" ? 1 : 0;
      running += a.state() == "running" ? 1 : 0;
    }
    resp->set_vcluster_id(req->vcluster_id());
    resp->set_pending(pending);
    resp->set_running(running);
    resp->set_total(total);
    return Status::OK;
  });
}

Status
admin_service::GetAccountingUsage(ServerContext* ctx,
                                  const lv1::GetAccountingUsageRequest* req,
                                  lv1::AccountingUsageResponse* resp) {
  return gate_.run(
    ctx, "/lattice.v1.AdminService/GetAccountingUsage", *req, [&] {
      std::lock_guard<std::mutex> lock(state_.mutex);
      resp->set_tenant_id(req->tenant_id());
      for (const auto& a : state_.accounting) {
        if (!req->tenant_id().empty() && a.tenant_id() != req->tenant_id())
          continue;
        resp->set_cpu_hours(resp->cpu_hours() + a.cpu_hours());
        resp->set_gpu_hours(resp->gpu_hours() + a.gpu_hours());
        resp->set_storage_bytes(resp->storage_bytes() + a.storage_bytes());
        resp->set_allocation_count(resp->allocation_count()
                                   + a.allocation_count());
      }
      return Status::OK;
    });
}

Status admin_service::GetTenantUsage(ServerContext* ctx,
                                     const lv1::GetTenantUsageRequest* req,
                                     lv1::TenantUsageResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AdminService/GetTenantUsage", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    for (const auto& u : state_.tenant_usage)
      if (u.tenant() == req->tenant_id()) {
        *resp = u;
        auto days = days_or_default(req->days());
        resp->set_period_days(days);
        if (resp->period_start().empty() || resp->period_end().empty())
          period(days, *resp->mutable_period_start(),
                 *resp->mutable_period_end());
        return Status::OK;
      }
    return Status(grpc::StatusCode::NOT_FOUND,
                  "tenant '" + req->tenant_id() + "' not found");
  });
}

Status admin_service::GetUserUsage(ServerContext* ctx,
                                   const lv1::GetUserUsageRequest* req,
                                   lv1::UserUsageResponse* resp) {
  return gate_.run(ctx, "/lattice.v1.AdminService/GetUserUsage", *req, [&] {
    std::lock_guard<std::mutex> lock(state_.mutex);
    resp->set_user(req->user());
    for (const auto& u : state_.user_usage)
      if (u.user() == req->user()) {
        *resp = u;
        break;
      }
    if (resp->period_start().empty() || resp->period_end().empty())
      period(days_or_default(req->days()), *resp->mutable_period_start(),
             *resp->mutable_period_end());
    return Status::OK;
  });
}

} // namespace pact::contract
