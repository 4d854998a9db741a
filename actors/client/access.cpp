#include "actors/client/access.hpp"

#include "runtime/common/files.hpp"

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

expected<std::string> resolve_token(const config::values& cfg,
                                    const char* own_variable) {
  auto env = config::process_env();
  if (own_variable != nullptr)
    if (auto t = env(own_variable); t && !t->empty())
      return *t;
  if (!cfg.get_string("token").empty())
    return cfg.get_string("token");
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
                      + " or write the token to "
                      + cfg.get_string("token_file"),
                    exit_code::auth_failure);
}

std::chrono::milliseconds timeout_of(const config::values& cfg) {
  return std::chrono::seconds(cfg.get_int("timeout_seconds"));
}

} // namespace pact::client
