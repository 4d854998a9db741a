#include "actors/agent/node_enrollment.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/client/enroll_client.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/files.hpp"
#include "runtime/pki/node_token.hpp"

namespace pact::agent {

namespace {

using renew_atom = caf::atom_constant<caf::atom("renewcert")>;

/// Node tokens live five minutes and are reused for one.
constexpr int64_t token_ttl_s = 300;
constexpr int64_t token_reuse_s = 60;
/// The audience node tokens are minted for: the journal's default.
constexpr const char* token_audience = "pact";

std::string trimmed_file(const std::string& path) {
  if (path.empty())
    return {};
  auto text = files::read_all(path);
  if (!text)
    return {};
  auto t = *text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
    t.pop_back();
  return t;
}

client::options journal_options(const enrollment_settings& s,
                                std::string token) {
  client::options o{s.journals, "journal", std::move(token), s.timeout};
  o.trust_pem = s.journal_ca_pem;
  o.ca_bundle = s.journal_ca_path;
  return o;
}

std::string when_text(int64_t unix_s) {
  char buf[32];
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

node_identity::node_identity(std::string journal_trust_pem,
                             std::string trust_source)
  : trust_pem_(std::move(journal_trust_pem)),
    trust_source_(std::move(trust_source)),
    slot_(std::make_shared<tls::context_slot>()) {
  std::string why;
  slot_->set(build(nullptr, why));
}

std::shared_ptr<const tls::context>
node_identity::build(const node::node_credentials* c, std::string& why) const {
  tls::client_settings cs;
  cs.trust_pem = trust_pem_;
  cs.trust_source = trust_source_;
  if (c != nullptr)
    cs.own = {c->cert_pem, c->key_pem};
  return tls::context::client(cs, why);
}

void node_identity::set(node::node_credentials c) {
  std::string why;
  auto ctx = build(&c, why);
  tls::server_settings ss;
  ss.own = {c.cert_pem, c.key_pem};
  std::string server_why;
  auto server = tls::context::server(ss, server_why);
  std::lock_guard<std::mutex> guard{mu_};
  if (ctx)
    slot_->set(std::move(ctx));
  else
    spdlog::warn("node certificate: cannot present it to the journal: {}", why);
  if (server)
    server_slot_->set(std::move(server));
  else
    spdlog::warn("node certificate: cannot serve the agent API with it: {}",
                 server_why);
  creds_ = std::move(c);
  token_.clear();
}

std::optional<node::node_credentials> node_identity::get() const {
  std::lock_guard<std::mutex> guard{mu_};
  return creds_;
}

std::string node_identity::token(int64_t now) {
  std::lock_guard<std::mutex> guard{mu_};
  if (!creds_)
    return {};
  if (!token_.empty() && now - token_minted_ < token_reuse_s)
    return token_;
  auto t = pki::mint_node_token({creds_->key_pem, creds_->cert_pem},
                                token_audience, now, token_ttl_s);
  if (!t) {
    spdlog::warn("node certificate: cannot sign a token: {}",
                 t.error().message);
    return {};
  }
  token_ = *t;
  token_minted_ = now;
  return token_;
}

expected<node::node_credentials>
ensure_credentials(const enrollment_settings& s, const pact::clock& wall,
                   const std::optional<node::node_credentials>& held) {
  auto now = wall.now_unix_ms() / 1000;
  auto ca = client::fetch_node_ca(journal_options(s, ""));
  if (!ca)
    spdlog::warn("enrollment: cannot ask the journal for its node CA: {}",
                 ca.err().message);
  auto action = node::decide(held, s.node, ca ? *ca : std::string{}, now);
  if (action == node::credential_action::use)
    return *held;
  if (held && action == node::credential_action::enroll)
    spdlog::warn("enrollment: the certificate in {} is expired, names "
                 "another node, or is signed by a CA the journal no longer "
                 "has (an ephemeral CA is made anew when the whole journal "
                 "cluster restarts): enrolling again",
                 s.cert_path);
  // Before anything is asked: a path that cannot hold the certificate
  // would use up the one-time token for nothing.
  if (auto st = node::check_credential_paths(s.cert_path, s.key_path); !st)
    return make_error("enrollment: " + st.err().message);
  if (s.hardware_id.empty())
    return make_error("enrollment: no hardware identity (no SMBIOS UUID and "
                      "no physical interface's MAC under --root): set "
                      "agent.hardware_id / --hardware-id");
  auto key = pki::generate_key();
  if (!key)
    return make_error("enrollment: " + key.error().message);
  auto csr = pki::make_csr(*key, s.node);
  if (!csr)
    return make_error("enrollment: " + csr.error().message);
  protocol::EnrollRequest req;
  req.set_node(s.node);
  req.set_hardware_id(s.hardware_id);
  req.set_csr_pem(*csr);
  expected<protocol::EnrollReply> reply = make_error("not asked");
  if (action == node::credential_action::renew) {
    auto token = pki::mint_node_token({held->key_pem, held->cert_pem},
                                      token_audience, now, token_ttl_s);
    if (!token)
      return make_error("renewal: " + token.error().message);
    reply = client::request_certificate(journal_options(s, *token), req);
  } else {
    auto one_time = trimmed_file(s.enroll_token_file);
    auto credential = trimmed_file(s.token_file);
    if (!one_time.empty()) {
      auto first = req;
      first.set_enroll_token(one_time);
      reply = client::request_certificate(journal_options(s, ""), first);
    }
    // A used-up one-time token (a restart after the CA rotated) or none:
    // the node credential asks for a certificate for an enrolled node.
    if ((one_time.empty() || !reply) && !credential.empty()) {
      if (!one_time.empty())
        spdlog::info("{}; trying the node credential in {}",
                     reply.err().message, s.token_file);
      reply = client::request_certificate(journal_options(s, credential), req);
    }
    if (one_time.empty() && credential.empty())
      return make_error(
        std::string("enrollment: ")
        + (held ? "the certificate in " + s.cert_path
                    + " is expired or no longer accepted, and "
                : std::string())
        + "there is no one-time token (--enroll-token-file: "
        + (s.enroll_token_file.empty()
             ? std::string("not set")
             : "'" + s.enroll_token_file + "' is missing or empty")
        + ") and no node credential (--token-file) to ask for a certificate "
          "with: run `pact enroll "
        + s.node + " --vcluster V` and give the agent the new token");
    if (!reply && !one_time.empty() && credential.empty()
        && reply.err().message.find("already used") != std::string::npos)
      return make_error(reply.err().message + ": run `pact enroll " + s.node
                          + " --vcluster V` for a fresh token, or give the "
                            "agent its --token-file credential",
                        reply.err().code);
  }
  if (!reply)
    return reply.err();
  auto info = pki::parse_cert(reply->cert_pem());
  if (!info)
    return make_error("enrollment: the journal sent an unusable certificate");
  node::node_credentials c{*key, reply->cert_pem(), reply->ca_pem(), *info};
  if (auto st = node::store_node_credentials(s.cert_path, s.key_path, c); !st)
    return make_error("enrollment: cannot store the certificate: "
                      + st.err().message);
  spdlog::info("enrollment: certificate {} for {} valid until {} (renewal "
               "at {})",
               info->serial_hex, s.node, when_text(info->not_after_unix_s),
               when_text(node::renew_at(*info)));
  return c;
}

caf::behavior cert_renewer(caf::event_based_actor* self,
                           supervision::health_handle h, renewer_config cfg) {
  auto state
    = std::make_shared<std::pair<supervision::actor_state, std::string>>(
      protocol::ACTOR_STATE_STARTING, "");
  auto arm = [self, cfg, state] {
    auto c = cfg.identity->get();
    auto now = cfg.wall->now_unix_ms() / 1000;
    if (!c) {
      *state = {protocol::ACTOR_STATE_DEGRADED,
                "no node certificate; asking again in "
                  + std::to_string(cfg.retry.count()) + " s"};
      self->delayed_send(self, cfg.retry, renew_atom::value);
      return;
    }
    // Re-checked at least every minute rather than one timer for days: a
    // long pending timer keeps this detached actor alive at shutdown.
    auto due = std::clamp<int64_t>(node::renew_at(c->info) - now, 1, 60);
    *state = {protocol::ACTOR_STATE_RUNNING,
              "certificate " + c->info.serial_hex + " valid until "
                + when_text(c->info.not_after_unix_s) + ", renews at "
                + when_text(node::renew_at(c->info))};
    self->delayed_send(self, std::chrono::seconds(due), renew_atom::value);
  };
  arm();
  supervision::start_heartbeat(self);
  return supervision::heartbeat_behavior(self, h, [state] { return *state; })
    .or_else([self, cfg, state, arm](renew_atom) {
      if (auto held = cfg.identity->get();
          held && node::renew_at(held->info) > cfg.wall->now_unix_ms() / 1000) {
        arm(); // not due yet
        return;
      }
      auto c = ensure_credentials(cfg.enroll, *cfg.wall, cfg.identity->get());
      if (!c) {
        spdlog::warn("{}", c.err().message);
        *state = {protocol::ACTOR_STATE_DEGRADED, c.err().message};
        self->delayed_send(self, cfg.retry, renew_atom::value);
        return;
      }
      cfg.identity->set(std::move(*c));
      arm();
    });
}

} // namespace pact::agent
