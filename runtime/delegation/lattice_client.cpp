#include "runtime/delegation/lattice_client.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <vector>

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

std::string check_lattice_endpoint(const std::string& endpoint) {
  std::string rest = endpoint;
  for (const char* scheme : {"https://", "http://"})
    if (rest.rfind(scheme, 0) == 0)
      rest = rest.substr(std::string(scheme).size());
  if (rest.find("://") != std::string::npos)
    return "PACT_LATTICE_ENDPOINT '" + endpoint
           + "' must be https://HOST:PORT, http://HOST:PORT or HOST:PORT";
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  auto colon = rest.rfind(':');
  if (rest.empty() || rest.find('/') != std::string::npos
      || colon == std::string::npos || colon + 1 == rest.size()
      || rest.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return "PACT_LATTICE_ENDPOINT '" + endpoint
           + "' must name a host and a port (https://HOST:PORT)";
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
  const char* tok = std::getenv("PACT_LATTICE_TOKEN");
  s.token_from_env = tok != nullptr && *tok != '\0';
  s.token = s.token_from_env ? std::string(tok) : pact_token;
  s.ca_bundle = ca_bundle;
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
  return make_error(answer.value("message", "lattice call failed"),
                    static_cast<exit_code>(answer.value("exit_code", 1)));
}

} // namespace pact::delegation
