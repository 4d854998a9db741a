// Token and endpoint resolution, one for `pact` and pact-mcp
// (actors/client/access.hpp). pact-mcp had its own copy that kept a token
// file's trailing spaces and took an unreadable token file for no token.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include <sys/stat.h>
#include <unistd.h>

#include "actors/client/access.hpp"
#include "runtime/common/schemas.hpp"

using namespace pact;

namespace {

/// A unique scratch file path.
std::string scratch(const std::string& name) {
  return "/tmp/pact_access_test_" + std::to_string(::getpid()) + "_" + name;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// The CLI configuration with `flags` and a cli.toml holding `toml`.
config::values cli_config(const std::string& toml,
                          std::map<std::string, std::string> flags = {}) {
  auto file = scratch("cli.toml");
  write(file, toml);
  config::load_request r;
  r.keys = &config::cli_schema();
  r.file_path = file;
  r.file_required = true;
  r.env = [](const char*) { return std::optional<std::string>{}; };
  r.flags = std::move(flags);
  auto v = config::load(r);
  ::unlink(file.c_str());
  REQUIRE(v);
  return *v;
}

/// Sets an environment variable for the scope.
struct env_var {
  const char* name;
  env_var(const char* n, const char* value) : name(n) {
    ::setenv(n, value, 1);
  }
  ~env_var() {
    ::unsetenv(name);
  }
};

constexpr const char* own = "PACT_ACCESS_TEST_TOKEN";

} // namespace

TEST_CASE("the front end's own variable comes first, then the CLI's token") {
  auto cfg = cli_config("token_file = \"/nonexistent/token\"\n",
                        {{"token", "from-flag"}});
  CHECK(*client::resolve_token(cfg, own) == "from-flag");
  env_var v{own, "from-own-variable"};
  CHECK(*client::resolve_token(cfg, own) == "from-own-variable");
  CHECK(*client::resolve_token(cfg) == "from-flag");
}

TEST_CASE("a token file's trailing whitespace is not part of the token") {
  auto path = scratch("token");
  write(path, "abc.def \r\n");
  auto cfg = cli_config("token_file = \"" + path + "\"\n");
  auto t = client::resolve_token(cfg, own);
  ::unlink(path.c_str());
  REQUIRE(t);
  CHECK(*t == "abc.def");
}

TEST_CASE("no token anywhere is exit 2 naming where to put one") {
  auto cfg = cli_config("token_file = \"/nonexistent/token\"\n");
  auto t = client::resolve_token(cfg);
  REQUIRE_FALSE(t);
  CHECK(t.err().code == exit_code::auth_failure);
  CHECK(t.err().message
        == "No auth token found: set PACT_TOKEN or write the token to "
           "/nonexistent/token (or run pact login)");
  auto m = client::resolve_token(cfg, own);
  REQUIRE_FALSE(m);
  CHECK(m.err().message.find("set PACT_ACCESS_TEST_TOKEN, PACT_TOKEN or")
        != std::string::npos);
}

TEST_CASE("an unreadable token file is an auth failure, not an empty token") {
  auto dir = scratch("dir");
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  auto cfg = cli_config("token_file = \"" + dir + "\"\n");
  auto t = client::resolve_token(cfg, own);
  ::rmdir(dir.c_str());
  REQUIRE_FALSE(t);
  CHECK(t.err().code == exit_code::auth_failure);
}

TEST_CASE("endpoints: a comma-separated list, in order; a bad one is named") {
  auto cfg = cli_config("", {{"endpoint", "http://j1:9443,http://j2:9444"}});
  auto eps = client::journal_endpoints(cfg);
  REQUIRE(eps);
  REQUIRE(eps->size() == 2);
  CHECK((*eps)[0].url() == "http://j1:9443");
  CHECK((*eps)[1].url() == "http://j2:9444");
  auto bad = client::journal_endpoints(
    cli_config("endpoint = [\"http://j1:9443\", \"ftp://x\"]\n"));
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message.find("ftp://x") != std::string::npos);
}

namespace {

/// A `pact login` cache for journal `server` under `dir`.
void write_login(const std::string& dir, const std::string& server,
                 const std::string& token, unsigned mode = 0600) {
  login::login_record r;
  r.server = server;
  r.access_token = token;
  r.issuer = "https://idp.example";
  login::token_cache cache(dir);
  REQUIRE(cache.store(r));
  ::chmod(cache.path_of(server).c_str(), mode);
}

} // namespace

TEST_CASE("the login cache of the journal comes after the token, before the "
          "token file") {
  auto dir = scratch("logins");
  auto file = scratch("token-file");
  write(file, "from-file\n");
  auto toml = "token_file = \"" + file + "\"\nlogin_cache_dir = \"" + dir
              + "\"\nendpoint = \"http://j1:9443, http://j2:9443\"\n";
  CHECK(*client::resolve_token(cli_config(toml)) == "from-file");
  // The second endpoint's login: the first endpoint has none.
  write_login(dir, "http://j2:9443", "from-login-j2");
  CHECK(*client::resolve_token(cli_config(toml)) == "from-login-j2");
  write_login(dir, "http://j1:9443", "from-login-j1");
  CHECK(*client::resolve_token(cli_config(toml)) == "from-login-j1");
  CHECK(*client::resolve_token(cli_config(toml, {{"token", "from-flag"}}))
        == "from-flag");
  // Another journal's login is not used.
  auto other = "token_file = \"" + file + "\"\nlogin_cache_dir = \"" + dir
               + "\"\nendpoint = \"http://j3:9443\"\n";
  CHECK(*client::resolve_token(cli_config(other)) == "from-file");
  // A cache others can read is an error, not skipped.
  ::chmod((dir + "/http___j1_9443.json").c_str(), 0644);
  auto loose = client::resolve_token(cli_config(toml));
  REQUIRE_FALSE(loose);
  CHECK(loose.err().code == exit_code::auth_failure);
  CHECK(loose.err().message.find("is open to other users")
        != std::string::npos);
  for (auto* n : {"http___j1_9443.json", "http___j2_9443.json"})
    ::unlink((dir + "/" + n).c_str());
  ::rmdir(dir.c_str());
  ::unlink(file.c_str());
}
