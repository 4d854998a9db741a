#include "actors/journal/journal_tls.hpp"

#include <ctime>

#include <spdlog/spdlog.h>

#include "runtime/pki/pki.hpp"
#include "runtime/tls/tls_files.hpp"

namespace pact::journal {

namespace {

/// Clients refuse a certificate outside its dates; say so at start rather
/// than only in each refused handshake.
void warn_if_out_of_date(const std::string& key, const std::string& path,
                         const std::string& pem) {
  auto info = pki::parse_cert(pem);
  auto now = static_cast<int64_t>(std::time(nullptr));
  if (!info)
    return;
  if (info->not_after_unix_s < now)
    spdlog::warn("{} '{}' has expired: clients will refuse it", key, path);
  else if (info->not_before_unix_s > now)
    spdlog::warn("{} '{}' is not valid yet: clients will refuse it (check "
                 "the clock)",
                 key, path);
}

expected<net::tls_policy> gateway_policy(const config::values& v,
                                         const std::string& node_ca_pem,
                                         bool warn) {
  if (v.get_string("journal.tls.cert").empty())
    return make_error("journal.tls.cert and journal.tls.key are required for "
                      "an https:// --listen endpoint (or use --dev, which "
                      "makes them)");
  auto id
    = tls::load_identity("journal.tls.cert", v.get_string("journal.tls.cert"),
                         "journal.tls.key", v.get_string("journal.tls.key"));
  if (!id)
    return id.err();
  if (warn)
    warn_if_out_of_date("journal.tls.cert", v.get_string("journal.tls.cert"),
                        id->cert_chain_pem);
  tls::server_settings ss;
  ss.own = std::move(*id);
  if (!node_ca_pem.empty()) {
    ss.clients = tls::client_certs::optional;
    ss.client_trust_pem = node_ca_pem;
  }
  std::string why;
  auto ctx = tls::context::server(ss, why);
  if (!ctx)
    return make_error("gateway TLS: " + why);
  net::tls_policy p;
  p.server = std::make_shared<tls::context_slot>(ctx);
  return p;
}

/// A new context for `slot` trusting `node_ca_pem` for client
/// certificates; connections already open keep theirs.
void retrust(const std::shared_ptr<tls::context_slot>& slot,
             tls::server_settings ss, const std::string& node_ca_pem) {
  ss.clients = tls::client_certs::optional;
  ss.client_trust_pem = node_ca_pem;
  std::string why;
  if (auto ctx = tls::context::server(ss, why))
    slot->set(std::move(ctx));
  else
    spdlog::warn("gateway TLS: cannot trust the new node CA: {}", why);
}

expected<net::tls_policy> raft_policy(const config::values& v) {
  // A replica's own certificate: the raft one, else the gateway's.
  bool own_raft = !v.get_string("journal.raft.tls_cert").empty();
  std::string cert_key = own_raft ? "journal.raft.tls_cert"
                                  : "journal.tls.cert";
  std::string key_key = own_raft ? "journal.raft.tls_key" : "journal.tls.key";
  if (v.get_string(cert_key).empty())
    return make_error("journal.raft.tls_cert (or journal.tls.cert), its key "
                      "and journal.raft.tls_ca are required for https raft "
                      "endpoints (mutual TLS between replicas)");
  auto id = tls::load_identity(cert_key, v.get_string(cert_key), key_key,
                               v.get_string(key_key));
  if (!id)
    return id.err();
  auto ca = tls::load_bundle("journal.raft.tls_ca",
                             v.get_string("journal.raft.tls_ca"));
  if (!ca)
    return ca.err();
  std::string why;
  tls::server_settings ss;
  ss.own = *id;
  ss.clients = tls::client_certs::required;
  ss.client_trust_pem = *ca;
  auto server = tls::context::server(ss, why);
  if (!server)
    return make_error("raft TLS: " + why);
  tls::client_settings cs;
  cs.trust_pem = *ca;
  cs.trust_source = v.get_string("journal.raft.tls_ca");
  cs.own = std::move(*id);
  auto client = tls::context::client(cs, why);
  if (!client)
    return make_error("raft TLS: " + why);
  net::tls_policy p;
  p.server = std::make_shared<tls::context_slot>(server);
  p.client = std::make_shared<tls::context_slot>(client);
  // Replica certificates name the replica, not the address it is dialed
  // at; the raft CA signs replica certificates only (docs/security.md).
  p.chain_only = true;
  // A dial blocks the middleman for at most this; peers on a management
  // network answer within milliseconds.
  p.handshake_timeout = std::chrono::milliseconds(2000);
  return p;
}

} // namespace

expected<journal_tls_plan>
plan_journal_tls(const config::values& v, bool gateway_tls, bool raft_tls,
                 const std::string& node_ca_pem, bool warn) {
  journal_tls_plan plan;
  plan.retrust_gateway = [](const std::string&) {};
  if (gateway_tls) {
    auto p = gateway_policy(v, node_ca_pem, warn);
    if (!p)
      return p.err();
    plan.gateway = std::move(*p);
    tls::server_settings ss;
    // Read again (a second time at start, never while serving).
    auto id
      = tls::load_identity("journal.tls.cert", v.get_string("journal.tls.cert"),
                           "journal.tls.key", v.get_string("journal.tls.key"));
    if (id)
      ss.own = std::move(*id);
    plan.retrust_gateway = [slot = plan.gateway->server,
                            ss](const std::string& pem) {
      retrust(slot, ss, pem);
    };
  }
  if (raft_tls) {
    auto p = raft_policy(v);
    if (!p)
      return p.err();
    plan.raft = std::move(*p);
  }
  return plan;
}

caf::io::middleman_actor
spawn_planned(caf::actor_system& sys, const std::optional<net::tls_policy>& p) {
  if (!p)
    return caf::io::middleman_actor{};
  return net::spawn_tls_middleman(sys, *p);
}

} // namespace pact::journal
