// `pact login [--server URL] [--device-code | --service-account]` and
// `pact logout [--server URL]`: obtain tokens from the identity provider
// that the journal names (an unauthenticated discovery request), keep them
// in the login cache (runtime/login/token_cache.hpp), and clear them
// again. docs/authentication.md describes the flows for operators.

#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "actors/client/access.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/login/oauth_flows.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The journal to log in to: --server, else the first journal endpoint.
expected<std::string> server_of(const context& ctx) {
  std::string server = ctx.vm.count("server")
                         ? ctx.vm["server"].as<std::string>()
                         : ctx.cfg.get_list("endpoint").front();
  auto ep = parse_endpoint(server, "--server");
  if (!ep)
    return ep.err();
  return login::server_key(server);
}

/// Asks the journal at `server` who issues its tokens (api.proto
/// DiscoveryRequest; no token needed).
expected<protocol::DiscoveryReply> ask_discovery(const context& ctx,
                                                 const std::string& server) {
  auto ep = parse_endpoint(server, "--server");
  if (!ep)
    return ep.err();
  client::options opts{{*ep}, "journal", "", client::timeout_of(ctx.cfg)};
  opts.ca_bundle = ctx.cfg.get_string("ca_bundle");
  journal_session s(&invocation_actor_system(), std::move(opts));
  protocol::Request req;
  req.set_request_id("discovery");
  req.mutable_discovery();
  auto resp = s.call(std::move(req));
  if (!resp)
    return resp.err();
  const auto& d = resp->discovery_reply();
  if (d.issuer().rfind("https://", 0) != 0)
    return make_error("the journal at " + server
                      + " names no identity provider (its issuer is '"
                      + terminal_safe(d.issuer())
                      + "', not an https URL): it accepts development or "
                        "configured tokens only; set PACT_TOKEN or write "
                        "the token to the token file instead");
  return d;
}

std::string scope_of(const protocol::DiscoveryReply& d, bool service) {
  // Service accounts get what their client is configured for; a person's
  // login asks for an identity and a refresh token.
  std::string scope = service ? "" : "openid offline_access";
  for (auto& s : d.scopes())
    scope += (scope.empty() ? "" : " ") + s;
  return scope;
}

/// RFC 8628: prints where to approve the login, then polls.
expected<login::token_set> device_login(const login::provider_endpoints& p,
                                        const protocol::DiscoveryReply& d,
                                        const login::https_options& http) {
  auto auth = login::start_device_login(p, d.client_id(), scope_of(d, false),
                                        http);
  if (!auth)
    return auth.err();
  // On stderr: stdout stays the result (--output json). The provider's
  // text is shown without control bytes.
  std::cerr << "To log in, open " << terminal_safe(auth->verification_uri)
            << " and enter the code " << terminal_safe(auth->user_code) << "\n";
  if (!auth->verification_uri_complete.empty())
    std::cerr << "  (or open " << terminal_safe(auth->verification_uri_complete)
              << ")\n";
  std::cerr << "Waiting for the login to be approved (the code expires in "
            << (auth->expires_in_seconds + 59) / 60 << " min)..." << std::endl;
  auto steady_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
  };
  login::device_poll poll(*auth, steady_ms());
  return login::poll_device_login(
    poll,
    [&] {
      return login::poll_device_token(p, d.client_id(), auth->device_code,
                                      http);
    },
    steady_ms,
    [&](int64_t until) {
      std::this_thread::sleep_for(
        std::chrono::milliseconds(std::max<int64_t>(0, until - steady_ms())));
    });
}

int run_login(context& ctx) {
  bool service = ctx.vm.count("service-account") > 0;
  if (service && ctx.vm.count("device-code"))
    return report(make_error("login: --device-code and --service-account "
                             "exclude each other"));
  auto env = config::process_env();
  std::string id, secret;
  if (service) {
    id = env("PACT_CLIENT_ID").value_or("");
    secret = env("PACT_CLIENT_SECRET").value_or("");
    if (id.empty() || secret.empty())
      return report(make_error("login --service-account: set PACT_CLIENT_ID "
                               "and PACT_CLIENT_SECRET to the service "
                               "account's client credentials",
                               exit_code::auth_failure));
  }
  auto server = server_of(ctx);
  if (!server)
    return report(server.err());
  auto d = ask_discovery(ctx, *server);
  if (!d)
    return report(d.err());
  auto http = client::idp_http(ctx.cfg, env);
  auto p = login::discover(d->issuer(), http);
  if (!p)
    return report(p.err());
  login::login_record r;
  r.server = *server;
  r.issuer = p->issuer;
  r.audience = d->audience();
  r.token_endpoint = p->token_endpoint;
  r.revocation_endpoint = p->revocation_endpoint;
  r.grant = service ? "client_credentials" : "device_code";
  r.client_id = service ? id : d->client_id();
  auto tokens = service
                  ? login::client_credentials_login(*p, id, secret,
                                                    scope_of(*d, true), http)
                  : device_login(*p, *d, http);
  if (!tokens)
    return report(tokens.err());
  login::apply_tokens(r, *tokens, now_unix());
  auto cache = client::login_cache(ctx.cfg, env);
  if (auto st = cache.store(r); !st)
    return report(st.err());
  auto who = login::unverified_identity(r.access_token);
  if (ctx.json) {
    std::cout << nlohmann::json{{"server", r.server},
                                {"issuer", r.issuer},
                                {"grant", r.grant},
                                {"identity", who},
                                {"expires_at_unix", r.expires_at_unix},
                                {"renewable", !r.refresh_token.empty()},
                                {"cache", cache.path_of(r.server)}}
                   .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "Logged in to " << r.server
            << (who.empty() ? std::string() : " as " + who);
  if (r.expires_at_unix != 0)
    std::cout << "; the token expires in "
              << (r.expires_at_unix - r.obtained_at_unix + 59) / 60 << " min"
              << (r.refresh_token.empty() ? "" : " and is renewed as needed");
  std::cout << "\n";
  return 0;
}

/// Revokes `r`'s tokens at the provider, best-effort: failures are
/// warnings (the local cache is cleared anyway). The refresh token matters
/// most: without it no new access token is issued. An access token the
/// provider cannot revoke (a self-contained JWT) is only mentioned.
void revoke_at_provider(const context& ctx, const login::login_record& r) {
  auto env = config::process_env();
  auto http = client::idp_http(ctx.cfg, env);
  std::string secret;
  if (r.grant == "client_credentials") {
    if (env("PACT_CLIENT_ID").value_or("") != r.client_id)
      return; // a confidential client cannot revoke without its secret
    secret = env("PACT_CLIENT_SECRET").value_or("");
  }
  for (auto [token, hint] : {std::pair{&r.refresh_token, "refresh_token"},
                             std::pair{&r.access_token, "access_token"}}) {
    if (token->empty())
      continue;
    auto done = login::revoke_token(r, *token, hint, http, secret);
    if (!done) {
      std::cerr << "pact: warning: could not revoke the login at the "
                   "identity provider ("
                << done.err().message
                << "); its tokens stay valid until they expire\n";
      return;
    }
    if (*done == login::revocation::unsupported && r.refresh_token.empty())
      std::cerr << "pact: the identity provider cannot revoke the access "
                   "token; it stays valid until it expires\n";
  }
}

int run_logout(context& ctx) {
  auto server = server_of(ctx);
  if (!server)
    return report(server.err());
  auto cache = client::login_cache(ctx.cfg, config::process_env());
  // A cache that cannot be read (loose permissions) is still removed:
  // logout always clears the local state.
  if (auto r = cache.load(*server); r && *r)
    revoke_at_provider(ctx, **r);
  auto removed = cache.remove(*server);
  if (!removed)
    return report(removed.err());
  if (ctx.json)
    std::cout
      << nlohmann::json{{"server", *server}, {"logged_out", *removed}}.dump(2)
      << "\n";
  else
    std::cout << (*removed ? "Logged out of " : "Not logged in to ") << *server
              << "\n";
  return 0;
}

void declare_server(po::options_description& desc) {
  desc.add_options()("server", po::value<std::string>(),
                     "The journal to log in to (default: the first "
                     "journal endpoint)");
}

} // namespace

command login_command() {
  command c;
  c.name = "login";
  c.summary = "Log in at the journal's identity provider";
  c.usage = "[--server URL] [--device-code | --service-account]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) {
    declare_server(desc);
    desc.add_options()("device-code",
                       "Use the device authorization grant (the default)")(
      "service-account",
      "Use client credentials from PACT_CLIENT_ID and PACT_CLIENT_SECRET");
  };
  c.run = run_login;
  return c;
}

command logout_command() {
  command c;
  c.name = "logout";
  c.summary = "Forget the login to a journal and revoke its tokens";
  c.usage = "[--server URL]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) { declare_server(desc); };
  c.run = run_logout;
  return c;
}

} // namespace pact::cli
