#pragma once

/// The login cache: what `pact login` obtained for one journal, kept in
/// ~/.config/pact/tokens/<server>.json so that later commands find it
/// (client/access.hpp: after --token, PACT_TOKEN and cli.toml `token`,
/// before the token file).
///
/// Contract:
/// - One file per journal server (its URL as given to `pact login
///   --server`, trailing '/' dropped), holding the record below as JSON.
/// - Files are written atomically with mode 0600 into a directory of mode
///   0700 (created so when missing). A file or directory that others may
///   read or write, or that another user owns, is refused as an auth error
///   (exit 2) that names it and says how to fix it; nothing is read from
///   it. Tokens are bearer credentials: whoever reads the file is the user.
/// - A missing file is "not logged in" (no value), not an error.
/// - Tokens never appear in error messages.

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::login {

/// One journal's login.
struct login_record {
  /// The journal URL the login was for.
  std::string server;
  std::string issuer;
  std::string client_id;
  std::string audience;
  std::string token_endpoint;
  /// Empty: the provider publishes none.
  std::string revocation_endpoint;
  /// "device_code" or "client_credentials".
  std::string grant;
  std::string access_token;
  /// Empty for client credentials.
  std::string refresh_token;
  /// Unix seconds; 0 when the provider did not say.
  int64_t expires_at_unix = 0;
  int64_t obtained_at_unix = 0;
};

/// `server` as cache key: trailing slashes dropped.
std::string server_key(const std::string& server);

/// The cache file's name for `server`: every byte outside [A-Za-z0-9.-]
/// becomes '_' ("http://127.0.0.1:9443" -> "http___127.0.0.1_9443.json").
/// The record inside names its server, which load() checks, so two URLs
/// that map to one name never use each other's token.
std::string cache_file_name(const std::string& server);

std::string to_json(const login_record& r);

/// Parses a cache file's text; errors name `path`.
expected<login_record> record_from_json(const std::string& text,
                                        const std::string& path);

/// Judges the permissions of a cache file (`directory` false) or of the
/// cache directory: ok when owned by `me` and no group/other bits are set
/// in `mode`; else an auth error naming `path` and the fix.
status check_private(const std::string& path, unsigned mode, unsigned owner,
                     unsigned me, bool directory);

/// When the access token should be renewed before use: with less than a
/// minute left, or less than half its lifetime when that is shorter (a
/// provider issuing 30-second tokens is not asked on every command).
/// Never for a record whose expiry is unknown.
bool needs_refresh(const login_record& r, int64_t now_unix);

/// Whether the access token is past its expiry (unknown: not expired).
bool expired(const login_record& r, int64_t now_unix);

/// The cache directory (e.g. /home/u/.config/pact/tokens).
class token_cache {
public:
  explicit token_cache(std::string dir);

  const std::string& dir() const {
    return dir_;
  }

  std::string path_of(const std::string& server) const;

  /// The login for `server`, nothing when there is none.
  expected<std::optional<login_record>> load(const std::string& server) const;

  /// Writes `r` (creating the directory 0700 when missing).
  status store(const login_record& r) const;

  /// Removes the login for `server`; true when there was one. A cache
  /// with loose permissions is still removed.
  expected<bool> remove(const std::string& server) const;

private:
  /// The directory's permissions, when it exists.
  status check_dir() const;

  std::string dir_;
};

} // namespace pact::login
