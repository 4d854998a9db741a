#include "runtime/policy/request_auth.hpp"

#include "runtime/common/files.hpp"
#include "runtime/pki/node_token.hpp"

#include <algorithm>

#include <fstream>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sstream>

namespace pact::policy {

namespace {

/// The refusal of `what` (a request, a node report) of `bytes` above
/// max_request_bytes; "" when within.
std::string size_refusal(const std::string& what, size_t bytes) {
  if (bytes <= max_request_bytes)
    return {};
  return what + " of " + std::to_string(bytes) + " bytes exceeds the limit of "
         + std::to_string(max_request_bytes) + " bytes";
}

/// `text` without leading and trailing blanks ("ml-team = pact-ops-ml").
std::string trim(const std::string& text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos)
    return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// Why `path` is not a usable PEM CA bundle ("" when it holds at least one
/// certificate): checked at start, so a wrong file stops the daemon
/// instead of failing every fetch later with a TLS error.
std::string pem_bundle_problem(const std::string& path) {
  if (!files::exists(path))
    return "no such file";
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr)
    return "cannot be read";
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  bool ok = cert != nullptr;
  X509_free(cert);
  BIO_free(bio);
  ERR_clear_error();
  return ok ? "" : "holds no PEM certificate";
}

/// The JWKS source and cache times of `prefix`; a key_store when one is
/// configured.
status load_jwks_settings(const config::values& v, const std::string& prefix,
                          verifier_config& cfg) {
  auto& j = cfg.jwks;
  j.jwks_url = v.get_string(prefix + ".oidc.jwks_url");
  j.issuer = cfg.issuer;
  j.ca_bundle = v.get_string(prefix + ".oidc.ca_bundle");
  j.ttl_ms = v.get_int(prefix + ".oidc.jwks_cache_ttl_seconds") * 1000;
  j.min_refresh_interval_ms
    = v.get_int(prefix + ".oidc.jwks_refresh_interval_seconds") * 1000;
  // The keys decide who may do anything: fetching them in clear text would
  // let anyone on the path substitute their own.
  if (!j.jwks_url.empty() && j.jwks_url.rfind("https://", 0) != 0)
    return make_error(prefix + ".oidc.jwks_url: '" + j.jwks_url
                      + "' is not an https URL (keys are fetched over TLS "
                        "only)");
  // An http:// issuer is not discovered (its keys would come in clear
  // text); it may still name the issuer of development tokens, so it is
  // not an error: RS256/PS256/ES256 tokens are then refused, saying why.
  if (!j.ca_bundle.empty()) {
    if (auto why = pem_bundle_problem(j.ca_bundle); !why.empty())
      return make_error(prefix + ".oidc.ca_bundle: " + j.ca_bundle + ": "
                        + why);
  }
  if (j.enabled())
    cfg.keys = std::make_shared<key_store>();
  return {};
}

} // namespace

expected<std::map<std::string, std::vector<std::string>>>
parse_group_map(const std::vector<std::string>& entries,
                const std::string& key) {
  std::map<std::string, std::vector<std::string>> map;
  for (const auto& entry : entries) {
    auto eq = entry.find('=');
    auto source = eq == std::string::npos ? "" : trim(entry.substr(0, eq));
    auto target = eq == std::string::npos ? "" : trim(entry.substr(eq + 1));
    if (source.empty() || target.empty())
      return make_error(key + ": '" + entry + "' is not IDP_GROUP=PACT_GROUP");
    if (!parse_role(target))
      return make_error(key + ": '" + target
                        + "' is not a pact group (pact-platform-admin, "
                          "pact-ops-VC, pact-viewer-VC, pact-regulated-VC, "
                          "pact-service-ai, pact-node)");
    map[source].push_back(target);
  }
  return map;
}

expected<protocol::Request> parse_request(const std::string& bytes) {
  if (auto why = size_refusal("request", bytes.size()); !why.empty())
    return make_error(why);
  protocol::Request req;
  if (!req.ParseFromString(bytes))
    return make_error("malformed request: not a pact Request envelope");
  if (req.version() != protocol::PROTOCOL_VERSION_1)
    return make_error("unsupported protocol version "
                      + std::to_string(static_cast<int>(req.version()))
                      + " (this server speaks version 1)");
  return req;
}

expected<protocol::NodeReport> parse_node_report(const std::string& bytes) {
  if (auto why = size_refusal("node report", bytes.size()); !why.empty())
    return make_error(why);
  protocol::NodeReport report;
  if (!report.ParseFromString(bytes))
    return make_error("malformed node report: not a pact NodeReport");
  if (report.node_id().empty())
    return make_error("node report names no node");
  return report;
}

const authenticated* token_cache::find(const std::string& token, int64_t now_s,
                                       int64_t leeway_s) {
  const authenticated* hit = nullptr;
  if (auto i = current_.find(token); i != current_.end()) {
    hit = &i->second;
  } else if (auto j = previous_.find(token); j != previous_.end()) {
    auto who = std::move(j->second);
    previous_.erase(j);
    hit = &put(token, std::move(who)); // in use: keep it
  }
  if (hit == nullptr)
    return nullptr;
  auto& c = hit->claims;
  // Same time rules as verify_token: expired at exp + leeway, valid from
  // nbf - leeway.
  if (now_s >= c.expires_at + leeway_s)
    return nullptr;
  if (c.not_before != 0 && now_s + leeway_s < c.not_before)
    return nullptr;
  return hit;
}

void token_cache::key_generation(uint64_t generation) {
  if (generation == key_generation_)
    return;
  key_generation_ = generation;
  current_.clear();
  previous_.clear();
}

void token_cache::insert(const std::string& token, const authenticated& who) {
  put(token, who);
}

authenticated& token_cache::put(const std::string& token, authenticated who) {
  if (current_.size() >= max_ && current_.count(token) == 0) {
    previous_ = std::move(current_);
    current_.clear();
  }
  auto& slot = current_[token];
  slot = std::move(who);
  return slot;
}

expected<authenticated>
authenticate(const protocol::Request& req, const verifier_config& cfg,
             int64_t now_unix_seconds, token_cache* cache, bool* unknown_key) {
  if (req.token().empty())
    return make_error("No auth token found: set PACT_TOKEN or write the "
                      "token to ~/.config/pact/token",
                      exit_code::auth_failure);
  auto who = authenticate_token(req.token(), cfg, now_unix_seconds, cache,
                                unknown_key);
  // Request.ai_agent only restricts: the caller is held to the rules of
  // AI principals and recorded as one (the bridge's own token may be a
  // human's, e.g. the CLI token it falls back to).
  if (who && req.ai_agent())
    who->claims.principal_type = "agent";
  return who;
}

namespace {

/// Longest lifetime of a node token (agents mint them for five minutes).
constexpr int64_t node_token_max_lifetime_s = 3600;

/// A token an enrolled agent signed with its node key, carrying its
/// certificate (x5c): the node is the certificate's subject, its role
/// pact-node. The caller checks the serial against the enrollment.
expected<authenticated>
authenticate_node_token(const std::string& token, const verifier_config& cfg,
                        int64_t now, token_cache* cache) {
  auto bundle = cfg.node_ca_bundle ? cfg.node_ca_bundle() : std::string{};
  if (bundle.empty())
    return make_error("authentication failed: node certificate tokens are "
                      "not accepted here",
                      exit_code::auth_failure);
  auto v = pki::verify_node_token(token, bundle, cfg.audience, now,
                                  std::max<int64_t>(0, cfg.leeway_seconds),
                                  node_token_max_lifetime_s);
  if (!v)
    return make_error("authentication failed: " + v.error().message,
                      exit_code::auth_failure);
  authenticated who;
  who.claims.subject = v->node;
  who.claims.issuer = pki::node_token_issuer;
  who.claims.audience = cfg.audience;
  who.claims.groups = {"pact-node"};
  who.claims.issued_at = v->issued_at;
  who.claims.expires_at = v->expires_at;
  who.claims.principal_type = "service";
  who.claims.cert_serial = v->cert_serial_hex;
  who.roles = parse_roles(who.claims.groups);
  if (cache != nullptr)
    cache->insert(token, who);
  return who;
}

} // namespace

expected<authenticated>
authenticate_token(const std::string& token, const verifier_config& cfg,
                   int64_t now_unix_seconds, token_cache* cache,
                   bool* unknown_key) {
  if (cache != nullptr && cfg.keys)
    cache->key_generation(cfg.keys->generation());
  if (cache != nullptr)
    if (auto hit = cache->find(token, now_unix_seconds,
                               std::max<int64_t>(0, cfg.leeway_seconds)))
      return *hit;
  if (pki::looks_like_node_token(token))
    return authenticate_node_token(token, cfg, now_unix_seconds, cache);
  auto res = verify_token(token, cfg, now_unix_seconds);
  if (unknown_key != nullptr)
    *unknown_key = res.unknown_key;
  if (!res.ok)
    return make_error("authentication failed: " + res.error,
                      exit_code::auth_failure);
  authenticated who;
  who.roles = parse_roles(res.claims.groups);
  who.claims = std::move(res.claims);
  if (cache != nullptr)
    cache->insert(token, who);
  return who;
}

expected<verifier_config> load_verifier(const config::values& v,
                                        const std::string& prefix) {
  verifier_config cfg;
  cfg.issuer = v.get_string(prefix + ".oidc.issuer");
  cfg.audience = v.get_string(prefix + ".oidc.audience");
  cfg.roles_claim = v.get_string(prefix + ".oidc.roles_claim");
  cfg.max_lifetime_seconds
    = v.get_int(prefix + ".oidc.max_token_lifetime_seconds");
  auto map = parse_group_map(v.get_list(prefix + ".oidc.roles_map"),
                             prefix + ".oidc.roles_map");
  if (!map)
    return map.err();
  cfg.group_map = std::move(*map);
  if (auto st = load_jwks_settings(v, prefix, cfg); !st)
    return st.err();
  cfg.hmac_secret = v.get_string(prefix + ".oidc.hmac_secret");
  auto& file = v.get_string(prefix + ".oidc.hmac_secret_file");
  if (cfg.hmac_secret.empty() && !file.empty()) {
    std::ifstream in(file);
    if (!in || !files::not_a_directory(file))
      return make_error(file + ": cannot read the HS256 secret file (" + prefix
                        + ".oidc.hmac_secret_file)");
    std::stringstream buf;
    buf << in.rdbuf();
    cfg.hmac_secret = buf.str();
    while (
      !cfg.hmac_secret.empty()
      && (cfg.hmac_secret.back() == '\n' || cfg.hmac_secret.back() == '\r'))
      cfg.hmac_secret.pop_back();
    if (cfg.hmac_secret.empty())
      return make_error(file + ": the HS256 secret file is empty");
  }
  return cfg;
}

protocol::Response error_response(const std::string& request_id,
                                  protocol::StatusCode code,
                                  const std::string& message) {
  protocol::Response resp;
  resp.set_version(protocol::PROTOCOL_VERSION_1);
  resp.set_request_id(request_id);
  resp.mutable_status()->set_code(code);
  resp.mutable_status()->set_message(message);
  return resp;
}

protocol::StatusCode status_code_for(exit_code code) {
  switch (code) {
    case exit_code::success:
      return protocol::STATUS_CODE_OK;
    case exit_code::auth_failure:
      return protocol::STATUS_CODE_UNAUTHORIZED;
    case exit_code::policy_rejection:
      return protocol::STATUS_CODE_POLICY_REJECTED;
    case exit_code::conflict:
      return protocol::STATUS_CODE_CONFLICT;
    case exit_code::unavailable:
      return protocol::STATUS_CODE_UNAVAILABLE;
    case exit_code::not_whitelisted:
      return protocol::STATUS_CODE_NOT_WHITELISTED;
    case exit_code::rollback_blocked:
      return protocol::STATUS_CODE_ROLLBACK_BLOCKED;
    case exit_code::general_error:
      return protocol::STATUS_CODE_ERROR;
  }
  return protocol::STATUS_CODE_ERROR;
}

} // namespace pact::policy
