#include "runtime/delegation/lattice_client.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "runtime/common/http.hpp"
#include "runtime/delegation/lattice_module.hpp"

namespace pact::delegation {

namespace {

struct module_api {
  char* (*call)(const char*) = nullptr;
  void (*release)(char*) = nullptr;
  std::string problem;
};

std::string program_dir() {
  std::vector<char> buf(4096);
  auto n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0)
    return ".";
  std::string path(buf.data(), static_cast<size_t>(n));
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

module_api load_module() {
  module_api api;
  auto dir = program_dir();
  std::vector<std::string> candidates{dir + "/../lib/pact/pact-lattice.so",
                                      dir + "/pact-lattice.so"};
  void* handle = nullptr;
  for (const auto& path : candidates) {
    if (::access(path.c_str(), R_OK) != 0)
      continue;
    // RTLD_LOCAL: the module's protobuf (the full runtime) and gRPC stay
    // out of the program's symbol space (lattice_module.hpp).
    handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      api.problem = "the lattice client module " + path
                    + " cannot be loaded (a library it needs is missing: "
                      "reinstall pact's lattice support)";
      return api;
    }
    break;
  }
  if (handle == nullptr) {
    api.problem = "the lattice client module is not installed (looked for "
                  + candidates[0] + " and " + candidates[1] + ")";
    return api;
  }
  auto abi = reinterpret_cast<int (*)()>(::dlsym(handle, "pact_lattice_abi"));
  api.call = reinterpret_cast<char* (*)(const char*)>(
    ::dlsym(handle, "pact_lattice_call"));
  api.release
    = reinterpret_cast<void (*)(char*)>(::dlsym(handle, "pact_lattice_free"));
  if (abi == nullptr || api.call == nullptr || api.release == nullptr
      || abi() != PACT_LATTICE_ABI_VERSION) {
    api.call = nullptr;
    api.problem = "the lattice client module does not match this pact "
                  "(another version is installed beside it)";
  }
  return api;
}

const module_api& module() {
  static const module_api api = load_module();
  return api;
}

} // namespace

namespace {

bool starts_with_nocase(const std::string& s, const char* prefix) {
  size_t n = std::char_traits<char>::length(prefix);
  if (s.size() < n)
    return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i])
      return false;
  return true;
}

/// A DNS name or IPv4 address: letters, digits, '.', '-'.
bool plain_host(const std::string& h) {
  if (h.empty() || h.size() > 253)
    return false;
  for (char c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
      return false;
  return true;
}

/// "[v6 address]": hex digits, ':' and '.' inside the brackets.
bool bracketed_v6(const std::string& h) {
  if (h.size() < 4 || h.front() != '[' || h.back() != ']')
    return false;
  for (size_t i = 1; i + 1 < h.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(h[i])) && h[i] != ':'
        && h[i] != '.')
      return false;
  return h.find(':') != std::string::npos;
}

/// Empty when `path` is a readable PEM file with a certificate.
std::string check_ca_bundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream all;
  all << in.rdbuf();
  if (!in || all.str().empty())
    return "CA bundle " + path
           + " cannot be read (it verifies lattice's certificate; set "
             "PACT_CA_BUNDLE)";
  if (all.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    return "CA bundle " + path
           + " holds no PEM certificate (set "
             "PACT_CA_BUNDLE to the site CA's certificate)";
  return {};
}

} // namespace

std::string check_lattice_endpoint(const std::string& endpoint) {
  std::string rest = endpoint;
  for (const char* scheme : {"https://", "http://"})
    if (starts_with_nocase(rest, scheme))
      rest = rest.substr(std::char_traits<char>::length(scheme));
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  const std::string form = "PACT_LATTICE_ENDPOINT '" + endpoint
                           + "' must be https://HOST:PORT, http://HOST:PORT "
                             "or HOST:PORT (HOST a name, an IPv4 address or "
                             "[an IPv6 address]; PORT 1-65535)";
  auto colon = rest.rfind(':');
  if (colon == std::string::npos)
    return form;
  auto host = rest.substr(0, colon);
  auto port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5
      || port.find_first_not_of("0123456789") != std::string::npos
      || std::stoi(port) < 1 || std::stoi(port) > 65535)
    return form;
  if (!plain_host(host) && !bracketed_v6(host))
    return form;
  return {};
}

expected<lattice_settings>
lattice_settings_from_env(const std::string& pact_token,
                          const std::string& ca_bundle) {
  const char* ep = std::getenv("PACT_LATTICE_ENDPOINT");
  if (ep == nullptr || *ep == '\0')
    return make_error(lattice_not_configured);
  lattice_settings s;
  s.endpoint = ep;
  if (auto why = check_lattice_endpoint(s.endpoint); !why.empty())
    return make_error(why);
  // Schemes are case-insensitive (RFC 3986 §3.1); the module reads them
  // in lower case.
  for (const char* scheme : {"https://", "http://"})
    if (starts_with_nocase(s.endpoint, scheme))
      s.endpoint = scheme + s.endpoint.substr(std::strlen(scheme));
  const char* tok = std::getenv("PACT_LATTICE_TOKEN");
  s.token_from_env = tok != nullptr && *tok != '\0';
  s.token = s.token_from_env ? std::string(tok) : pact_token;
  if (!http::bearer_token_ok(s.token))
    return make_error(std::string(s.token_from_env
                                    ? "PACT_LATTICE_TOKEN"
                                    : "the pact token sent to lattice (no "
                                      "PACT_LATTICE_TOKEN is set)")
                      + " holds characters a bearer token cannot have (RFC "
                        "6750 section 2.1: a trailing newline?)");
  bool tls = !starts_with_nocase(s.endpoint, "http://");
  if (tls && !ca_bundle.empty())
    if (auto why = check_ca_bundle(ca_bundle); !why.empty())
      return make_error(why);
  s.ca_bundle = ca_bundle;
  // The module, before anything is recorded: a missing one is this
  // installation's problem, not a delegation that failed.
  if (module().call == nullptr)
    return make_error(module().problem);
  return s;
}

expected<nlohmann::json> lattice_call(const lattice_settings& settings,
                                      const std::string& method,
                                      const nlohmann::json& request) {
  const auto& api = module();
  if (api.call == nullptr)
    return make_error(api.problem);
  nlohmann::json call{{"endpoint", settings.endpoint},
                      {"token", settings.token},
                      {"token_from_env", settings.token_from_env},
                      {"ca_bundle", settings.ca_bundle},
                      {"deadline_ms", settings.deadline_ms},
                      {"method", method},
                      {"request", request}};
  char* raw = api.call(call.dump().c_str());
  auto answer = nlohmann::json::parse(raw, nullptr, false);
  api.release(raw);
  if (!answer.is_object())
    return make_error("the lattice client module answered nonsense");
  if (answer.value("ok", false))
    return answer.value("response", nlohmann::json::object());
  auto e = make_error(answer.value("message", "lattice call failed"),
                      static_cast<exit_code>(answer.value("exit_code", 1)));
  e.outcome_unknown = answer.value("outcome_unknown", false);
  return e;
}

} // namespace pact::delegation
