#include "runtime/login/token_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

using namespace pact;
using namespace pact::login;

namespace {

login_record sample() {
  login_record r;
  r.server = "http://127.0.0.1:9443";
  r.issuer = "https://idp";
  r.client_id = "pact-cli";
  r.token_endpoint = "https://idp/token";
  r.grant = "device_code";
  r.access_token = "secret-access";
  r.refresh_token = "secret-refresh";
  r.obtained_at_unix = 1000;
  r.expires_at_unix = 1300;
  return r;
}

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/pact-login-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::filesystem::remove_all(path);
  }
};

unsigned mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

} // namespace

TEST_CASE("cache file names are per server and filesystem-safe") {
  CHECK(cache_file_name("http://127.0.0.1:9443")
        == "http___127.0.0.1_9443.json");
  CHECK(cache_file_name("http://127.0.0.1:9443/")
        == cache_file_name("http://127.0.0.1:9443"));
  CHECK(cache_file_name("https://../../etc") == "https___.._.._etc.json");
}

TEST_CASE("a record survives JSON") {
  auto r = sample();
  auto back = record_from_json(to_json(r), "f");
  REQUIRE(back);
  CHECK(back->access_token == r.access_token);
  CHECK(back->refresh_token == r.refresh_token);
  CHECK(back->expires_at_unix == 1300);
  auto bad = record_from_json("{}", "/x.json");
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == exit_code::auth_failure);
  CHECK(bad.err().message.find("/x.json") == 0);
}

TEST_CASE("check_private refuses group/other bits and other owners") {
  CHECK(check_private("/f", 0100600, 7, 7, false));
  CHECK(check_private("/d", 040700, 7, 7, true));
  auto loose = check_private("/f", 0100644, 7, 7, false);
  REQUIRE_FALSE(loose);
  CHECK(loose.err().code == exit_code::auth_failure);
  CHECK(loose.err().message.find("mode 0644") != std::string::npos);
  CHECK(loose.err().message.find("chmod 600 /f") != std::string::npos);
  auto dir = check_private("/d", 040755, 7, 7, true);
  REQUIRE_FALSE(dir);
  CHECK(dir.err().message.find("chmod 700 /d") != std::string::npos);
  CHECK_FALSE(check_private("/f", 0100600, 8, 7, false));
  // Group bits alone are as bad as others'.
  CHECK_FALSE(check_private("/f", 0100640, 7, 7, false));
  CHECK_FALSE(check_private("/f", 0100620, 7, 7, false));
  CHECK_FALSE(check_private("/d", 040710, 7, 7, true));
}

TEST_CASE("renewal starts a minute, or half a lifetime, before expiry") {
  auto r = sample(); // 300 s lifetime: a minute before
  CHECK_FALSE(needs_refresh(r, 1239));
  CHECK(needs_refresh(r, 1240));
  r.expires_at_unix = 1020; // 20 s lifetime: 10 s before
  CHECK_FALSE(needs_refresh(r, 1009));
  CHECK(needs_refresh(r, 1010));
  CHECK_FALSE(expired(r, 1019));
  CHECK(expired(r, 1020));
  r.expires_at_unix = 0;
  CHECK_FALSE(needs_refresh(r, 1 << 30));
  CHECK_FALSE(expired(r, 1 << 30));
}

TEST_CASE("store writes 0600 in a 0700 directory; load reads it back") {
  temp_dir t;
  token_cache cache(t.path + "/config/pact/tokens");
  auto none = cache.load(sample().server);
  REQUIRE(none);
  CHECK_FALSE(*none);
  REQUIRE(cache.store(sample()));
  CHECK(mode_of(cache.dir()) == 0700);
  CHECK(mode_of(cache.path_of(sample().server)) == 0600);
  auto back = cache.load(sample().server + "/");
  REQUIRE(back);
  REQUIRE(*back);
  CHECK((*back)->access_token == "secret-access");
  auto removed = cache.remove(sample().server);
  REQUIRE(removed);
  CHECK(*removed);
  CHECK_FALSE(*cache.remove(sample().server));
}

TEST_CASE("load refuses a cache others may read, without reading it") {
  temp_dir t;
  token_cache cache(t.path + "/tokens");
  REQUIRE(cache.store(sample()));
  ::chmod(cache.path_of(sample().server).c_str(), 0644);
  auto file = cache.load(sample().server);
  REQUIRE_FALSE(file);
  CHECK(file.err().code == exit_code::auth_failure);
  CHECK(file.err().message.find("secret") == std::string::npos);
  ::chmod(cache.path_of(sample().server).c_str(), 0600);
  ::chmod(cache.dir().c_str(), 0755);
  auto dir = cache.load(sample().server);
  REQUIRE_FALSE(dir);
  CHECK(dir.err().message.find(cache.dir()) == 0);
  CHECK_FALSE(cache.store(sample()));
}

TEST_CASE("a colliding file name of another server is not this login") {
  temp_dir t;
  token_cache cache(t.path + "/tokens");
  auto r = sample();
  r.server = "http://a:1";
  REQUIRE(cache.store(r));
  auto other = cache.load("http_//a:1"); // same file name, other server
  REQUIRE(other);
  CHECK_FALSE(*other);
}
