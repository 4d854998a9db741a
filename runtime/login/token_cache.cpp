#include "runtime/login/token_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/common/files.hpp"

namespace pact::login {

namespace {

using json = nlohmann::json;

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

/// stat(2) of `path`: nothing when it does not exist.
expected<std::optional<struct stat>> stat_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0)
    return std::optional<struct stat>(st);
  if (errno == ENOENT)
    return std::optional<struct stat>();
  return make_error("cannot read " + path + ": " + std::strerror(errno),
                    exit_code::auth_failure);
}

} // namespace

std::string server_key(const std::string& server) {
  auto s = server;
  while (!s.empty() && s.back() == '/')
    s.pop_back();
  return s;
}

std::string cache_file_name(const std::string& server) {
  auto name = server_key(server);
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
      c = '_';
  return name + ".json";
}

std::string to_json(const login_record& r) {
  json j{{"server", r.server},
         {"issuer", r.issuer},
         {"client_id", r.client_id},
         {"audience", r.audience},
         {"token_endpoint", r.token_endpoint},
         {"revocation_endpoint", r.revocation_endpoint},
         {"grant", r.grant},
         {"access_token", r.access_token},
         {"refresh_token", r.refresh_token},
         {"expires_at_unix", r.expires_at_unix},
         {"obtained_at_unix", r.obtained_at_unix}};
  return j.dump(2) + "\n";
}

expected<login_record> record_from_json(const std::string& text,
                                        const std::string& path) {
  auto j = json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) {
    return make_error(path + ": " + why
                        + "; run pact logout and pact login again",
                      exit_code::auth_failure);
  };
  if (j.is_discarded() || !j.is_object())
    return bad("not a pact login cache (not a JSON object)");
  login_record r;
  auto str = [&](const char* name, std::string& into) {
    auto i = j.find(name);
    if (i != j.end() && i->is_string())
      into = i->get<std::string>();
  };
  auto num = [&](const char* name, int64_t& into) {
    auto i = j.find(name);
    if (i != j.end() && i->is_number_integer())
      into = i->get<int64_t>();
  };
  str("server", r.server);
  str("issuer", r.issuer);
  str("client_id", r.client_id);
  str("audience", r.audience);
  str("token_endpoint", r.token_endpoint);
  str("revocation_endpoint", r.revocation_endpoint);
  str("grant", r.grant);
  str("access_token", r.access_token);
  str("refresh_token", r.refresh_token);
  num("expires_at_unix", r.expires_at_unix);
  num("obtained_at_unix", r.obtained_at_unix);
  if (r.server.empty() || r.access_token.empty())
    return bad("no server or access token in it");
  return r;
}

status check_private(const std::string& path, unsigned mode, unsigned owner,
                     unsigned me, bool directory) {
  auto fix = directory ? "chmod 700 " + path : "chmod 600 " + path;
  if (owner != me)
    return make_error(path + " belongs to another user (uid "
                        + std::to_string(owner)
                        + "): pact uses only login caches of its own user; "
                          "remove it and run pact login",
                      exit_code::auth_failure);
  if ((mode & 077) != 0)
    return make_error(path + " is open to other users (mode " + octal(mode)
                        + "): pact keeps tokens only in files of mode 0600 "
                          "in a directory of mode 0700, since whoever reads "
                          "them acts as you; run '"
                        + fix
                        + "' (and pact login again if others may "
                          "have read it)",
                      exit_code::auth_failure);
  return {};
}

bool needs_refresh(const login_record& r, int64_t now_unix) {
  if (r.expires_at_unix == 0)
    return false;
  int64_t lifetime = r.expires_at_unix - r.obtained_at_unix;
  int64_t margin = std::min<int64_t>(60, std::max<int64_t>(lifetime / 2, 0));
  return now_unix >= r.expires_at_unix - margin;
}

bool expired(const login_record& r, int64_t now_unix) {
  return r.expires_at_unix != 0 && now_unix >= r.expires_at_unix;
}

token_cache::token_cache(std::string dir) : dir_(std::move(dir)) {
}

std::string token_cache::path_of(const std::string& server) const {
  return dir_ + "/" + cache_file_name(server);
}

status token_cache::check_dir() const {
  auto st = stat_of(dir_);
  if (!st)
    return st.err();
  if (!*st)
    return {};
  if (!S_ISDIR((*st)->st_mode))
    return make_error(dir_
                        + " is not a directory; pact keeps its login "
                          "cache there: move it away",
                      exit_code::auth_failure);
  return check_private(dir_, (*st)->st_mode, (*st)->st_uid, ::getuid(), true);
}

expected<std::optional<login_record>>
token_cache::load(const std::string& server) const {
  if (auto d = check_dir(); !d)
    return d.err();
  auto path = path_of(server);
  auto st = stat_of(path);
  if (!st)
    return st.err();
  if (!*st)
    return std::optional<login_record>();
  if (!S_ISREG((*st)->st_mode))
    return make_error(path
                        + " is not a regular file; remove it and run "
                          "pact login",
                      exit_code::auth_failure);
  if (auto ok = check_private(path, (*st)->st_mode, (*st)->st_uid, ::getuid(),
                              false);
      !ok)
    return ok.err();
  auto text = files::read_all(path);
  if (!text)
    return error{exit_code::auth_failure, text.err().message};
  auto r = record_from_json(*text, path);
  if (!r)
    return r.err();
  // Another server's login under a colliding file name is not ours.
  if (server_key(r->server) != server_key(server))
    return std::optional<login_record>();
  return std::optional<login_record>(std::move(*r));
}

status token_cache::store(const login_record& r) const {
  if (auto made = files::make_dirs(dir_, 0700); !made)
    return error{exit_code::auth_failure, made.err().message};
  if (auto d = check_dir(); !d)
    return d;
  auto path = path_of(r.server);
  if (auto st = stat_of(path); st && *st)
    if (auto ok = check_private(path, (**st).st_mode, (**st).st_uid, ::getuid(),
                                false);
        !ok)
      return ok;
  auto written = files::write_atomic(path, to_json(r), 0600);
  if (!written)
    return error{exit_code::auth_failure, written.err().message};
  return {};
}

expected<bool> token_cache::remove(const std::string& server) const {
  auto path = path_of(server);
  if (::unlink(path.c_str()) == 0)
    return true;
  if (errno == ENOENT)
    return false;
  return make_error("cannot remove " + path + ": " + std::strerror(errno));
}

} // namespace pact::login
