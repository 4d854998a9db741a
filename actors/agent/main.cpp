// pact-agent: the node agent. Runs under systemd or as PID 1; its root
// supervisor owns the agent API and the journal link (which boots the node,
// docs/agent.md); the drift watcher, commit window, GPU poller, services and
// exec/shell plug in as further children.

#include <unistd.h>

extern char** environ;

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent/agent_api.hpp"
#include "actors/agent/agent_metrics.hpp"
#include "actors/agent/agent_metrics_endpoint.hpp"
#include "actors/agent/drift_setup.hpp"
#include "actors/agent/gpu_poller.hpp"
#include "actors/agent/journal_link.hpp"
#include "actors/agent/node_enrollment.hpp"
#include "actors/agent/service_supervisor.hpp"
#include "actors/daemon/daemon.hpp"
#include "actors/daemon/jwks_refresher.hpp"
#include "actors/daemon/service_manager.hpp"
#include "actors/net/tls_transport.hpp"
#include "actors/supervision/health_registry.hpp"
#include "actors/supervision/supervisor.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/files.hpp"
#include "runtime/common/flags.hpp"
#include "runtime/common/logging.hpp"
#include "runtime/common/schemas.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/node/boot_cache.hpp"
#include "runtime/node/exec_process.hpp"
#include "runtime/node/hardware_identity.hpp"
#include "runtime/node/node_credentials.hpp"
#include "runtime/node/pid1.hpp"
#include "runtime/policy/request_auth.hpp"
#include "runtime/tls/tls_files.hpp"

using namespace pact;

namespace {

int fail(const error& e) {
  std::cerr << "pact-agent: " << e.message << "\n";
  return to_int(e.code);
}

struct settings {
  config::values v;
  std::string node_id;
  endpoint listen;
  /// --metrics-listen, its bound port (0 while not bound), and whether it
  /// was configured rather than the default (agent_metrics_endpoint.hpp).
  endpoint metrics;
  std::shared_ptr<std::atomic<uint16_t>> metrics_port;
  bool metrics_required = false;
  std::vector<endpoint> journals;
  std::string state_dir;
  std::string root;
  std::string token_file;
  policy::verifier_config verifier;
  std::shared_ptr<node::boot_cache> cache;
  /// Whether the journal link speaks TLS (https:// endpoints, or
  /// agent.journal.tls_enabled), and then what enrollment needs.
  bool journal_tls = false;
  agent::enrollment_settings enroll;
  std::shared_ptr<agent::node_identity> identity;
  /// The journal link's TLS middleman (null: plain); released before the
  /// actor system stops (tls_transport.hpp).
  caf::io::middleman_actor journal_mm;
  /// The agent API's TLS middleman (https:// --listen).
  caf::io::middleman_actor api_mm;
};

/// "agent.toml:3: agent.state_dir", "--state-dir: agent.state_dir" or
/// "agent.state_dir": where an operator fixes `key`.
std::string where(const config::values& v, const std::string& key) {
  const auto& o = v.origin_of(key);
  return o.where.empty() ? key : o.where + ": " + key;
}

status check_root(const config::values& v, const std::string& root) {
  if (!files::exists(root))
    return make_error(where(v, "agent.root") + ": directory '" + root
                      + "' does not exist");
  // A regular file as the root booted with every item failing and recorded
  // false drift under the node's name.
  if (files::not_a_directory(root))
    return make_error(where(v, "agent.root") + ": '" + root
                      + "' is not a directory");
  return {};
}

/// The node id and vCluster are journal names (1-63 of [A-Za-z0-9._-]): an
/// agent with another name boots nothing and reports under a name no
/// command can reach.
status check_names(const config::values& v, const std::string& node) {
  if (!journal::valid_name(node))
    return make_error(where(v, "agent.node_id") + ": '" + node
                      + "' is not a node name (1-63 of [A-Za-z0-9._-])");
  auto vc = v.get_string("agent.vcluster");
  if (!vc.empty() && !journal::valid_name(vc))
    return make_error(where(v, "agent.vcluster") + ": '" + vc
                      + "' is not a vCluster name (1-63 of [A-Za-z0-9._-])");
  return {};
}

/// The state dir exists (created 0750) and is writable; nothing else is
/// written before every check passed.
status check_state_dir(const config::values& v, const std::string& dir) {
  if (auto st = files::make_dirs(dir, 0750); !st)
    return make_error(where(v, "agent.state_dir") + ": " + st.err().message);
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return make_error(where(v, "agent.state_dir") + ": directory '" + dir
                      + "' is not writable by this user");
  return {};
}

/// The node credential's file, when configured, is a readable, non-empty
/// file (its token is re-read at every connect and report).
status check_token_file(const config::values& v, const std::string& path) {
  if (path.empty())
    return {};
  auto text = files::read_all(path);
  if (!text)
    return make_error(where(v, "agent.token_file") + ": " + text.err().message);
  if (text->find_first_not_of(" \r\n\t") == std::string::npos)
    return make_error(where(v, "agent.token_file") + ": '" + path
                      + "' is empty (expected the node's token)");
  return {};
}

/// With TLS to the journal: the CA bundle that verifies it, the hardware
/// identity, and where the certificate lives (node_enrollment.hpp). An
/// enrollment token without TLS is refused: it would cross in clear.
status plan_enrollment(settings& s) {
  auto& e = s.enroll;
  e.enroll_token_file = s.v.get_string("agent.enroll_token_file");
  if (!s.journal_tls) {
    if (!e.enroll_token_file.empty())
      return make_error(where(s.v, "agent.enroll_token_file")
                        + ": enrollment needs TLS to the journal (https:// "
                          "endpoints or agent.journal.tls_enabled = true)");
    return {};
  }
  if (!e.enroll_token_file.empty() && !files::exists(e.enroll_token_file))
    return make_error(where(s.v, "agent.enroll_token_file") + ": cannot read '"
                      + e.enroll_token_file + "'");
  e.journal_ca_path = s.v.get_string("agent.journal.tls_ca");
  auto ca = tls::load_bundle(where(s.v, "agent.journal.tls_ca"),
                             e.journal_ca_path);
  if (!ca)
    return ca.err();
  e.journal_ca_pem = *ca;
  e.node = s.node_id;
  e.journals = s.journals;
  e.token_file = s.token_file;
  e.cert_path = s.v.get_string("agent.tls.cert");
  e.key_path = s.v.get_string("agent.tls.key");
  e.hardware_id = s.v.get_string("agent.hardware_id");
  if (e.hardware_id.empty()) {
    auto hw = node::hardware_identity(s.root);
    if (hw)
      e.hardware_id = *hw;
    else
      spdlog::warn("enrollment: {}; a node registered with --hardware-id "
                   "will be refused",
                   hw.err().message);
  }
  s.identity = std::make_shared<agent::node_identity>(*ca, e.journal_ca_path);
  return {};
}

expected<settings> load_settings(const config::daemon_command_line& cl) {
  auto v = config::load_daemon_config(cl, config::agent_schema(),
                                      config::agent_config_path);
  if (!v)
    return v.err();
  settings s;
  s.v = std::move(*v);
  s.node_id = s.v.get_string("agent.node_id");
  if (s.node_id.empty())
    s.node_id = local_host_name();
  auto l = parse_endpoint(s.v.get_string("agent.listen"), "--listen");
  if (!l)
    return l.err();
  s.listen = *l;
  auto m = parse_endpoint(s.v.get_string("agent.metrics_listen"),
                          "--metrics-listen");
  if (!m)
    return m.err();
  if (m->tls)
    return make_error(where(s.v, "agent.metrics_listen")
                      + ": /metrics is served over plain http only");
  s.metrics = *m;
  s.metrics_port = std::make_shared<std::atomic<uint16_t>>(m->port);
  s.metrics_required = !s.v.origin_of("agent.metrics_listen").where.empty();
  // The troubleshooting guide's form: bare host:port endpoints with
  // tls_enabled = true mean TLS to every one of them.
  bool tls_enabled = s.v.get_bool("agent.journal.tls_enabled");
  for (auto& text : s.v.get_list("agent.journal.endpoints")) {
    auto ep = parse_endpoint(text, "--journal");
    if (!ep)
      return ep.err();
    if (tls_enabled)
      ep->tls = true;
    s.journal_tls = s.journal_tls || ep->tls;
    s.journals.push_back(*ep);
  }
  if (s.journals.empty())
    return make_error("--journal: at least one journal endpoint is required");
  s.state_dir = s.v.get_string("agent.state_dir");
  s.root = s.v.get_string("agent.root");
  if (auto st = check_names(s.v, s.node_id); !st)
    return st.err();
  if (auto st = check_root(s.v, s.root); !st)
    return st.err();
  s.token_file = s.v.get_string("agent.token_file");
  if (auto st = check_token_file(s.v, s.token_file); !st)
    return st.err();
  auto verifier = policy::load_verifier(s.v, "agent");
  if (!verifier)
    return verifier.err();
  s.verifier = *verifier;
  // TLS settings before the state directory is made: a refused start
  // writes nothing.
  if (auto st = plan_enrollment(s); !st)
    return st.err();
  // The agent API serves TLS with the node certificate, which only
  // enrollment (over TLS to the journal) gives.
  if (s.listen.tls && !s.identity)
    return make_error(where(s.v, "agent.listen")
                      + ": an https:// agent API presents the node's "
                        "certificate, which needs TLS to the journal "
                        "(https:// endpoints or agent.journal.tls_enabled)");
  if (auto st = check_state_dir(s.v, s.state_dir); !st)
    return st.err();
  return s;
}

/// Loads the stored certificate and asks the journal for a new one when it
/// is missing, due or from a rotated CA. Failure leaves the agent on its
/// token-file credential; the renewer keeps asking.
status enroll_at_start(settings& s, const pact::clock& wall) {
  auto held = node::load_node_credentials(s.enroll.cert_path,
                                          s.enroll.key_path);
  if (!held)
    spdlog::warn("enrollment: {}; asking for a new certificate",
                 held.err().message);
  auto creds = agent::ensure_credentials(
    s.enroll, wall, held ? *held : std::optional<node::node_credentials>{});
  if (!creds) {
    if (s.listen.tls)
      return make_error(where(s.v, "agent.listen")
                        + ": the https:// agent API needs the node's "
                          "certificate: "
                        + creds.err().message);
    spdlog::warn("{}; the journal link authenticates with the token file "
                 "meanwhile",
                 creds.err().message);
    return {};
  }
  s.identity->set(std::move(*creds));
  return {};
}

/// Opens the boot cache, once every setting has been checked: a bad one
/// leaves no store behind in the state directory.
status open_cache(settings& s) {
  auto cache = node::boot_cache::open(s.state_dir + "/boot-cache");
  if (!cache)
    return make_error(where(s.v, "agent.state_dir") + ": "
                      + cache.err().message);
  s.cache = std::move(*cache);
  return {};
}

/// The host others reach the agent API at: the listen host, or this host's
/// name when listening on every interface.
std::string advertised_host(const std::string& listen_host) {
  if (listen_host.empty() || listen_host == "0.0.0.0" || listen_host == "::")
    return local_host_name();
  return listen_host;
}

supervision::child_spec
gpu_poller_child(const settings& s,
                 const std::shared_ptr<const pact::clock>& wall) {
  agent::gpu_poller_config gpu;
  gpu.node_id = s.node_id;
  gpu.root = s.root;
  gpu.tool.backend = s.v.get_string("agent.capability.gpu_backend");
  const char* path = std::getenv("PATH");
  gpu.tool.path_env = path != nullptr ? path : "/usr/bin:/bin";
  gpu.tool.limits.timeout = std::chrono::seconds(
    s.v.get_int("agent.capability.gpu_tool_timeout_seconds"));
  gpu.interval = std::chrono::seconds(
    s.v.get_int("agent.capability.gpu_poll_interval_seconds"));
  gpu.wall = wall;
  return {"agent/gpu-poller", "gpu-poller",
          [gpu](caf::event_based_actor* sup,
                const supervision::health_handle& h) {
            // Records go to whichever journal link the supervisor runs now.
            auto c = gpu;
            c.supervisor = caf::actor_cast<caf::actor>(sup);
            return sup->spawn(agent::gpu_poller, h, c);
          }};
}

agent::exec_config exec_settings(const settings& s) {
  agent::exec_config x;
  x.root = s.root;
  // The schema allows only the three modes.
  x.mode = node::parse_whitelist_mode(s.v.get_string("agent.whitelist_mode"))
             .value_or(node::whitelist_mode::strict);
  x.whitelist = s.v.get_list("agent.exec.whitelist");
  x.default_timeout
    = std::chrono::seconds(s.v.get_int("agent.exec.default_timeout_seconds"));
  x.max_timeout
    = std::chrono::seconds(s.v.get_int("agent.exec.max_timeout_seconds"));
  x.max_output_bytes
    = static_cast<size_t>(s.v.get_int("agent.exec.max_output_bytes"));
  for (char** e = environ; *e != nullptr; ++e)
    x.inherited_env.emplace_back(*e);
  if (x.mode == node::whitelist_mode::bypass)
    spdlog::warn("agent.whitelist_mode = bypass: pact exec runs any command "
                 "(development only)");
  return x;
}

agent::diag_config diag_settings(const settings& s) {
  agent::diag_config x;
  x.root = s.root;
  x.kmsg_path = s.v.get_string("agent.diag.kmsg_path");
  x.syslog_paths = s.v.get_list("agent.diag.syslog_paths");
  x.max_scan_bytes
    = static_cast<size_t>(s.v.get_int("agent.diag.max_scan_bytes"));
  x.max_reply_bytes
    = static_cast<size_t>(s.v.get_int("agent.diag.max_reply_bytes"));
  return x;
}

std::vector<supervision::child_spec>
agent_children(const settings& s, agent::drift_watcher_config drift,
               const std::shared_ptr<std::atomic<uint16_t>>& port,
               const std::shared_ptr<std::atomic<bool>>& api_bound,
               const caf::actor& registry, const caf::actor& notify,
               const std::shared_ptr<const pact::clock>& wall,
               std::chrono::steady_clock::time_point started) {
  agent::agent_api_config api;
  api.listen = {s.listen.host, port, notify, s.api_mm};
  api.registry = registry;
  api.verifier = s.verifier;
  api.wall = wall;
  api.vcluster = s.v.get_string("agent.vcluster");
  api.node_id = s.node_id;
  api.capability = {s.node_id, api.vcluster, s.root};
  api.exec = exec_settings(s);
  api.diag = diag_settings(s);
  api.shell.whitelist = s.v.get_list("agent.shell.whitelist");
  api.shell.max_sessions
    = static_cast<size_t>(s.v.get_int("agent.shell.max_sessions"));
  api.shell.idle_timeout
    = std::chrono::seconds(s.v.get_int("agent.shell.idle_timeout_seconds"));
  supervision::child_spec api_child{
    "agent/api", "agent-api",
    [api](caf::event_based_actor* sup, const supervision::health_handle& h) {
      auto c = api;
      c.supervisor = caf::actor_cast<caf::actor>(sup);
      return sup->spawn(agent::agent_api, h, std::move(c));
    }};

  agent::journal_link_config link;
  link.journals = s.journals;
  link.registry = registry;
  link.node_id = s.node_id;
  link.vcluster = s.v.get_string("agent.vcluster");
  link.agent_endpoint = [tls = s.listen.tls,
                         host = advertised_host(s.listen.host), port] {
    return endpoint{tls, host, port->load()}.url();
  };
  link.token_file = s.token_file;
  if (s.identity) {
    link.credential = [id = s.identity, wall] {
      return id->token(wall->now_unix_ms() / 1000);
    };
    link.connector = agent::middleman_connector(s.journal_mm);
  }
  link.state_dir = s.state_dir;
  link.cache = s.cache;
  link.host.root = s.root;
  link.host.privileged = ::geteuid() == 0;
  link.host.run = node::spawn_runner();
  link.wall = wall;
  link.started = started;
  link.report_interval = std::chrono::seconds(
    s.v.get_int("agent.journal.report_interval_seconds"));
  link.reconnect_max
    = std::chrono::seconds(s.v.get_int("agent.journal.reconnect_max_seconds"));
  link.may_start = [api_bound] { return api_bound->load(); };
  supervision::child_spec link_child{
    "agent/journal-link", "journal-link",
    [link](caf::event_based_actor* sup, const supervision::health_handle& h) {
      return sup->spawn(agent::journal_link, h, link);
    }};
  drift.wall = wall;
  drift.host = link.host; // rollbacks restore as the boot applies
  agent::service_supervisor_config services;
  services.node_id = s.node_id;
  services.root = s.root;
  services.wall = wall;
  services.systemd.wall = wall;
  supervision::child_spec services_child{
    "agent/services", "service-supervisor",
    [services](caf::event_based_actor* sup,
               const supervision::health_handle& h) {
      auto c = services;
      c.supervisor = caf::actor_cast<caf::actor>(sup);
      return sup->spawn(agent::service_supervisor, h, std::move(c));
    }};
  auto children = daemon::jwks_children("agent", s.verifier, wall);
  if (s.identity) {
    agent::renewer_config rn{s.enroll, s.identity, wall};
    children.push_back(
      {"agent/cert-renewer", "cert-renewer",
       [rn](caf::event_based_actor* sup, const supervision::health_handle& h) {
         return sup->spawn<caf::detached>(agent::cert_renewer, h, rn);
       }});
  }
  agent::agent_metrics::get().set_info(s.node_id, PACT_VERSION);
  children.push_back(agent::agent_metrics_child(
    {{s.metrics.host, s.metrics_port, notify, {}}, s.metrics_required}));
  children.insert(children.end(),
                  {api_child, link_child, agent::drift_child(std::move(drift)),
                   gpu_poller_child(s, wall), services_child});
  return children;
}

status write_endpoints(const settings& s, uint16_t port) {
  nlohmann::json j;
  j["agent_api"]
    = endpoint{s.listen.tls, daemon::connect_host(s.listen.host), port}.url();
  if (auto m = s.metrics_port->load(); m != 0)
    j["metrics"]
      = endpoint{false, daemon::connect_host(s.metrics.host), m}.url();
  j["node_id"] = s.node_id;
  j["pid"] = ::getpid();
  return files::write_atomic(s.state_dir + "/endpoints.json", j.dump(2) + "\n");
}

} // namespace

int main(int argc, char** argv) {
  auto start_time = std::chrono::steady_clock::now();
  daemon::block_shutdown_signals();
  auto started = config::start_daemon(argc, argv, config::agent_schema(),
                                      "pact-agent", "Runs the node agent.");
  if (auto* rc = std::get_if<int>(&started))
    return *rc;
  auto& cl = std::get<config::daemon_command_line>(started);
  auto s = load_settings(cl);
  if (!s)
    return fail(s.err());
  // As init, fork now, before logging or CAF start a thread: this process
  // stays PID 1 and reaps; the child carries on as the agent
  // (runtime/node/pid1.hpp).
  if (s->v.get_bool("agent.init") || node::is_pid1())
    if (auto status = node::become_init())
      return *status;
  if (auto st = init_logging("agent", s->v.get_string("agent.log_level"),
                             s->v.get_string("agent.log_format"));
      !st)
    return fail(st.err());
  if (auto st = files::make_dirs(s->state_dir, 0750); !st)
    return fail(st.err());
  auto drift = agent::drift_config(s->v, s->node_id, s->root, s->state_dir);
  if (!drift)
    return fail(drift.err());
  // One agent per state directory: a second one would boot, rewrite the
  // node's files and endpoints.json before the journal refused it. The
  // descriptor stays open (and the lock held) until the process ends.
  if (auto held = files::lock_directory(s->state_dir, "a running pact-agent");
      !held)
    return fail(make_error(where(s->v, "agent.state_dir") + ": "
                           + held.err().message
                           + "; give each agent its own --state-dir"));
  if (auto st = open_cache(*s); !st)
    return fail(st.err());
  if (s->token_file.empty() && !s->identity)
    spdlog::warn("no node credential (--token-file / agent.token_file): the "
                 "journal refuses this agent's boot, reports and records");
  if (s->verifier.hmac_secret.empty() && !s->verifier.keys)
    spdlog::warn("no token verifier configured (set PACT_OIDC_ISSUER to the "
                 "identity provider's https URL, PACT_OIDC_JWKS_URL, or "
                 "PACT_OIDC_HMAC_SECRET / agent.oidc.hmac_secret_file): API "
                 "requests will be refused");

  auto wall = std::make_shared<system_clock>();
  if (s->identity)
    if (auto st = enroll_at_start(*s, *wall); !st)
      return fail(st.err());
  caf::actor_system_config cfg;
  protocol::configure(cfg);
  caf::actor_system sys{cfg};
  if (s->identity) {
    net::tls_policy journal_policy;
    journal_policy.client = s->identity->slot();
    s->journal_mm = net::spawn_tls_middleman(sys, std::move(journal_policy));
    if (s->listen.tls) {
      net::tls_policy api_policy;
      api_policy.server = s->identity->server_slot();
      s->api_mm = net::spawn_tls_middleman(sys, std::move(api_policy));
    }
  }
  auto port = std::make_shared<std::atomic<uint16_t>>(s->listen.port);
  // The journal link waits for the API's port (journal_link_config::
  // may_start).
  auto api_bound = std::make_shared<std::atomic<bool>>(false);
  caf::actor registry;
  // Declared after `sys`: destroyed (its thread joined) before it.
  std::unique_ptr<sd::watchdog_pinger> watchdog;
  daemon::daemon_tree tree;
  tree.component = "agent";
  tree.node_id = s->node_id;
  tree.ports = 2; // the API and /metrics
  tree.children = [&](const caf::actor& reg, const caf::actor& notify) {
    registry = reg;
    return agent_children(*s, *drift, port, api_bound, reg, notify, wall,
                          start_time);
  };
  tree.on_ready = [&]() -> status {
    if (auto st = write_endpoints(*s, port->load()); !st)
      return st;
    api_bound->store(true);
    // Listening, not yet configured: "ready" is the journal link's to say
    // once a boot applied (journal or cache), never for a refused one.
    spdlog::info("pact-agent {} listening: node {}, API port {}, root {}, "
                 "state {}",
                 PACT_VERSION, s->node_id, port->load(), s->root, s->state_dir);
    // Type=notify: ready once the API answers, not once a boot applied: a
    // node whose journal is down must still come up and boot from its
    // cache (docs/operations.md, "Running under systemd").
    sd::notify_ready("node " + s->node_id + " listening: API port "
                     + std::to_string(port->load()));
    watchdog = daemon::start_watchdog(sys, registry);
    return {};
  };
  int rc = daemon::run_daemon(sys, tree, wall);
  watchdog.reset();
  sd::notify_stopping();
  s->journal_mm = caf::io::middleman_actor{};
  s->api_mm = caf::io::middleman_actor{};
  // The tree is stopped; commands still running hold detached threads
  // that the actor system's destructor would wait for.
  node::stop_running_execs();
  return rc;
}
