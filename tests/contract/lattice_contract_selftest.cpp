// The lattice contract server's own test: the services run in process on
// 127.0.0.1:0 and are called through real lattice.v1 stubs, so that what
// pact's e2e tests rely on (auth, drain semantics, backups, faults, the
// record) is pinned here.

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "tests/contract/contract_server.hpp"

using namespace pact::contract;
using grpc::StatusCode;

namespace {

const char* fixture_json = R"({
  "nodes": [
    {"node_id": "n1", "state": "ready", "owner_tenant": "physics",
     "owner_vcluster": "ml-training",
     "allocation_ids": ["11111111-1111-4111-8111-111111111111"]},
    {"node_id": "n2", "state": "ready"},
    {"node_id": "n3", "state": "drained"},
    {"node_id": "n4", "state": "down", "state_reason": "psu"}],
  "allocations": [
    {"allocation_id": "11111111-1111-4111-8111-111111111111",
     "state": "running", "assigned_nodes": ["n1"], "user": "alice",
     "spec": {"tenant": "physics", "vcluster": "ml-training"}},
    {"allocation_id": "22222222-2222-4222-8222-222222222222",
     "state": "completed", "assigned_nodes": ["n2"], "user": "bob",
     "spec": {"tenant": "chem", "vcluster": "ml-training"}}],
  "tenant_usage": [{"tenant": "physics", "gpu_hours_used": 12.5}],
  "raft": {"leader_id": 1, "current_term": 4, "last_applied": 99}
})";

struct tmpdir {
  std::string path;
  tmpdir() {
    char tmpl[] = "/tmp/lattice-contract-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~tmpdir() {
    std::string cmd = "rm -rf '" + path + "'";
    if (std::system(cmd.c_str()) != 0)
      MESSAGE("could not remove " << path);
  }
};

// One contract server in process and a channel to it.
struct running {
  std::unique_ptr<contract_server> server = std::make_unique<contract_server>();
  std::shared_ptr<grpc::Channel> channel;
  explicit running(gate_options gate = {}) {
    REQUIRE(parse_fixture(fixture_json, server->state()) == "");
    server_options opts;
    opts.gate = std::move(gate);
    REQUIRE(server->start(opts) == "");
    channel = grpc::CreateChannel(server->address(),
                                  grpc::InsecureChannelCredentials());
  }
  ~running() {
    server->shutdown(0);
    server->wait();
  }
  std::unique_ptr<lv1::NodeService::Stub> nodes() {
    return lv1::NodeService::NewStub(channel);
  }
  std::unique_ptr<lv1::AdminService::Stub> admin() {
    return lv1::AdminService::NewStub(channel);
  }
  std::unique_ptr<lv1::AllocationService::Stub> allocations() {
    return lv1::AllocationService::NewStub(channel);
  }
};

// A client context as pact's: a deadline, and a token when given.
std::unique_ptr<grpc::ClientContext> ctx(const std::string& auth = "",
                                         int deadline_ms = 5000) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now()
                  + std::chrono::milliseconds(deadline_ms));
  if (!auth.empty())
    c->AddMetadata("authorization", auth);
  return c;
}

std::string node_state(running& r, const std::string& id) {
  lv1::GetNodeRequest req;
  req.set_node_id(id);
  lv1::NodeStatus resp;
  auto st = r.nodes()->GetNode(ctx().get(), req, &resp);
  REQUIRE(st.ok());
  return resp.state();
}

std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

} // namespace

TEST_CASE("a token is required when configured, as lattice's interceptor") {
  tmpdir dir;
  gate_options gate;
  gate.token = "s3cret";
  gate.record_path = dir.path + "/record.jsonl";
  running r(gate);
  lv1::HealthRequest req;
  lv1::HealthResponse resp;
  auto st = r.nodes()->Health(ctx().get(), req, &resp);
  CHECK(st.error_code() == StatusCode::UNAUTHENTICATED);
  CHECK(st.error_message() == "missing Bearer token");
  st = r.nodes()->Health(ctx("Bearer wrong").get(), req, &resp);
  CHECK(st.error_code() == StatusCode::UNAUTHENTICATED);
  CHECK(st.error_message() == "authentication failed: invalid token");
  st = r.nodes()->Health(ctx("Bearer s3cret").get(), req, &resp);
  REQUIRE(st.ok());
  CHECK(resp.status() == "healthy");
  CHECK(resp.version() == "contract");

  auto rec = lines(gate.record_path);
  REQUIRE(rec.size() == 3);
  CHECK(rec[0].find("\"method\":\"/lattice.v1.NodeService/Health\"")
        != std::string::npos);
  CHECK(rec[0].find("\"authorization\":null") != std::string::npos);
  CHECK(rec[0].find("\"answer\":\"UNAUTHENTICATED\"") != std::string::npos);
  CHECK(rec[2].find("\"authorization\":\"Bearer s3cret\"")
        != std::string::npos);
  CHECK(rec[2].find("\"answer\":\"OK\"") != std::string::npos);
}

TEST_CASE("drain, undrain, cordon and uncordon follow lattice's state "
          "machine") {
  tmpdir dir;
  gate_options gate;
  gate.record_path = dir.path + "/record.jsonl";
  running r(gate);
  auto stub = r.nodes();
  lv1::DrainNodeRequest drain;
  lv1::DrainNodeResponse drained;
  drain.set_node_id("n1");
  drain.set_reason("maintenance");
  REQUIRE(stub->DrainNode(ctx().get(), drain, &drained).ok());
  CHECK(drained.success());
  CHECK(drained.active_allocations() == 1);
  CHECK(node_state(r, "n1") == "draining");

  drain.set_node_id("n2"); // its only allocation has completed
  REQUIRE(stub->DrainNode(ctx().get(), drain, &drained).ok());
  CHECK(drained.active_allocations() == 0);
  CHECK(node_state(r, "n2") == "drained");

  lv1::UndrainNodeRequest undrain;
  lv1::UndrainNodeResponse undrained;
  undrain.set_node_id("n1");
  auto st = stub->UndrainNode(ctx().get(), undrain, &undrained);
  CHECK(st.error_code() == StatusCode::FAILED_PRECONDITION);
  CHECK(st.error_message().find("Cannot undrain node in state Draining") == 0);
  undrain.set_node_id("n2");
  REQUIRE(stub->UndrainNode(ctx().get(), undrain, &undrained).ok());
  CHECK(node_state(r, "n2") == "ready");

  drain.set_node_id("n9");
  st = stub->DrainNode(ctx().get(), drain, &drained);
  CHECK(st.error_code() == StatusCode::INTERNAL);
  CHECK(st.error_message() == "Internal error: Node not found: n9");

  lv1::DisableNodeRequest disable;
  lv1::DisableNodeResponse disabled;
  disable.set_node_id("n2");
  disable.set_reason("cordoned by alice through pact");
  REQUIRE(stub->DisableNode(ctx().get(), disable, &disabled).ok());
  lv1::GetNodeRequest get;
  lv1::NodeStatus node;
  get.set_node_id("n2");
  REQUIRE(stub->GetNode(ctx().get(), get, &node).ok());
  CHECK(node.state() == "down");
  CHECK(node.state_reason() == "cordoned by alice through pact");

  lv1::EnableNodeRequest enable;
  lv1::EnableNodeResponse enabled;
  enable.set_node_id("n2");
  REQUIRE(stub->EnableNode(ctx().get(), enable, &enabled).ok());
  CHECK(node_state(r, "n2") == "ready");
  // lattice refuses Ready -> Ready.
  st = stub->EnableNode(ctx().get(), enable, &enabled);
  CHECK(st.error_code() == StatusCode::INTERNAL);
  CHECK(st.error_message()
        == "Internal error: Invalid node transition from Ready to Ready");

  get.set_node_id("nope");
  st = stub->GetNode(ctx().get(), get, &node);
  CHECK(st.error_code() == StatusCode::NOT_FOUND);

  auto rec = lines(gate.record_path);
  REQUIRE(!rec.empty());
  CHECK(rec[0].find("\"request\":{\"node_id\":\"n1\",\"reason\":"
                    "\"maintenance\"}")
        != std::string::npos);
}

TEST_CASE("lists filter as lattice does") {
  running r;
  lv1::ListNodesRequest req;
  lv1::ListNodesResponse resp;
  req.set_state("ready");
  REQUIRE(r.nodes()->ListNodes(ctx().get(), req, &resp).ok());
  CHECK(resp.nodes_size() == 2);
  req.set_state("");
  req.set_tenant("physics");
  resp.Clear();
  REQUIRE(r.nodes()->ListNodes(ctx().get(), req, &resp).ok());
  CHECK(resp.nodes_size() == 1);

  lv1::ListAllocationsRequest lreq;
  lv1::ListAllocationsResponse lresp;
  lreq.set_user("alice");
  REQUIRE(r.allocations()->List(ctx().get(), lreq, &lresp).ok());
  CHECK(lresp.allocations_size() == 1);

  lv1::GetAllocationRequest greq;
  lv1::AllocationStatus alloc;
  greq.set_allocation_id("job-1");
  auto st = r.allocations()->Get(ctx().get(), greq, &alloc);
  CHECK(st.error_code() == StatusCode::INVALID_ARGUMENT);
  greq.set_allocation_id("33333333-3333-4333-8333-333333333333");
  st = r.allocations()->Get(ctx().get(), greq, &alloc);
  CHECK(st.error_code() == StatusCode::NOT_FOUND);

  lv1::GetTenantUsageRequest treq;
  lv1::TenantUsageResponse tresp;
  treq.set_tenant_id("physics");
  REQUIRE(r.admin()->GetTenantUsage(ctx().get(), treq, &tresp).ok());
  CHECK(tresp.period_days() == 90);
  CHECK(!tresp.period_start().empty());
  treq.set_tenant_id("nobody");
  st = r.admin()->GetTenantUsage(ctx().get(), treq, &tresp);
  CHECK(st.error_code() == StatusCode::NOT_FOUND);
  CHECK(st.error_message() == "tenant 'nobody' not found");

  lv1::GetVClusterQueueRequest qreq;
  lv1::VClusterQueueResponse qresp;
  qreq.set_vcluster_id("ml-training");
  REQUIRE(r.admin()->GetVClusterQueue(ctx().get(), qreq, &qresp).ok());
  CHECK(qresp.running() == 1);
  CHECK(qresp.total() == 2);
}

TEST_CASE("a backup round-trips; failures are answers, not RPC errors") {
  tmpdir dir;
  running r;
  auto stub = r.admin();
  lv1::CreateBackupRequest create;
  lv1::CreateBackupResponse created;
  create.set_backup_path(dir.path + "/lattice.backup");
  REQUIRE(stub->CreateBackup(ctx().get(), create, &created).ok());
  CHECK(created.success());
  CHECK(created.node_count() == 4);
  CHECK(created.allocation_count() == 2);
  CHECK(created.tenant_count() == 2);
  CHECK(created.has_backup_timestamp());

  lv1::BackupVerifyRequest verify;
  lv1::BackupVerifyResponse verified;
  verify.set_backup_path(create.backup_path());
  REQUIRE(stub->BackupVerify(ctx().get(), verify, &verified).ok());
  CHECK(verified.valid());
  CHECK(verified.message()
        == "Backup valid: 4 nodes, 2 allocations, "
           "2 tenants");
  CHECK(verified.snapshot_term() == 4);
  CHECK(verified.snapshot_index() == 99);

  verify.set_backup_path(dir.path + "/missing");
  REQUIRE(stub->BackupVerify(ctx().get(), verify, &verified).ok());
  CHECK(!verified.valid());

  create.set_backup_path(dir.path + "/no/such/dir/backup");
  REQUIRE(stub->CreateBackup(ctx().get(), create, &created).ok());
  CHECK(!created.success());
  CHECK(created.message().find("Backup failed: ") == 0);

  create.set_backup_path("");
  auto st = stub->CreateBackup(ctx().get(), create, &created);
  CHECK(st.error_code() == StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("injected delay and failure") {
  gate_options gate;
  gate.delay_ms = 300;
  gate.delay_method = "DrainNode";
  gate.fail_method = "NodeService/Health";
  gate.fail_code = StatusCode::UNAVAILABLE;
  running r(gate);
  auto stub = r.nodes();
  lv1::DrainNodeRequest drain;
  lv1::DrainNodeResponse drained;
  drain.set_node_id("n2");
  auto st = stub->DrainNode(ctx("", 100).get(), drain, &drained);
  CHECK(st.error_code() == StatusCode::DEADLINE_EXCEEDED);
  // Only the named method waits.
  lv1::GetNodeRequest get;
  lv1::NodeStatus node;
  get.set_node_id("n1");
  CHECK(stub->GetNode(ctx("", 100).get(), get, &node).ok());
  lv1::HealthRequest hreq;
  lv1::HealthResponse hresp;
  st = stub->Health(ctx().get(), hreq, &hresp);
  CHECK(st.error_code() == StatusCode::UNAVAILABLE);
  CHECK(st.error_message() == "injected failure");
}

TEST_CASE("a fixture with an unknown key or field is refused") {
  lattice_state s;
  CHECK(parse_fixture(R"({"node": []})", s) == "unknown fixture key \"node\"");
  CHECK(parse_fixture(R"({"nodes": [{"id": "n1"}]})", s).find("nodes[0]") == 0);
  CHECK(parse_fixture("[1]", s) != "");
}

TEST_CASE("method names match by full path or suffix") {
  auto m = "/lattice.v1.NodeService/DrainNode";
  CHECK(method_matches("DrainNode", m));
  CHECK(method_matches("NodeService/DrainNode", m));
  CHECK(method_matches(m, m));
  CHECK(!method_matches("Node", m));
  CHECK(!method_matches("", m));
}

TEST_CASE("TLS with --tls-cert and --tls-key") {
  tmpdir dir;
  // The openssl program makes a throwaway certificate for "localhost".
  std::string cmd = "cd '" + dir.path
                    + "' && openssl req -x509 -newkey ec -pkeyopt "
                      "ec_paramgen_curve:P-256 -nodes -subj /CN=localhost "
                      "-addext subjectAltName=DNS:localhost -days 1 "
                      "-keyout key.pem -out cert.pem >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    MESSAGE("openssl unavailable: TLS case skipped");
    return;
  }
  contract_server server;
  server_options opts;
  opts.tls_cert = dir.path + "/cert.pem";
  opts.tls_key = dir.path + "/key.pem";
  REQUIRE(server.start(opts) == "");
  std::ifstream in(opts.tls_cert);
  std::ostringstream pem;
  pem << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  auto channel = grpc::CreateChannel(
    "localhost:" + std::to_string(server.port()), grpc::SslCredentials(ssl));
  lv1::HealthRequest req;
  lv1::HealthResponse resp;
  auto st = lv1::NodeService::NewStub(channel)->Health(ctx().get(), req, &resp);
  CHECK(st.ok());
  CHECK(resp.status() == "healthy");
  server.shutdown(0);
  server.wait();
}
