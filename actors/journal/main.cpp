// pact-journal: one journal replica. Its root supervisor owns the Raft
// replica (LMDB store, state machine), the metrics/health HTTP endpoint and
// the client gateway; approvals, emergencies and the stream hub join later.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/daemon/daemon.hpp"
#include "actors/daemon/jwks_refresher.hpp"
#include "actors/daemon/service_manager.hpp"
#include "actors/journal/cluster_config.hpp"
#include "actors/journal/deadline_keeper.hpp"
#include "actors/journal/gateway.hpp"
#include "actors/journal/journal_tls.hpp"
#include "actors/journal/metrics_endpoint.hpp"
#include "actors/journal/notifier.hpp"
#include "actors/journal/replica.hpp"
#include "actors/supervision/health_registry.hpp"
#include "actors/supervision/supervisor.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/files.hpp"
#include "runtime/common/flags.hpp"
#include "runtime/common/logging.hpp"
#include "runtime/common/schemas.hpp"
#include "runtime/policy/dev_credentials.hpp"
#include "runtime/policy/request_auth.hpp"
#include "runtime/replica/log_dump.hpp"
#include "runtime/store/backup.hpp"
#include "runtime/tls/dev_certs.hpp"

using namespace pact;

namespace {

using port_ptr = std::shared_ptr<std::atomic<uint16_t>>;

int fail(const error& e) {
  std::cerr << "pact-journal: " << e.message << "\n";
  return to_int(e.code);
}

struct settings {
  config::values v;
  endpoint gateway;
  endpoint raft;
  endpoint metrics;
  std::string data_dir;
  uint64_t node_id = 1;
  bool dev = false;
  journal::membership_plan members;
  policy::verifier_config verifier;
  /// TLS middlemen for the https:// endpoints (null: plain), spawned once
  /// the actor system runs.
  caf::io::middleman_actor gateway_tls, raft_tls;
  /// journal_tls_plan::retrust_gateway.
  std::function<void(const std::string&)> retrust_gateway;
  /// The CA that signs node certificates (gateway, enrollment).
  std::shared_ptr<journal::node_ca> node_ca;
};

expected<endpoint> plain_endpoint(const config::values& v, const char* key,
                                  const char* flag) {
  auto ep = parse_endpoint(v.get_string(key), flag);
  if (ep && ep->tls)
    return make_error(std::string(flag)
                      + ": TLS (https://) is not supported "
                        "by this build yet; see docs/security.md");
  return ep;
}

/// Replica-to-replica TLS (DESIGN.md §5: mutual authentication): all
/// members use https or none does (journal_tls.hpp reads the files).
status check_raft_tls(const settings& s) {
  for (auto& [id, ep] : s.members.peers)
    if (ep.tls != s.raft.tls)
      return make_error("--peers: member " + std::to_string(id)
                        + " and --raft-listen disagree on http/https; use "
                          "one scheme for every replica");
  return {};
}

/// What `pact login` learns from this journal (api.proto DiscoveryReply).
protocol::DiscoveryReply discovery_of(const config::values& v) {
  protocol::DiscoveryReply d;
  d.set_issuer(v.get_string("journal.oidc.issuer"));
  d.set_client_id(v.get_string("journal.oidc.client_id"));
  d.set_audience(v.get_string("journal.oidc.audience"));
  for (auto& scope : v.get_list("journal.oidc.scopes"))
    d.add_scopes(scope);
  return d;
}

expected<settings> load_settings(const config::daemon_command_line& cl) {
  auto v = config::load_daemon_config(cl, config::journal_schema(),
                                      config::journal_config_path);
  if (!v)
    return v.err();
  settings s;
  s.v = std::move(*v);
  auto gw = parse_endpoint(s.v.get_string("journal.listen"), "--listen");
  auto rf = parse_endpoint(s.v.get_string("journal.raft.listen"),
                           "--raft-listen");
  auto mt = plain_endpoint(s.v, "journal.metrics_listen", "--metrics-listen");
  for (auto* ep : {&gw, &rf, &mt})
    if (!*ep)
      return ep->err();
  s.gateway = *gw;
  s.raft = *rf;
  s.metrics = *mt;
  s.data_dir = s.v.get_string("journal.data_dir");
  s.node_id = static_cast<uint64_t>(s.v.get_int("journal.node_id"));
  s.dev = s.v.get_bool("journal.dev");
  if (s.v.get_bool("journal.dump_log")
      || !s.v.get_string("journal.backup").empty())
    return s; // needs only the data directory
  auto plan = journal::plan_membership(
    s.node_id, s.v.get_list("journal.raft.members"), s.dev);
  if (!plan)
    return plan.err();
  s.members = std::move(*plan);
  if (auto st = check_raft_tls(s); !st)
    return st.err();
  // Outside --dev (which makes its own certificates later) a missing or
  // mismatched TLS file stops the start before anything is written.
  if (!s.dev)
    if (auto tls = journal::plan_journal_tls(s.v, s.gateway.tls, s.raft.tls,
                                             std::string{}, false);
        !tls)
      return tls.err();
  // A mistyped OPA or Loki URL would only ever look "unreachable" (the
  // degraded rules, retries forever): refuse it at start instead.
  for (const char* key : {"journal.policy.opa_url", "journal.notify.loki_url"})
    if (const auto& url = s.v.get_string(key); !url.empty()
                                               && url.rfind("http://", 0) != 0
                                               && url.rfind("https://", 0) != 0)
      return make_error(std::string(key) + ": '" + url.substr(0, 200)
                        + "' is not an http:// or https:// URL");
  auto verifier = policy::load_verifier(s.v, "journal");
  if (!verifier)
    return verifier.err();
  s.verifier = *verifier;
  return s;
}

status prepare_data_dir(const settings& s) {
  bool fresh = !files::exists(s.data_dir + "/raft/data.mdb");
  if (fresh && !s.dev && !s.v.get_bool("journal.raft.bootstrap"))
    return make_error(
      s.data_dir
      + " holds no journal yet: start every member once with --bootstrap "
        "(and identical --peers) to create a new cluster; a member whose "
        "data was lost must not be bootstrapped again: restore its data "
        "directory from an up-to-date replica (docs/operations.md, \"A "
        "replica that lost its data\")");
  return files::make_dirs(s.data_dir, 0750);
}

status prepare_dev(settings& s, const pact::clock& wall) {
  auto creds = policy::ensure_dev_credentials(
    s.data_dir + "/dev", s.verifier.issuer, s.verifier.audience,
    wall.now_unix_ms() / 1000, local_host_name());
  if (!creds)
    return creds.err();
  if (s.verifier.hmac_secret.empty())
    s.verifier.hmac_secret = creds->secret;
  else
    spdlog::warn("--dev: PACT_OIDC_HMAC_SECRET is set; the generated admin "
                 "token will not verify with it");
  spdlog::warn("development mode: tokens are signed with the shared secret "
               "in {}; never use --dev in production",
               creds->secret_path);
  spdlog::info("admin token: export PACT_TOKEN=$(cat {})", creds->token_path);
  if ((s.gateway.tls || s.raft.tls)
      && s.v.get_string("journal.tls.cert").empty()) {
    // An https:// gateway in development: a CA and a certificate for this
    // host, kept in the dev directory (runtime/tls/dev_certs.hpp).
    auto dev_tls = tls::ensure_dev_tls(
      s.data_dir + "/dev", {"localhost", "127.0.0.1", "::1", local_host_name()},
      wall.now_unix_ms() / 1000);
    if (!dev_tls)
      return dev_tls.err();
    config::origin o{config::origin::kind::flag, "--dev"};
    s.v.set("journal.tls.cert", dev_tls->server_cert, o);
    s.v.set("journal.tls.key", dev_tls->server_key, o);
    if (s.raft.tls && s.v.get_string("journal.raft.tls_ca").empty())
      s.v.set("journal.raft.tls_ca", dev_tls->ca_cert, o);
    spdlog::info("gateway certificate: {} (CA bundle for clients: "
                 "export PACT_CA_BUNDLE={})",
                 dev_tls->server_cert, dev_tls->ca_cert);
  }
  spdlog::info("node token for this host's agent: pact-agent --node-id {} "
               "--token-file {}",
               local_host_name(), creds->node_token_path);
  return {};
}

struct ports {
  port_ptr gateway, raft, metrics;
};

std::vector<supervision::child_spec>
journal_children(const settings& s, const ports& p, const caf::actor& registry,
                 const caf::actor& notify,
                 const std::shared_ptr<const pact::clock>& wall) {
  auto metrics
    = std::make_shared<journal::raft_metrics>(std::to_string(s.node_id));
  journal::replica_config rc;
  rc.node_id = s.node_id;
  rc.peers = s.members.peers;
  rc.members = s.members.members;
  rc.listen = {s.raft.host, p.raft, notify, s.raft_tls};
  // An ephemeral node CA is shared over mutually authenticated raft links
  // only; a plain cluster keeps one CA per replica (docs/security.md).
  rc.node_ca = s.node_ca;
  rc.share_node_ca = s.raft.tls && s.node_ca && s.node_ca->current()->ephemeral
                     && !s.members.peers.empty();
  rc.on_node_ca_changed = [ca = s.node_ca, retrust = s.retrust_gateway] {
    retrust(ca->current()->ca.cert_pem);
  };
  rc.data_dir = s.data_dir;
  // 0: sized for ten million entries and grown while the volume has
  // room; N: a fixed limit (docs/storage.md "Map size").
  if (auto mb = s.v.get_int("journal.raft.map_size_mb"); mb != 0) {
    rc.map_size_bytes = static_cast<size_t>(mb) << 20;
    rc.map_grows = false;
  }
  rc.bootstrap = s.members.bootstrap;
  rc.tick = std::chrono::milliseconds(s.v.get_int("journal.raft.tick_ms"));
  rc.election_ticks
    = static_cast<int>(s.v.get_int("journal.raft.election_ticks"));
  rc.heartbeat_ticks
    = static_cast<int>(s.v.get_int("journal.raft.heartbeat_ticks"));
  rc.snapshot_interval
    = static_cast<uint64_t>(s.v.get_int("journal.raft.snapshot_interval"));
  rc.snapshot_growth_percent = static_cast<uint64_t>(
    s.v.get_int("journal.raft.snapshot_growth_percent"));
  rc.metrics = metrics;
  rc.wall = wall;
  // Requests held for a leader give up before the gateway's own deadline,
  // so the caller hears "not proposed" rather than "outcome unknown".
  rc.leader_wait = std::chrono::milliseconds(
    s.v.get_int("journal.request_timeout_ms") * 4 / 5);
  journal::metrics_endpoint_config mc{{s.metrics.host, p.metrics, notify, {}},
                                      metrics};
  journal::gateway_config gw;
  gw.listen = {s.gateway.host, p.gateway, notify, s.gateway_tls};
  gw.registry = registry;
  gw.verifier = s.verifier;
  gw.wall = wall;
  gw.observer = metrics->gateway;
  gw.propose_timeout
    = std::chrono::milliseconds(s.v.get_int("journal.request_timeout_ms"));
  gw.opa_url = s.v.get_string("journal.policy.opa_url");
  gw.opa_timeout
    = std::chrono::milliseconds(s.v.get_int("journal.policy.opa_timeout_ms"));
  gw.discovery = discovery_of(s.v);
  gw.node_ca = s.node_ca;
  journal::deadline_keeper_config dk;
  dk.wall = wall;
  dk.propose_timeout = gw.propose_timeout;
  using supervision::health_handle;
  auto children = daemon::jwks_children("journal", s.verifier, wall);
  children.insert(children.end(),
                  {
                    {"journal/replica", "raft-replica",
                     [rc](caf::event_based_actor* sup, const health_handle& h) {
                       return journal::spawn_replica(sup, h, rc);
                     }},
                    {"journal/metrics", "http-endpoint",
                     [mc](caf::event_based_actor* sup, const health_handle& h) {
                       return sup->system().middleman().spawn_broker(
                         journal::metrics_endpoint, h, mc);
                     }},
                    {"journal/deadlines", "deadline-keeper",
                     [dk](caf::event_based_actor* sup, const health_handle& h) {
                       return sup->spawn(journal::deadline_keeper, h, dk);
                     }},
                    {"journal/gateway", "gateway",
                     [gw](caf::event_based_actor* sup, const health_handle& h) {
                       return sup->spawn(journal::gateway, h, gw);
                     }},
                  });
  if (auto url = s.v.get_string("journal.notify.loki_url"); !url.empty()) {
    journal::notifier_config nc;
    nc.loki_url = url;
    nc.ca_bundle = s.v.get_string("journal.notify.ca_bundle");
    // After the replica, before the gateway: its first poll ("from now")
    // reaches the replica before any write can (notifier.hpp).
    auto gateway = std::find_if(children.begin(), children.end(),
                                [](const supervision::child_spec& c) {
                                  return c.name == "journal/gateway";
                                });
    children.insert(
      gateway, {"journal/notifier", "notifier",
                [nc](caf::event_based_actor* sup, const health_handle& h) {
                  return sup->spawn<caf::detached>(journal::notifier, h, nc);
                }});
  }
  return children;
}

status write_endpoints(const settings& s, const ports& p) {
  auto url = [](const endpoint& ep, uint16_t port) {
    return endpoint{ep.tls, daemon::connect_host(ep.host), port}.url();
  };
  nlohmann::json j;
  j["gateway"] = url(s.gateway, p.gateway->load());
  j["raft"] = url(s.raft, p.raft->load());
  j["metrics"] = url(s.metrics, p.metrics->load());
  j["node_id"] = s.node_id;
  j["pid"] = ::getpid();
  return files::write_atomic(s.data_dir + "/endpoints.json", j.dump(2) + "\n");
}

int run(settings& s) {
  auto wall = std::make_shared<system_clock>();
  if (s.dev)
    if (auto st = prepare_dev(s, *wall); !st)
      return fail(st.err());
  if (s.verifier.hmac_secret.empty() && !s.verifier.keys)
    spdlog::warn("no token verifier configured (set PACT_OIDC_ISSUER to the "
                 "identity provider's https URL, PACT_OIDC_JWKS_URL, or "
                 "PACT_OIDC_HMAC_SECRET, or use --dev): every API request "
                 "will be refused");
  // Loaded (or made) once: a restarted gateway keeps signing with it.
  auto node_ca = journal::node_ca_from_config(s.v, wall->now_unix_ms() / 1000);
  if (!node_ca)
    return fail(node_ca.err());
  s.node_ca = std::move(*node_ca);
  if (s.node_ca->current()->ephemeral)
    spdlog::info("node CA: ephemeral, made at startup (certificate {}; "
                 "shared with peers over TLS raft links, made anew when the "
                 "whole cluster restarts; journal.tls.ca_cert/ca_key keep "
                 "one)",
                 s.node_ca->current()->cert_sha256_hex.substr(0, 16));
  // Enrolled agents authenticate with tokens bound to certificates it
  // signed (runtime/pki/node_token.hpp).
  s.verifier.node_ca_bundle = [ca = s.node_ca] {
    return ca->current()->ca.cert_pem;
  };
  // The gateway verifies the certificates agents present with it.
  auto tls_plan = journal::plan_journal_tls(s.v, s.gateway.tls, s.raft.tls,
                                            s.node_ca->current()->ca.cert_pem);
  if (!tls_plan)
    return fail(tls_plan.err());
  caf::actor_system_config cfg;
  protocol::configure(cfg);
  // The replica blocks its scheduler thread during each durable write;
  // spare workers keep the gateway and timers responsive meanwhile.
  cfg.set("scheduler.max-threads",
          std::max<size_t>(4, std::thread::hardware_concurrency()));
  caf::actor_system sys{cfg};
  s.retrust_gateway = tls_plan->retrust_gateway;
  s.gateway_tls = journal::spawn_planned(sys, tls_plan->gateway);
  s.raft_tls = journal::spawn_planned(sys, tls_plan->raft);
  ports p{std::make_shared<std::atomic<uint16_t>>(s.gateway.port),
          std::make_shared<std::atomic<uint16_t>>(s.raft.port),
          std::make_shared<std::atomic<uint16_t>>(s.metrics.port)};
  caf::actor registry;
  // Declared after `sys`: destroyed (its thread joined) before it.
  std::unique_ptr<sd::watchdog_pinger> watchdog;
  daemon::daemon_tree tree;
  tree.component = "journal";
  tree.node_id = std::to_string(s.node_id);
  tree.children = [&](const caf::actor& reg, const caf::actor& notify) {
    registry = reg;
    return journal_children(s, p, reg, notify, wall);
  };
  tree.ports = 3;
  tree.on_ready = [&]() -> status {
    if (auto st = write_endpoints(s, p); !st)
      return st;
    spdlog::info("pact-journal {} ready: replica {}, gateway port {}, raft "
                 "port {}, metrics port {}, data {}",
                 PACT_VERSION, s.node_id, p.gateway->load(), p.raft->load(),
                 p.metrics->load(), s.data_dir);
    // Type=notify: the gateway answers from here on (a replica without a
    // quorum answers too, with its Raft state; docs/operations.md).
    sd::notify_ready("replica " + std::to_string(s.node_id) + " serving: "
                     + "gateway port " + std::to_string(p.gateway->load()));
    watchdog = daemon::start_watchdog(sys, registry);
    return {};
  };
  auto rc = daemon::run_daemon(sys, tree, wall);
  watchdog.reset();
  sd::notify_stopping();
  // The TLS middlemen's threads wait for the last handle (tls_transport.hpp).
  s.gateway_tls = caf::io::middleman_actor{};
  s.raft_tls = caf::io::middleman_actor{};
  return rc;
}

/// --backup DIR: a hot copy of the store (runtime/store/backup.hpp).
int backup(const std::string& data_dir, const std::string& dest) {
  auto r = store::backup_data_dir(data_dir, dest);
  if (!r)
    return fail(r.err());
  std::cout << "backup of " << data_dir << " in " << r->dest << ": last_index "
            << r->last_index << ", commit_index " << r->commit_index
            << ", term " << r->term << ", " << r->bytes << " bytes (";
  for (size_t i = 0; i < r->files.size(); ++i)
    std::cout << (i ? ", " : "") << r->files[i];
  std::cout << ")\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  daemon::block_shutdown_signals();
  auto started = config::start_daemon(argc, argv, config::journal_schema(),
                                      "pact-journal",
                                      "Runs one journal replica.");
  if (auto* rc = std::get_if<int>(&started))
    return *rc;
  auto& cl = std::get<config::daemon_command_line>(started);
  auto s = load_settings(cl);
  if (!s)
    return fail(s.err());
  if (auto dest = s->v.get_string("journal.backup"); !dest.empty())
    return backup(s->data_dir, dest);
  if (s->v.get_bool("journal.dump_log")) {
    auto st = pact::replica::dump_log(s->data_dir + "/raft", std::cout);
    return st ? 0 : fail(st.err());
  }
  if (auto st = init_logging("journal", s->v.get_string("journal.log_level"),
                             s->v.get_string("journal.log_format"));
      !st)
    return fail(st.err());
  // Nothing is downgraded silently: certificates configured for a plain
  // endpoint are named, so a missing https:// is noticed.
  if (!s->gateway.tls && !s->v.get_string("journal.tls.cert").empty())
    spdlog::warn("journal.tls.cert is set but --listen is {}: the gateway "
                 "serves plain TCP (use https:// to serve TLS)",
                 s->gateway.url());
  if (!s->raft.tls && !s->v.get_string("journal.raft.tls_cert").empty())
    spdlog::warn("journal.raft.tls_cert is set but --raft-listen is {}: "
                 "replica links are plain TCP (use https:// on every member)",
                 s->raft.url());
  if (auto st = prepare_data_dir(*s); !st)
    return fail(st.err());
  return run(*s);
}
