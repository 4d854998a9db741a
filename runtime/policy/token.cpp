#include "runtime/policy/token.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "runtime/common/log_text.hpp"
#include "runtime/policy/base64url.hpp"
#include "runtime/policy/jwk.hpp"

namespace pact::policy {

namespace {

using json = nlohmann::json;

/// Bound on what we parse at all (STYLE: put a limit on everything).
constexpr size_t max_token_bytes = 16384;

/// Bound on `generate_secret`'s output size.
constexpr size_t max_secret_bytes = 4096;

constexpr size_t hs256_mac_bytes = 32;

constexpr std::string_view principal_claim = "pact_principal_type";

// -- small helpers -----------------------------------------------------------

/// Unix seconds as ISO 8601 UTC, e.g. "2026-11-22T10:00:00Z". Pure
/// arithmetic (H. Hinnant's civil_from_days), no libc time zone state.
std::string format_utc(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400;
  int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day),
                static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

int64_t saturating_add(int64_t a, int64_t b) {
  constexpr auto max = std::numeric_limits<int64_t>::max();
  constexpr auto min = std::numeric_limits<int64_t>::min();
  if (b > 0 && a > max - b)
    return max;
  if (b < 0 && a < min - b)
    return min;
  return a + b;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto ca = std::tolower(static_cast<unsigned char>(a[i]));
    auto cb = std::tolower(static_cast<unsigned char>(b[i]));
    if (ca != cb)
      return false;
  }
  return true;
}

/// HMAC-SHA256 of `data` under `key`; empty on failure.
std::string hmac_sha256(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return {};
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  auto* res = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                   reinterpret_cast<const unsigned char*>(data.data()),
                   data.size(), mac, &mac_len);
  if (res == nullptr || mac_len != hs256_mac_bytes)
    return {};
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

/// Compact JSON that never throws: invalid UTF-8 is replaced, not fatal.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// -- token structure ---------------------------------------------------------

struct token_parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  /// "header.payload": the bytes the signature covers.
  std::string_view signing_input;
};

std::optional<token_parts> split_token(std::string_view jwt) {
  auto first = jwt.find('.');
  if (first == std::string_view::npos)
    return std::nullopt;
  auto second = jwt.find('.', first + 1);
  if (second == std::string_view::npos
      || jwt.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  return token_parts{jwt.substr(0, first),
                     jwt.substr(first + 1, second - first - 1),
                     jwt.substr(second + 1), jwt.substr(0, second)};
}

/// Decodes one base64url segment holding a JSON object. On failure returns
/// a discarded json and sets `error` to a message naming `what`.
json decode_object(std::string_view segment, std::string_view what,
                   std::string& error) {
  auto bytes = base64url_decode(segment);
  if (!bytes) {
    error = "malformed token: " + std::string(what) + " is not base64url";
    return json(json::value_t::discarded);
  }
  auto value = json::parse(*bytes, nullptr, false);
  if (!value.is_object()) {
    error = "malformed token: " + std::string(what) + " is not a JSON object";
    return json(json::value_t::discarded);
  }
  return value;
}

// -- header ------------------------------------------------------------------

/// Refuses `alg: none`, critical extensions and algorithms that are not
/// configured; "" if the token may go on to its signature check.
std::string check_header(const json& header, const verifier_config& config) {
  auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string())
    return "malformed token: header has no alg";
  const auto& alg = alg_it->get_ref<const std::string&>();
  // RFC 8725 §3.1: an unsigned token must never be accepted, whatever the
  // configuration; "None"/"NONE" are the classic bypass spellings.
  if (iequals(alg, "none"))
    return "token algorithm 'none' is refused: unsigned tokens are never "
           "accepted";
  // RFC 7515 §4.1.11: extensions marked critical must be understood.
  if (header.contains("crit"))
    return "token header lists critical extensions pact does not support";
  if (config.hmac_secret.empty() && !config.keys)
    return "no token verifier configured";
  if (alg == "HS256") {
    // RFC 8725 §2.1: a token may not choose a symmetric check against what
    // is meant to be a public key; HS256 exists only with its own secret.
    if (config.hmac_secret.empty())
      return "token algorithm HS256 is accepted only in development mode "
             "(no HMAC secret is configured; identity-provider tokens are "
             "RS256, PS256 or ES256)";
    return {};
  }
  if (is_asymmetric_alg(alg)) {
    if (!config.keys)
      return "token algorithm " + alg
             + " needs the identity provider's keys, and no JWKS is "
               "configured (set PACT_OIDC_JWKS_URL, or PACT_OIDC_ISSUER to "
               "the provider's https URL)";
    return {};
  }
  return "unsupported algorithm " + safe_text(alg)
         + " (pact verifies RS256, PS256 and ES256, and HS256 in "
           "development mode)";
}

std::string hs256_signature(const token_parts& parts,
                            const std::string& secret) {
  auto given = base64url_decode(parts.signature);
  if (!given)
    return "malformed token: signature is not base64url";
  auto expected = hmac_sha256(secret, parts.signing_input);
  if (expected.empty())
    return "token signature could not be computed";
  if (given->size() != expected.size()
      || CRYPTO_memcmp(given->data(), expected.data(), expected.size()) != 0)
    return "token signature is invalid";
  return {};
}

/// Why the key set cannot be trusted to be complete, for a refusal.
std::string key_set_age(const key_view& view) {
  if (view.last_error.empty())
    return {};
  return " (refreshing the keys failed: " + view.last_error
         + "; using keys fetched at " + format_utc(view.fetched_at_ms / 1000)
         + ")";
}

/// The keys that may verify a token of `alg` naming `kid` (`has_kid`):
/// every key of that kid that fits (a set may hold one kid twice, e.g. an
/// RSA and an EC key, or a key being replaced), or, without a kid, the
/// only key that fits. Empty with `why` set when refused; empty with `why`
/// empty when the kid is unknown.
std::vector<const public_key*>
pick_keys(const key_set& set, const std::string& alg, bool has_kid,
          const std::string& kid, std::string& why) {
  std::vector<const public_key*> out;
  if (has_kid) {
    const public_key* misfit = nullptr;
    for (const auto& key : set.keys) {
      if (key.kid != kid)
        continue;
      if (key_fits(key, alg))
        out.push_back(&key);
      else if (misfit == nullptr)
        misfit = &key;
    }
    if (out.empty() && misfit != nullptr)
      why = "token algorithm " + alg + " does not fit signing key "
            + in_quotes(kid) + " (" + misfit->type
            + (misfit->alg.empty() ? "" : " " + misfit->alg) + ")";
    return out;
  }
  for (const auto& key : set.keys)
    if (key_fits(key, alg))
      out.push_back(&key);
  if (out.size() == 1)
    return out;
  why = out.empty()
          ? "no key in the identity provider's key set fits algorithm " + alg
          : "token names no signing key (kid) and the identity provider "
            "publishes "
              + std::to_string(out.size()) + " keys for " + alg;
  out.clear();
  return out;
}

std::string asymmetric_signature(const token_parts& parts, const json& header,
                                 const verifier_config& config,
                                 bool& unknown_key) {
  const auto& alg = header["alg"].get_ref<const std::string&>();
  auto given = base64url_decode(parts.signature);
  if (!given)
    return "malformed token: signature is not base64url";
  auto kid_it = header.find("kid");
  bool has_kid = kid_it != header.end();
  if (has_kid && !kid_it->is_string())
    return "malformed token: kid is not a string";
  std::string kid = has_kid ? kid_it->get<std::string>() : std::string();
  auto view = config.keys->current();
  if (!view.keys) {
    unknown_key = true;
    return "no signing keys from the identity provider yet ("
           + (view.last_error.empty()
                ? "the first fetch is under way"
                : "fetching them failed: " + view.last_error)
           + ")";
  }
  std::string why;
  auto keys = pick_keys(*view.keys, alg, has_kid, kid, why);
  if (keys.empty() && why.empty()) {
    unknown_key = true;
    return "token signing key " + in_quotes(kid)
           + " is not in the identity provider's key set" + key_set_age(view);
  }
  if (keys.empty())
    return why;
  for (const auto* key : keys)
    if (verify_signature(*key, alg, parts.signing_input, *given))
      return {};
  return "token signature is invalid";
}

// -- claims ------------------------------------------------------------------

/// Reads string claim `name` into `out`; "" on success.
std::string read_string(const json& payload, const std::string& name,
                        std::string& out) {
  auto it = payload.find(name);
  if (it == payload.end())
    return "token is missing the " + name + " claim";
  if (!it->is_string())
    return "token " + name + " claim is not a string";
  out = it->get<std::string>();
  return {};
}

/// The latest NumericDate accepted: 9999-12-31T23:59:59Z. RFC 7519 §2
/// allows any JSON number, but no honest token carries a time beyond four
/// digit years, and bounding it keeps every later sum far from overflow.
constexpr int64_t max_numeric_date = 253402300799;

/// A JSON NumericDate (RFC 7519 §2: seconds since the epoch, fractions
/// allowed) as whole Unix seconds in [0, max_numeric_date]; nullopt if
/// `value` is not a number (strings, booleans, null) or lies outside.
std::optional<int64_t> to_unix_seconds(const json& value) {
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(max_numeric_date))
      return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) {
    auto i = value.get<int64_t>();
    if (i < 0 || i > max_numeric_date)
      return std::nullopt;
    return i;
  }
  if (value.is_number_float()) {
    auto d = std::floor(value.get<double>());
    if (!std::isfinite(d) || d < 0.0
        || d > static_cast<double>(max_numeric_date))
      return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

/// Reads time claim `name` into `out` (left unchanged if absent and not
/// `required`); "" on success.
std::string read_time(const json& payload, const std::string& name,
                      bool required, int64_t& out) {
  auto it = payload.find(name);
  if (it == payload.end())
    return required ? "token is missing the " + name + " claim" : "";
  if (!it->is_number())
    return "token " + name + " claim is not a time in seconds";
  auto seconds = to_unix_seconds(*it);
  if (!seconds)
    return "token " + name + " claim is outside 1970-01-01 .. 9999-12-31";
  out = *seconds;
  return {};
}

std::string check_issuer(const json& payload, const verifier_config& config,
                         token_claims& claims) {
  if (auto err = read_string(payload, "iss", claims.issuer); !err.empty())
    return err;
  if (claims.issuer != config.issuer)
    return "token issuer " + in_quotes(claims.issuer)
           + " is not the configured issuer " + in_quotes(config.issuer);
  return {};
}

std::string audience_list(const json& auds) {
  std::string out = "[";
  size_t shown = 0;
  for (const auto& aud : auds) {
    if (shown == 4) {
      out += ", ...";
      break;
    }
    out += (shown++ == 0 ? "" : ", ");
    out += aud.is_string() ? in_quotes(aud.get_ref<const std::string&>())
                           : std::string("?");
  }
  return out + "]";
}

std::string check_audience(const json& payload, const verifier_config& config,
                           token_claims& claims) {
  auto it = payload.find("aud");
  if (it == payload.end())
    return "token is missing the aud claim";
  if (it->is_string()) {
    const auto& aud = it->get_ref<const std::string&>();
    if (aud != config.audience)
      return "token audience " + in_quotes(aud)
             + " is not the configured audience " + in_quotes(config.audience);
  } else if (it->is_array()) {
    // RFC 7519 §4.1.3: an array of case-sensitive strings, nothing else.
    bool found = false;
    for (const auto& aud : *it) {
      if (!aud.is_string())
        return "token aud claim is not a string or a list of strings";
      found = found || aud == config.audience;
    }
    if (!found)
      return "token audience " + audience_list(*it)
             + " does not include the configured audience "
             + in_quotes(config.audience);
  } else {
    return "token aud claim is not a string or a list of strings";
  }
  claims.audience = config.audience;
  return {};
}

/// Refuses a token that lives longer than `config.max_lifetime_seconds`:
/// from `iat` to `exp`, or from now to `exp` when it has no `iat`.
std::string check_lifetime(const verifier_config& config, int64_t now,
                           bool has_iat, const token_claims& claims) {
  auto max = config.max_lifetime_seconds;
  if (max <= 0)
    return {};
  auto from = has_iat ? claims.issued_at : now;
  // Both ends are within [0, max_numeric_date] (or `now`), so no overflow.
  auto lifetime = claims.expires_at - from;
  if (lifetime <= max)
    return {};
  return (has_iat ? "token lifetime of " + std::to_string(lifetime)
                      + " s (iat to exp)"
                  : "token without iat expires in " + std::to_string(lifetime)
                      + " s, which")
         + " exceeds the maximum of " + std::to_string(max)
         + " s (oidc.max_token_lifetime_seconds)";
}

std::string check_times(const json& payload, const verifier_config& config,
                        int64_t now, token_claims& claims) {
  auto leeway = config.leeway_seconds < 0 ? 0 : config.leeway_seconds;
  if (auto err = read_time(payload, "exp", true, claims.expires_at);
      !err.empty())
    return err;
  if (now >= saturating_add(claims.expires_at, leeway))
    return "token expired at " + format_utc(claims.expires_at);
  if (auto err = read_time(payload, "nbf", false, claims.not_before);
      !err.empty())
    return err;
  if (saturating_add(now, leeway) < claims.not_before)
    return "token is not valid before " + format_utc(claims.not_before);
  if (auto err = read_time(payload, "iat", false, claims.issued_at);
      !err.empty())
    return err;
  bool has_iat = payload.contains("iat");
  // RFC 7519 §4.1.6: iat is when the token was issued; one from the future
  // was minted by a wrong clock or to outlive the lifetime check.
  if (has_iat && saturating_add(now, leeway) < claims.issued_at)
    return "token was issued in the future (iat " + format_utc(claims.issued_at)
           + ")";
  return check_lifetime(config, now, has_iat, claims);
}

std::string read_subject(const json& payload, token_claims& claims) {
  if (auto err = read_string(payload, "sub", claims.subject); !err.empty())
    return err;
  if (claims.subject.empty())
    return "token sub claim is empty";
  return {};
}

/// Reads the roles claim, mapping IdP group names through `map`.
std::string
read_groups(const json& payload, const std::string& claim,
            const std::map<std::string, std::vector<std::string>>& map,
            token_claims& claims) {
  auto it = payload.find(claim);
  if (it == payload.end())
    return {};
  // Identity providers send groups as an array; anything else (a lone
  // string included) is a misconfigured mapper, refused rather than guessed.
  auto bad = "token " + safe_text(claim) + " claim is not a list of strings";
  if (!it->is_array())
    return bad;
  for (const auto& group : *it) {
    if (!group.is_string())
      return bad;
    const auto& name = group.get_ref<const std::string&>();
    auto mapped = map.find(name);
    if (mapped == map.end())
      claims.groups.push_back(name);
    else
      claims.groups.insert(claims.groups.end(), mapped->second.begin(),
                           mapped->second.end());
  }
  return {};
}

std::string read_principal_type(const json& payload, token_claims& claims) {
  const std::string name(principal_claim);
  if (!payload.contains(name))
    return {};
  auto err = read_string(payload, name, claims.principal_type);
  if (!err.empty())
    return err;
  const auto& type = claims.principal_type;
  if (type != "human" && type != "agent" && type != "service")
    return "token " + name + " " + in_quotes(type)
           + " is not one of human, agent, service";
  return {};
}

std::string check_claims(const json& payload, const verifier_config& config,
                         int64_t now, token_claims& claims) {
  std::string err = check_issuer(payload, config, claims);
  if (err.empty())
    err = check_audience(payload, config, claims);
  if (err.empty())
    err = check_times(payload, config, now, claims);
  if (err.empty())
    err = read_subject(payload, claims);
  if (err.empty())
    err = read_groups(payload, config.roles_claim, config.group_map, claims);
  if (err.empty())
    err = read_principal_type(payload, claims);
  return err;
}

verify_result refuse(std::string error) {
  verify_result result;
  result.error = std::move(error);
  return result;
}

} // namespace

verify_result verify_token(const std::string& jwt,
                           const verifier_config& config,
                           int64_t now_unix_seconds) {
  if (jwt.size() > max_token_bytes)
    return refuse("malformed token: longer than "
                  + std::to_string(max_token_bytes) + " bytes");
  auto parts = split_token(jwt);
  if (!parts)
    return refuse("malformed token: expected three dot-separated parts");
  std::string err;
  auto header = decode_object(parts->header, "header", err);
  if (!err.empty())
    return refuse(std::move(err));
  if (err = check_header(header, config); !err.empty())
    return refuse(std::move(err));
  // Authenticate before looking at any claim.
  bool unknown_key = false;
  err = header["alg"] == "HS256"
          ? hs256_signature(*parts, config.hmac_secret)
          : asymmetric_signature(*parts, header, config, unknown_key);
  if (!err.empty()) {
    auto refused = refuse(std::move(err));
    refused.unknown_key = unknown_key;
    return refused;
  }
  auto payload = decode_object(parts->payload, "payload", err);
  if (!err.empty())
    return refuse(std::move(err));
  verify_result result;
  if (err = check_claims(payload, config, now_unix_seconds, result.claims);
      !err.empty())
    return refuse(std::move(err));
  result.ok = true;
  return result;
}

std::string sign_hs256(const token_claims& claims, const std::string& secret) {
  if (secret.empty())
    return {};
  json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  json payload = {{"sub", claims.subject},
                  {"iss", claims.issuer},
                  {"aud", claims.audience},
                  {"groups", claims.groups},
                  {"exp", claims.expires_at}};
  if (claims.issued_at != 0)
    payload["iat"] = claims.issued_at;
  if (claims.not_before != 0)
    payload["nbf"] = claims.not_before;
  payload[std::string(principal_claim)]
    = claims.principal_type.empty() ? "human" : claims.principal_type;
  auto input = base64url_encode(dump(header)) + "."
               + base64url_encode(dump(payload));
  auto mac = hmac_sha256(secret, input);
  if (mac.empty())
    return {};
  return input + "." + base64url_encode(mac);
}

std::string generate_secret(size_t bytes) {
  if (bytes == 0 || bytes > max_secret_bytes)
    return {};
  std::string raw(bytes, '\0');
  auto* data = reinterpret_cast<unsigned char*>(raw.data());
  if (RAND_bytes(data, static_cast<int>(bytes)) != 1)
    return {};
  return base64url_encode(raw);
}

} // namespace pact::policy
