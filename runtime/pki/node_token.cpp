#include "runtime/pki/node_token.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "runtime/pki/base64.hpp"
#include "runtime/pki/ossl.hpp"

namespace pact::pki {

using namespace detail;

namespace {

using json = nlohmann::json;
using bn_ptr = ossl_ptr<BIGNUM, BN_free>;
using sig_ptr = ossl_ptr<ECDSA_SIG, ECDSA_SIG_free>;

/// ES256: R and S of 32 bytes each (RFC 7518 §3.4).
constexpr int es256_part_bytes = 32;

/// A node token is about 1.5 KiB (mostly the certificate); the bound keeps
/// a hostile bearer value from costing more than a glance.
constexpr size_t max_token_bytes = 16 * 1024;

pki_error fail(const std::string& why) {
  return pki_error{"node token: " + why};
}

/// Compact JSON; invalid UTF-8 (which libcrypto's UTF-8 never yields) is
/// replaced rather than thrown.
std::string compact(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The three parts of a compact JWS, or false.
bool split(const std::string& token, std::string (&parts)[3]) {
  size_t first = token.find('.');
  if (first == std::string::npos)
    return false;
  size_t second = token.find('.', first + 1);
  if (second == std::string::npos
      || token.find('.', second + 1) != std::string::npos)
    return false;
  parts[0] = token.substr(0, first);
  parts[1] = token.substr(first + 1, second - first - 1);
  parts[2] = token.substr(second + 1);
  return !parts[0].empty() && !parts[1].empty() && !parts[2].empty();
}

/// A base64url-encoded JSON object, or a discarded value.
json object_of(const std::string& part) {
  auto text = base64url_decode(part);
  if (!text)
    return json(json::value_t::discarded);
  json doc = json::parse(*text, nullptr, false);
  return doc.is_object() ? doc : json(json::value_t::discarded);
}

/// ES256 signature of `input`, as R||S, or "".
std::string sign_es256(EVP_PKEY* key, const std::string& input) {
  md_ctx_ptr md(EVP_MD_CTX_new());
  size_t len = 0;
  if (!md
      || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1
      || EVP_DigestSign(md.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(input.data()),
                        input.size())
           != 1)
    return {};
  std::string der(len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (EVP_DigestSign(md.get(), out, &len,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size())
      != 1)
    return {};
  const unsigned char* p = out;
  sig_ptr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig)
    return {};
  unsigned char raw[2 * es256_part_bytes];
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, es256_part_bytes)
        != es256_part_bytes
      || BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + es256_part_bytes,
                      es256_part_bytes)
           != es256_part_bytes)
    return {};
  return std::string(reinterpret_cast<char*>(raw), sizeof(raw));
}

/// Whether `raw` (R||S) is `key`'s ES256 signature of `input`.
bool verify_es256(EVP_PKEY* key, const std::string& input,
                  const std::string& raw) {
  if (raw.size() != 2 * es256_part_bytes)
    return false;
  auto bytes = reinterpret_cast<const unsigned char*>(raw.data());
  bn_ptr r(BN_bin2bn(bytes, es256_part_bytes, nullptr));
  bn_ptr s(BN_bin2bn(bytes + es256_part_bytes, es256_part_bytes, nullptr));
  sig_ptr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1)
    return false;
  r.release(); // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0)
    return false;
  md_ctx_ptr md(EVP_MD_CTX_new());
  bool ok
    = md
      && EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key)
           == 1
      && EVP_DigestVerify(md.get(), der, static_cast<size_t>(der_len),
                          reinterpret_cast<const unsigned char*>(input.data()),
                          input.size())
           == 1;
  OPENSSL_free(der);
  return ok;
}

/// An integer NumericDate claim (RFC 7519 §2), or nullopt.
std::optional<int64_t> seconds_claim(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end())
    return std::nullopt;
  if (it->is_number_integer() && !it->is_number_unsigned())
    return it->get<int64_t>();
  if (it->is_number_unsigned()
      && it->get<uint64_t>()
           <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(it->get<uint64_t>());
  return std::nullopt;
}

bool audience_ok(const json& payload, const std::string& audience) {
  auto it = payload.find("aud");
  if (it == payload.end())
    return false;
  if (it->is_string())
    return it->get_ref<const std::string&>() == audience;
  if (!it->is_array())
    return false;
  for (const auto& entry : *it)
    if (entry.is_string() && entry.get_ref<const std::string&>() == audience)
      return true;
  return false;
}

/// "" and `out` set to the certificate of the header's x5c, or why not.
std::string x5c_cert(const json& header, x509_ptr& out) {
  auto it = header.find("x5c");
  if (it == header.end() || !it->is_array() || it->size() != 1
      || !(*it)[0].is_string())
    return "x5c must hold exactly one certificate";
  auto der = base64_decode((*it)[0].get_ref<const std::string&>());
  out = der ? cert_from_der(*der) : nullptr;
  return out ? std::string() : "malformed certificate in x5c";
}

/// Steps 5 and 6 of verify_node_token (node_token.hpp).
std::string claims_problem(const json& payload, const std::string& audience,
                           const std::string& common_name, int64_t now,
                           int64_t leeway, int64_t max_ttl,
                           node_token_claims& out) {
  auto iss = payload.find("iss");
  if (iss == payload.end() || !iss->is_string()
      || iss->get_ref<const std::string&>() != node_token_issuer)
    return "wrong issuer";
  if (!audience_ok(payload, audience))
    return "wrong audience";
  auto sub = payload.find("sub");
  if (common_name.empty())
    return "certificate has no common name";
  if (sub == payload.end() || !sub->is_string()
      || sub->get_ref<const std::string&>() != common_name)
    return "subject does not match the certificate";
  auto exp = seconds_claim(payload, "exp");
  auto iat = seconds_claim(payload, "iat");
  if (!exp || !iat)
    return "exp and iat must be integers";
  if (*exp <= now - leeway)
    return "expired";
  if (*iat > now + leeway)
    return "issued in the future";
  if (payload.contains("nbf")) {
    auto nbf = seconds_claim(payload, "nbf");
    if (!nbf)
      return "nbf must be an integer";
    if (*nbf > now + leeway)
      return "not yet valid";
  }
  if (*iat >= *exp)
    return "expires before it is issued";
  // exp - iat could overflow for a hostile iat; exp - max_ttl cannot (exp
  // is above now - leeway here).
  if (*iat < *exp - max_ttl)
    return "lifetime over " + std::to_string(max_ttl) + " seconds";
  out.node = common_name;
  out.expires_at = *exp;
  out.issued_at = *iat;
  return {};
}

} // namespace

result<std::string> mint_node_token(const key_and_cert& node,
                                    const std::string& audience,
                                    int64_t now_unix_s, int64_t ttl_seconds) {
  queue_guard guard;
  if (ttl_seconds <= 0
      || now_unix_s > std::numeric_limits<int64_t>::max() - ttl_seconds)
    return fail("lifetime must be positive");
  auto key = read_key(node.key_pem);
  if (!key)
    return fail("malformed node key");
  auto cert = read_cert(node.cert_pem);
  if (!cert)
    return fail("malformed node certificate");
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) != 1)
    return fail("node key does not match its certificate");
  if (!is_p256(key.get()))
    return fail("node key is not P-256 (ES256)");
  auto cn = only_common_name(X509_get_subject_name(cert.get()));
  if (cn.empty())
    return fail("node certificate has no common name");
  json header = {{"alg", "ES256"},
                 {"typ", "JWT"},
                 {"x5c", json::array({base64_encode(cert_der(cert.get()))})}};
  json payload = {{"sub", cn},
                  {"iss", node_token_issuer},
                  {"aud", audience},
                  {"iat", now_unix_s},
                  {"exp", now_unix_s + ttl_seconds},
                  {"groups", json::array({"pact-node"})},
                  {"pact_principal_type", "service"}};
  auto input = base64url_encode(compact(header)) + "."
               + base64url_encode(compact(payload));
  auto sig = sign_es256(key.get(), input);
  if (sig.empty())
    return fail("signing failed");
  return input + "." + base64url_encode(sig);
}

result<node_token_claims>
verify_node_token(const std::string& token, const std::string& ca_bundle_pem,
                  const std::string& audience, int64_t now_unix_s,
                  int64_t leeway_seconds, int64_t max_ttl_seconds) {
  queue_guard guard;
  std::string parts[3];
  if (token.size() > max_token_bytes || !split(token, parts))
    return fail("malformed");
  json header = object_of(parts[0]);
  json payload = object_of(parts[1]);
  auto sig = base64url_decode(parts[2]);
  if (header.is_discarded() || payload.is_discarded() || !sig)
    return fail("malformed");
  // RFC 8725 §3.1: the verifier fixes the algorithm; the token's header
  // only has to agree.
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()
      || alg->get_ref<const std::string&>() != "ES256")
    return fail("algorithm must be ES256");
  // RFC 7515 §4.1.11: an extension we do not understand must be refused.
  if (header.contains("crit"))
    return fail("unsupported critical header");
  x509_ptr cert;
  if (auto why = x5c_cert(header, cert); !why.empty())
    return fail(why);
  auto info = verify_x509(cert.get(), ca_bundle_pem, now_unix_s);
  if (!info)
    return fail(info.error().message);
  // A node speaks for itself only: a CA (say, an intermediate of the
  // bundle) cannot sign as a node.
  if (info->is_ca)
    return fail("certificate is a CA certificate");
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (!is_p256(key))
    return fail("certificate key is not P-256");
  if (!verify_es256(key, parts[0] + "." + parts[1], *sig))
    return fail("bad signature");
  node_token_claims claims;
  // Negative bounds would only widen the window: they count as zero.
  leeway_seconds = std::max<int64_t>(leeway_seconds, 0);
  max_ttl_seconds = std::max<int64_t>(max_ttl_seconds, 0);
  if (auto why = claims_problem(payload, audience, info->common_name,
                                now_unix_s, leeway_seconds, max_ttl_seconds,
                                claims);
      !why.empty())
    return fail(why);
  claims.cert_serial_hex = info->serial_hex;
  claims.cert_sha256_hex = info->sha256_hex;
  claims.cert_not_after_unix_s = info->not_after_unix_s;
  return claims;
}

bool looks_like_node_token(const std::string& token) {
  std::string parts[3];
  if (token.size() > max_token_bytes || !split(token, parts))
    return false;
  json header = object_of(parts[0]);
  return !header.is_discarded() && header.contains("x5c");
}

} // namespace pact::pki
