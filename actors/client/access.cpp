#include "actors/client/access.hpp"

#include <chrono>
#include <iostream>

#include "runtime/common/files.hpp"
#include "runtime/login/renewal.hpp"

namespace pact::client {

expected<std::vector<endpoint>> journal_endpoints(const config::values& cfg) {
  auto where = cfg.origin_of("endpoint").where;
  std::vector<endpoint> out;
  for (auto& text : cfg.get_list("endpoint")) {
    auto ep = parse_endpoint(text, where.empty() ? "endpoint" : where);
    if (!ep)
      return ep.err();
    out.push_back(*ep);
  }
  if (out.empty())
    return make_error((where.empty() ? std::string("endpoint") : where)
                      + ": no journal endpoint given");
  return out;
}

login::https_options idp_http(const config::values& cfg,
                              const config::env_lookup& env) {
  login::https_options opts;
  opts.ca_bundle = config::expand_home(cfg.get_string("oidc_ca_bundle"), env);
  opts.timeout = timeout_of(cfg);
  return opts;
}

login::token_cache login_cache(const config::values& cfg,
                               const config::env_lookup& env) {
  return login::token_cache(
    config::expand_home(cfg.get_string("login_cache_dir"), env));
}

namespace {

/// The token of the first journal endpoint with a `pact login` cache,
/// renewed when due; empty when none has one.
expected<std::string> cached_login_token(const config::values& cfg,
                                         const config::env_lookup& env) {
  auto cache = login_cache(cfg, env);
  for (auto& server : cfg.get_list("endpoint")) {
    auto r = cache.load(server);
    if (!r)
      return r.err();
    if (!*r)
      continue;
    login::renewal_inputs in;
    in.now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    in.http = idp_http(cfg, env);
    in.client_id = env("PACT_CLIENT_ID").value_or("");
    in.client_secret = env("PACT_CLIENT_SECRET").value_or("");
    in.warn = [](const std::string& why) {
      std::cerr << "pact: warning: " << why << "\n";
    };
    return login::current_token(cache, std::move(**r), in);
  }
  return std::string();
}

} // namespace

expected<std::string> resolve_token(const config::values& cfg,
                                    const char* own_variable) {
  auto env = config::process_env();
  if (own_variable != nullptr)
    if (auto t = env(own_variable); t && !t->empty())
      return *t;
  if (!cfg.get_string("token").empty())
    return cfg.get_string("token");
  auto cached = cached_login_token(cfg, env);
  if (!cached || !cached->empty())
    return cached;
  auto path = config::expand_home(cfg.get_string("token_file"), env);
  if (files::exists(path)) {
    auto text = files::read_all(path);
    if (!text)
      return error{exit_code::auth_failure, text.err().message};
    auto t = *text;
    while (!t.empty()
           && (t.back() == '\n' || t.back() == '\r' || t.back() == ' '))
      t.pop_back();
    if (!t.empty())
      return t;
  }
  std::string vars = own_variable != nullptr
                       ? std::string(own_variable) + ", PACT_TOKEN"
                       : std::string("PACT_TOKEN");
  return make_error("No auth token found: set " + vars
                      + " or write the token to " + cfg.get_string("token_file")
                      + " (or run pact login)",
                    exit_code::auth_failure);
}

std::chrono::milliseconds timeout_of(const config::values& cfg) {
  return std::chrono::seconds(cfg.get_int("timeout_seconds"));
}

} // namespace pact::client
