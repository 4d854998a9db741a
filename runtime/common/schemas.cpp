#include "runtime/common/schemas.hpp"

namespace pact::config {

namespace {

using strings = std::vector<std::string>;

key_spec str(std::string path, std::string def, std::string flag,
             std::string env, std::string help, strings choices = {}) {
  key_spec k;
  k.path = std::move(path);
  k.kind = value_kind::string;
  k.default_value = std::move(def);
  k.flag = std::move(flag);
  k.env = std::move(env);
  k.help = std::move(help);
  k.choices = std::move(choices);
  return k;
}

key_spec num(std::string path, int64_t def, std::string flag, std::string help,
             int64_t min, int64_t max) {
  key_spec k;
  k.path = std::move(path);
  k.kind = value_kind::integer;
  k.default_value = def;
  k.flag = std::move(flag);
  k.help = std::move(help);
  k.min = min;
  k.max = max;
  return k;
}

key_spec flag(std::string path, bool def, std::string flag_name,
              std::string help) {
  key_spec k;
  k.path = std::move(path);
  k.kind = value_kind::boolean;
  k.default_value = def;
  k.flag = std::move(flag_name);
  k.help = std::move(help);
  return k;
}

key_spec list(std::string path, strings def, std::string flag_name,
              std::string help) {
  key_spec k;
  k.path = std::move(path);
  k.kind = value_kind::string_list;
  k.default_value = std::move(def);
  k.flag = std::move(flag_name);
  k.help = std::move(help);
  return k;
}

key_spec with_env(key_spec k, std::string env) {
  k.env = std::move(env);
  return k;
}

/// OIDC verification keys shared by the journal and the agent.
void add_oidc(schema& s, const std::string& prefix) {
  s.keys.push_back(str(prefix + ".oidc.issuer", "pact-dev", "",
                       "PACT_OIDC_ISSUER", "Expected token issuer (iss)"));
  s.keys.push_back(str(prefix + ".oidc.audience", "pact", "",
                       "PACT_OIDC_AUDIENCE", "Expected token audience (aud)"));
  s.keys.push_back(str(prefix + ".oidc.hmac_secret", "", "",
                       "PACT_OIDC_HMAC_SECRET",
                       "HS256 shared secret (development only)"));
  s.keys.push_back(str(prefix + ".oidc.hmac_secret_file", "", "", "",
                       "File holding the HS256 development secret"));
  s.keys.push_back(str(prefix + ".oidc.jwks_url", "", "", "PACT_OIDC_JWKS_URL",
                       "JWKS URL of the identity provider"));
  s.keys.push_back(str(prefix + ".oidc.ca_bundle", "", "", "",
                       "PEM CA bundle trusted for the identity provider's "
                       "HTTPS (empty: the system's)"));
  // Ten minutes: a removed key stops working within that; a new one is
  // fetched at once (on its unknown kid), so rotation never waits for it.
  s.keys.push_back(num(prefix + ".oidc.jwks_cache_ttl_seconds", 600, "",
                       "Seconds the identity provider's keys are used before "
                       "they are fetched again",
                       1, 86400));
  s.keys.push_back(num(prefix + ".oidc.jwks_refresh_interval_seconds", 60, "",
                       "Fewest seconds between fetches for an unknown key id "
                       "or after a failed fetch",
                       1, 3600));
  s.keys.push_back(str(prefix + ".oidc.roles_claim", "groups", "", "",
                       "Token claim that carries pact roles"));
  s.keys.push_back(list(prefix + ".oidc.roles_map", {}, "",
                        "IDP_GROUP=PACT_GROUP entries for identity providers "
                        "whose groups are named differently"));
  // A day: a working session's token; longer-lived bearer tokens are what
  // the bound exists to refuse (docs/authentication.md).
  s.keys.push_back(num(prefix + ".oidc.max_token_lifetime_seconds", 86400, "",
                       "Longest token lifetime accepted (exp - iat, or exp "
                       "- now without iat)",
                       60, 31 * 86400));
}

schema make_journal() {
  schema s;
  s.name = "journal";
  s.keys = {
    num("journal.node_id", 1, "node-id", "Raft replica id of this journal", 1,
        1 << 20),
    str("journal.listen", "0.0.0.0:9443", "listen", "",
        "Gateway endpoint for the CLI, MCP and agents"),
    str("journal.data_dir", "/var/lib/pact/journal", "data-dir", "",
        "LMDB data directory"),
    str("journal.metrics_listen", "0.0.0.0:9091", "metrics-listen", "",
        "HTTP endpoint for /metrics and /health"),
    flag("journal.dev", false, "dev",
         "Single-replica development mode: generates a signing secret and "
         "an admin token under <data_dir>/dev"),
    str("journal.log_level", "info", "log-level", "PACT_LOG", "Log level",
        log_levels()),
    str("journal.log_format", "text", "log-format", "PACT_LOG_FORMAT",
        "Log line format: text, or json (one object per line)",
        {"text", "json"}),
    num("journal.request_timeout_ms", 5000, "", "Gateway request timeout", 10,
        600000),
    str("journal.raft.listen", "0.0.0.0:9444", "raft-listen", "",
        "Raft peer endpoint"),
    list("journal.raft.members", {}, "peers",
         "Raft peers as id=host:port (identical on every replica)"),
    flag("journal.raft.bootstrap", false, "bootstrap",
         "Create a new cluster from journal.raft.members"),
    num("journal.raft.snapshot_interval", 10000, "",
        "Entries between Raft snapshots", 10, 100000000),
    num("journal.raft.snapshot_growth_percent", 100, "",
        "Also wait until the log since the last snapshot is this share of "
        "the snapshot's index (keeps snapshot cost per entry constant)",
        0, 1000),
    num("journal.raft.tick_ms", 100, "", "Length of one Raft tick", 1, 10000),
    num("journal.raft.election_ticks", 10, "",
        "Election timeout in ticks (randomized up to twice this)", 2, 1000),
    num("journal.raft.heartbeat_ticks", 1, "",
        "Leader heartbeat interval in ticks", 1, 100),
    str("journal.raft.tls_cert", "", "", "",
        "PEM certificate of this replica (https raft endpoints)"),
    str("journal.raft.tls_key", "", "", "", "PEM private key of tls_cert"),
    str("journal.raft.tls_ca", "", "", "",
        "CA bundle that signed every replica's certificate"),
    str("journal.tls.cert", "", "", "",
        "PEM certificate chain the gateway presents on an https:// listen "
        "endpoint (and replicas on https:// raft links when "
        "journal.raft.tls_cert is empty)"),
    str("journal.tls.key", "", "", "", "PEM private key of journal.tls.cert"),
    str("journal.tls.ca_cert", "", "", "",
        "PEM certificate of the CA that signs node certificates; empty: an "
        "ephemeral CA held in the replicas' memory only"),
    str("journal.tls.ca_key", "", "", "",
        "PEM private key of journal.tls.ca_cert (required with it)"),
    num("journal.tls.node_cert_validity_seconds", 259200, "",
        "Lifetime of a node certificate (agents renew at two thirds of it)", 30,
        31536000),
    num("journal.raft.map_size_mb", 0, "",
        "LMDB map size in MiB: 0 sizes it for ten million entries and "
        "grows it while the volume has room; N is a fixed limit",
        0, 1 << 24),
    str("journal.notify.loki_url", "", "", "",
        "Grafana Loki base URL that emergency starts and ends are pushed to "
        "(empty: no notifications)"),
    str("journal.notify.ca_bundle", "", "", "",
        "PEM CA bundle for an https Loki URL (empty: the system's)"),
    flag("journal.dump_log", false, "dump-log",
         "Print the stored Raft log as JSON lines and exit (journal must "
         "be stopped)"),
    str("journal.backup", "", "backup", "",
        "Copy the data directory's store into this new directory while the "
        "replica may run, and exit"),
    str("journal.policy.opa_url", "", "", "",
        "Base URL of an OPA server asked about every journal command the "
        "built-in rules allow; empty: no OPA"),
    num("journal.policy.opa_timeout_ms", 2000, "",
        "How long the gateway waits for OPA before the degraded rules "
        "apply",
        10, 60000),
  };
  add_oidc(s, "journal");
  // What `pact login` is told by discovery (docs/authentication.md).
  s.keys.push_back(str("journal.oidc.client_id", "pact-cli", "", "",
                       "Public OAuth client that pact login uses for the "
                       "device flow"));
  s.keys.push_back(list("journal.oidc.scopes", {}, "",
                        "Scopes pact login asks for besides openid and "
                        "offline_access"));
  return s;
}

schema make_agent() {
  schema s;
  s.name = "agent";
  s.keys = {
    str("agent.node_id", "", "node-id", "",
        "Node id; empty means the host name"),
    str("agent.vcluster", "", "vcluster", "", "vCluster of this node"),
    str("agent.listen", "0.0.0.0:9445", "listen", "", "Agent API endpoint"),
    str("agent.metrics_listen", "0.0.0.0:9446", "metrics-listen", "",
        "HTTP endpoint for /metrics (Prometheus)"),
    str("agent.state_dir", "/var/lib/pact/agent", "state-dir", "",
        "LMDB cache and logs"),
    str("agent.root", "/", "root", "",
        "Prefix for every host path the agent watches or changes"),
    str("agent.whitelist_mode", "strict", "", "", "Exec/shell whitelist mode",
        {"strict", "learning", "bypass"}),
    str("agent.log_level", "info", "log-level", "PACT_LOG", "Log level",
        log_levels()),
    str("agent.log_format", "text", "log-format", "PACT_LOG_FORMAT",
        "Log line format: text, or json (one object per line)",
        {"text", "json"}),
    list("agent.journal.endpoints", {"http://localhost:9443"}, "journal",
         "Journal gateway endpoints"),
    flag("agent.init", false, "init",
         "Run as the node's init (PID 1): reap orphaned processes and pass "
         "signals on; on by itself when started as PID 1"),
    flag("agent.journal.tls_enabled", false, "", "Use TLS to the journal"),
    str("agent.journal.tls_ca", "/etc/pact/ca.crt", "", "",
        "CA bundle for the journal's certificate"),
    str("agent.tls.cert", "/etc/pact/agent.crt", "", "",
        "Where the agent keeps the node certificate enrollment gave it (a "
        "host path, not under --root)"),
    str("agent.tls.key", "/etc/pact/agent.key", "", "",
        "Where the agent keeps its private key (mode 0600)"),
    str("agent.enroll_token_file", "", "enroll-token-file", "",
        "File holding the one-time token from pact enroll, presented with "
        "the agent's first certificate signing request"),
    str("agent.hardware_id", "", "hardware-id", "",
        "Hardware identity to present instead of the one read from the "
        "node (SMBIOS UUID, else the first physical MAC); for tests and "
        "nodes without either"),
    num("agent.journal.report_interval_seconds", 10, "",
        "Seconds between health reports to the journal", 1, 3600),
    num("agent.journal.reconnect_max_seconds", 30, "",
        "Upper bound of the reconnect back-off", 1, 3600),
    str("agent.token_file", "", "token-file", "",
        "Node credential until enrollment: a token whose sub is this node "
        "and whose groups hold pact-node"),
    list("agent.blacklist.patterns",
         {"/tmp/**", "/var/log/**", "/proc/**", "/sys/**", "/dev/**",
          "/run/user/**", "/run/pact/**", "/run/lattice/**"},
         "", "Paths excluded from drift detection"),
    list("agent.drift.watch_roots", {"/"}, "",
         "Subtrees watched for file drift (node paths; narrows the default "
         "of everything under the root)"),
    list("agent.drift.sysctl_keys",
         {"vm.swappiness", "vm.nr_hugepages", "vm.overcommit_memory",
          "kernel.numa_balancing", "net.core.somaxconn"},
         "",
         "sysctl keys compared with their boot value besides declared ones"),
    num("agent.drift.poll_interval_ms", 50, "",
        "Milliseconds between reads of the inotify queue", 5, 10000),
    num("agent.drift.scan_interval_seconds", 30, "",
        "Seconds between scans of sysctl, mounts, modules and hash-scanned "
        "subtrees",
        1, 86400),
    num("agent.drift.max_watches", 0, "",
        "Most inotify watches the agent uses (0: the kernel's limit)", 0,
        100000000),
    num("agent.drift.baseline_max_file_bytes", 16384, "",
        "Largest file whose content the baseline keeps (else a hash)", 0,
        1 << 20),
    num("agent.drift.baseline_max_total_bytes", 8 << 20, "",
        "Content the baseline keeps in all", 0, int64_t{1} << 32),
    num("agent.drift.test_window_divisor", 1, "",
        "Tests only: divides every commit window's length after the "
        "policy's 60 s floor (1 on real nodes)",
        1, 1000),
    num("agent.capability.gpu_poll_interval_seconds", 30, "",
        "Seconds between GPU polls", 1, 86400),
    str("agent.capability.gpu_backend", "auto", "", "",
        "GPU tool: auto (nvidia-smi, else rocm-smi, on PATH), nvidia, amd "
        "or none",
        {"auto", "nvidia", "amd", "none"}),
    num("agent.capability.gpu_tool_timeout_seconds", 10, "",
        "Seconds a GPU tool run may take before it is killed", 1, 300),
    list("agent.exec.whitelist", {}, "",
         "Commands pact exec may run on this node besides the vCluster "
         "policy's exec_whitelist (names on the agent's PATH or absolute "
         "paths)"),
    num("agent.exec.default_timeout_seconds", 60, "",
        "Seconds a pact exec command may run when the caller gives no "
        "--timeout",
        1, 86400),
    num("agent.exec.max_timeout_seconds", 3600, "",
        "Longest --timeout a pact exec caller may ask for (longer ones are "
        "cut to it)",
        1, 86400),
    num("agent.exec.max_output_bytes", 1 << 20, "",
        "Bytes of stdout and of stderr passed on per pact exec command; "
        "the rest is dropped and the output marked truncated",
        1, int64_t{1} << 30),
    str("agent.diag.kmsg_path", "/dev/kmsg", "", "",
        "Kernel ring buffer pact diag reads (node path under --root; a "
        "file of kmsg records works too)"),
    list("agent.diag.syslog_paths", {"/var/log/syslog", "/var/log/messages"},
         "",
         "Syslog files pact diag reads, those that exist (node paths "
         "under --root)"),
    num("agent.diag.max_scan_bytes", int64_t{64} << 20, "",
        "Bytes pact diag reads of one source at most (the newest part of a "
        "file; the block is marked truncated)",
        4096, int64_t{1} << 32),
    num("agent.diag.max_reply_bytes", int64_t{16} << 20, "",
        "Bytes of lines one pact diag answer carries at most (the oldest "
        "lines of the largest blocks are dropped)",
        4096, int64_t{256} << 20),
    list("agent.shell.whitelist", {}, "",
         "Commands pact shell may run on this node besides the vCluster "
         "policy's shell_whitelist (names on the agent's PATH or absolute "
         "paths)"),
    num("agent.shell.max_sessions", 8, "",
        "pact shell sessions open at once on this node; more are refused "
        "until one closes",
        1, 1000),
    num("agent.shell.idle_timeout_seconds", 900, "",
        "Seconds a pact shell session may sit idle at its prompt before it "
        "is closed",
        10, 86400),
  };
  add_oidc(s, "agent");
  return s;
}

schema make_cli() {
  schema s;
  s.name = "cli";
  s.keys = {
    with_env(list("endpoint", {"http://localhost:9443"}, "endpoint",
                  "Journal gateway endpoints, tried in order (comma-separated "
                  "or a list)"),
             "PACT_ENDPOINT"),
    str("agent_endpoint", "http://localhost:9445", "", "PACT_AGENT_ENDPOINT",
        "Agent API endpoint"),
    str("token", "", "token", "PACT_TOKEN", "OIDC bearer token"),
    str("token_file", "~/.config/pact/token", "", "",
        "File read when no token is given"),
    str("login_cache_dir", "~/.config/pact/tokens", "", "",
        "Where pact login keeps each journal's tokens (mode 0700)"),
    str("ca_bundle", "/etc/pact/ca.crt", "", "PACT_CA_BUNDLE",
        "CA bundle that verifies https:// journal endpoints"),
    str("oidc_ca_bundle", "", "", "PACT_OIDC_CA_BUNDLE",
        "CA bundle for the identity provider's HTTPS (empty: the "
        "system's trusted CAs)"),
    str("vcluster", "", "vcluster", "PACT_VCLUSTER", "Default vCluster"),
    str("output", "text", "output", "PACT_OUTPUT", "Output format",
        {"text", "json"}),
    num("timeout_seconds", 10, "timeout",
        "Seconds to wait for the journal before exit code 5", 1, 3600),
    str("log_level", "warn", "log-level", "PACT_LOG", "Log level",
        log_levels()),
  };
  return s;
}

} // namespace

const std::vector<std::string>& log_levels() {
  static const std::vector<std::string> levels{
    "trace", "debug", "info", "warn", "error", "critical", "off"};
  return levels;
}

const schema& journal_schema() {
  static const schema s = make_journal();
  return s;
}

const schema& agent_schema() {
  static const schema s = make_agent();
  return s;
}

const schema& cli_schema() {
  static const schema s = make_cli();
  return s;
}

} // namespace pact::config
