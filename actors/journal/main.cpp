// pact-journal: one journal replica. In this first version it runs the
// client gateway and the health registry under a root supervisor; the Raft
// replica, state machine and stream hub plug in as further children.

#include <atomic>
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/journal/gateway.hpp"
#include "actors/supervision/daemon.hpp"
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

using namespace pact;

namespace {

int fail(const error& e) {
  std::cerr << "pact-journal: " << e.message << "\n";
  return to_int(e.code);
}

struct settings {
  config::values v;
  endpoint gateway;
  std::string data_dir;
  policy::verifier_config verifier;
};

expected<settings> load_settings(const config::daemon_command_line& cl) {
  auto v = config::load_daemon_config(cl, config::journal_schema(),
                                      config::journal_config_path);
  if (!v)
    return v.err();
  settings s{std::move(*v), {}, {}, {}};
  auto gw = parse_endpoint(s.v.get_string("journal.listen"), "--listen");
  if (!gw)
    return gw.err();
  if (gw->tls)
    return make_error("--listen: TLS (https://) is not supported by this "
                      "build yet; see docs/security.md");
  s.gateway = *gw;
  for (auto key : {"journal.raft.listen", "journal.metrics_listen"})
    if (auto ep = parse_endpoint(s.v.get_string(key), key); !ep)
      return ep.err();
  s.data_dir = s.v.get_string("journal.data_dir");
  auto verifier = policy::load_verifier(s.v, "journal");
  if (!verifier)
    return verifier.err();
  s.verifier = *verifier;
  return s;
}

status prepare_dev(settings& s, const pact::clock& wall) {
  auto creds = policy::ensure_dev_credentials(
    s.data_dir + "/dev", s.verifier.issuer, s.verifier.audience,
    wall.now_unix_ms() / 1000);
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
  return {};
}

status write_endpoints(const settings& s, uint16_t gateway_port) {
  nlohmann::json j;
  j["gateway"] = endpoint{false, supervision::connect_host(s.gateway.host), gateway_port}
                   .url();
  j["node_id"] = s.v.get_int("journal.node_id");
  j["pid"] = ::getpid();
  return files::write_atomic(s.data_dir + "/endpoints.json", j.dump(2) + "\n");
}

} // namespace

int main(int argc, char** argv) {
  supervision::block_shutdown_signals();
  auto cl = config::parse_daemon_args(
    argc, argv, config::journal_schema(),
    "Usage: pact-journal [options]\n\nRuns one journal replica.\n\nOptions");
  if (!cl)
    return fail(cl.err());
  if (cl->help) {
    std::cout << cl->help_text;
    return 0;
  }
  if (cl->version) {
    std::cout << "pact-journal " << PACT_VERSION << "\n";
    return 0;
  }
  auto s = load_settings(*cl);
  if (!s)
    return fail(s.err());
  if (auto st = init_logging("journal", s->v.get_string("journal.log_level"));
      !st)
    return fail(st.err());
  if (auto st = files::make_dirs(s->data_dir, 0750); !st)
    return fail(st.err());
  auto wall = std::make_shared<system_clock>();
  if (s->v.get_bool("journal.dev"))
    if (auto st = prepare_dev(*s, *wall); !st)
      return fail(st.err());
  if (s->verifier.hmac_secret.empty())
    spdlog::warn("no token verifier configured (set PACT_OIDC_HMAC_SECRET "
                 "or use --dev): every API request will be refused");

  caf::actor_system_config cfg;
  protocol::configure(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto node_id = std::to_string(s->v.get_int("journal.node_id"));
  auto registry = supervision::spawn_health_registry(
    sys, {"journal", node_id, PACT_VERSION}, wall);

  journal::gateway_config gw;
  gw.listen = {s->gateway.host,
               std::make_shared<std::atomic<uint16_t>>(s->gateway.port),
               caf::actor_cast<caf::actor>(self)};
  gw.registry = registry;
  gw.verifier = s->verifier;
  gw.wall = wall;
  supervision::child_spec gateway_child;
  gateway_child.name = "journal/gateway";
  gateway_child.kind = "gateway";
  gateway_child.start = [gw](caf::event_based_actor* sup,
                             const supervision::health_handle& h) {
    return sup->spawn(journal::gateway, h, gw);
  };
  auto root = sys.spawn(
    supervision::supervisor,
    supervision::supervisor_spec{{registry, "journal"}, {gateway_child}, {}});
  self->send(registry, protocol::health_register_atom::value,
             std::string("journal"), std::string("supervisor"), std::string(),
             root);

  auto port = supervision::await_published(sys, self, root, "gateway");
  if (!port) {
    self->send_exit(registry, caf::exit_reason::user_shutdown);
    return fail(port.err());
  }
  if (auto st = write_endpoints(*s, *port); !st)
    return fail(st.err());
  spdlog::info("pact-journal {} ready: replica {}, gateway {}:{}, data {}",
               PACT_VERSION, node_id, s->gateway.host, *port, s->data_dir);
  int rc = supervision::run_until_shutdown(sys, root);
  self->send_exit(registry, caf::exit_reason::user_shutdown);
  spdlog::info("pact-journal stopped");
  return rc;
}
