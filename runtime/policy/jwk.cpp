#include "runtime/policy/jwk.hpp"

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "runtime/common/log_text.hpp"
#include "runtime/policy/base64url.hpp"

namespace pact::policy {

namespace {

using json = nlohmann::json;

/// ES256 signatures: R and S of 32 bytes each (RFC 7518 §3.4).
constexpr size_t es256_part_bytes = 32;

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const {
    EVP_PKEY_free(p);
  }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

struct bn_deleter {
  void operator()(BIGNUM* b) const {
    BN_free(b);
  }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;

EVP_PKEY* raw(const public_key& key) {
  return static_cast<EVP_PKEY*>(key.pkey.get());
}

/// A base64url member of `jwk` decoded, or "" when absent or not base64url.
std::string member_bytes(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string())
    return {};
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  return bytes ? *bytes : std::string();
}

std::string member_text(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>()
                                            : std::string();
}

bn_ptr to_bignum(const std::string& bytes) {
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

/// Builds a key of `type` ("RSA" or "EC") from OSSL parameters.
pkey_ptr from_params(const char* type, OSSL_PARAM_BLD* bld) {
  pkey_ptr out;
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1
      && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1)
    out.reset(pkey);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return out;
}

/// "" and `out` set, or why the RSA JWK is unusable.
std::string rsa_key(const json& jwk, pkey_ptr& out) {
  auto n = member_bytes(jwk, "n");
  auto e = member_bytes(jwk, "e");
  if (n.empty() || e.empty())
    return "RSA key without base64url n and e";
  if (e.size() > 8)
    return "RSA public exponent larger than 64 bits";
  auto bn_n = to_bignum(n);
  auto bn_e = to_bignum(e);
  if (!bn_n || !bn_e)
    return "RSA parameters do not decode";
  if (BN_num_bits(bn_n.get()) < min_rsa_bits)
    return "RSA modulus of " + std::to_string(BN_num_bits(bn_n.get()))
           + " bits is under " + std::to_string(min_rsa_bits);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr)
    return "out of memory";
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  out = from_params("RSA", bld);
  OSSL_PARAM_BLD_free(bld);
  return out ? "" : "RSA parameters do not form a key";
}

/// "" and `out` set, or why the EC JWK is unusable (P-256 only).
std::string ec_key(const json& jwk, pkey_ptr& out) {
  auto crv = member_text(jwk, "crv");
  if (crv != "P-256")
    return "EC curve " + in_quotes(crv) + " is not P-256";
  auto x = member_bytes(jwk, "x");
  auto y = member_bytes(jwk, "y");
  // RFC 7518 §6.2.1.2: coordinates are the full field size, 32 bytes.
  if (x.size() != es256_part_bytes || y.size() != es256_part_bytes)
    return "EC key without 32-byte x and y";
  // SEC 1 uncompressed point; OpenSSL checks it lies on the curve.
  std::string point = "\x04" + x + y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr)
    return "out of memory";
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                  0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                   point.size());
  out = from_params("EC", bld);
  OSSL_PARAM_BLD_free(bld);
  if (!out)
    return "EC point is not on P-256";
  // fromdata accepts points off the curve in some versions: check.
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, out.get(), nullptr);
  bool valid = ctx != nullptr && EVP_PKEY_public_check(ctx) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!valid) {
    out.reset();
    return "EC point is not on P-256";
  }
  return {};
}

/// "" when `jwk` is meant for verifying signatures (RFC 7517 §4.2, §4.3).
std::string usable_for_signatures(const json& jwk) {
  auto use = jwk.find("use");
  if (use != jwk.end() && !(use->is_string() && *use == "sig"))
    return "use is not 'sig'";
  auto ops = jwk.find("key_ops");
  if (ops == jwk.end())
    return {};
  if (ops->is_array())
    for (const auto& op : *ops)
      if (op == "verify")
        return {};
  return "key_ops does not include 'verify'";
}

/// "" and `key` filled, or why this JWK is skipped.
std::string parse_key(const json& jwk, public_key& key) {
  if (!jwk.is_object())
    return "not a JSON object";
  key.kid = member_text(jwk, "kid");
  key.type = member_text(jwk, "kty");
  key.alg = member_text(jwk, "alg");
  if (auto why = usable_for_signatures(jwk); !why.empty())
    return why;
  if (!key.alg.empty() && !is_asymmetric_alg(key.alg))
    return "alg " + in_quotes(key.alg) + " is not RS256, PS256 or ES256";
  pkey_ptr pkey;
  std::string why;
  if (key.type == "RSA")
    why = rsa_key(jwk, pkey);
  else if (key.type == "EC")
    why = ec_key(jwk, pkey);
  else
    why = "kty " + in_quotes(key.type)
          + " is not a public key type pact verifies";
  if (!why.empty())
    return why;
  if (!key_fits(key, key.alg.empty() ? (key.type == "EC" ? "ES256" : "RS256")
                                     : key.alg))
    return "alg " + in_quotes(key.alg) + " does not fit kty "
           + in_quotes(key.type);
  key.bits = EVP_PKEY_get_bits(pkey.get());
  key.pkey = std::shared_ptr<void>(pkey.release(), [](void* p) {
    EVP_PKEY_free(static_cast<EVP_PKEY*>(p));
  });
  return {};
}

/// ES256's R || S as the DER ECDSA-Sig-Value OpenSSL verifies; "" when
/// `sig` is not 64 bytes.
std::string es256_to_der(std::string_view sig) {
  if (sig.size() != 2 * es256_part_bytes)
    return {};
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  BIGNUM* r = BN_bin2bn(p, es256_part_bytes, nullptr);
  BIGNUM* s = BN_bin2bn(p + es256_part_bytes, es256_part_bytes, nullptr);
  ECDSA_SIG* ecdsa = ECDSA_SIG_new();
  std::string der;
  if (r != nullptr && s != nullptr && ecdsa != nullptr
      && ECDSA_SIG_set0(ecdsa, r, s) == 1) {
    r = s = nullptr; // owned by ecdsa now
    unsigned char* out = nullptr;
    int len = i2d_ECDSA_SIG(ecdsa, &out);
    if (len > 0)
      der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
    OPENSSL_free(out);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(ecdsa);
  return der;
}

} // namespace

bool is_asymmetric_alg(std::string_view alg) {
  return alg == "RS256" || alg == "PS256" || alg == "ES256";
}

bool key_fits(const public_key& key, std::string_view alg) {
  if (!key.alg.empty() && key.alg != alg)
    return false;
  if (alg == "RS256" || alg == "PS256")
    return key.type == "RSA";
  if (alg == "ES256")
    return key.type == "EC";
  return false;
}

expected<key_set> parse_jwks(std::string_view document) {
  if (document.size() > max_jwks_bytes)
    return make_error("JWKS document is larger than "
                      + std::to_string(max_jwks_bytes / 1024) + " KiB");
  auto doc = json::parse(document, nullptr, false);
  if (!doc.is_object())
    return make_error("JWKS document is not a JSON object");
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array())
    return make_error("JWKS document has no keys array");
  key_set set;
  for (const auto& jwk : *keys) {
    public_key key;
    auto why = set.keys.size() == max_jwks_keys
                 ? "more than " + std::to_string(max_jwks_keys) + " keys"
                 : parse_key(jwk, key);
    if (why.empty())
      set.keys.push_back(std::move(key));
    else if (set.skipped.size() < max_jwks_keys)
      set.skipped.push_back("kid " + in_quotes(key.kid) + ": " + why);
  }
  if (set.keys.empty())
    return make_error(
      "JWKS document holds no RS256, PS256 or ES256 signing key"
      + (set.skipped.empty() ? std::string() : " (" + set.skipped[0] + ")"));
  return set;
}

bool verify_signature(const public_key& key, std::string_view alg,
                      std::string_view signing_input,
                      std::string_view signature) {
  if (!key_fits(key, alg) || raw(key) == nullptr)
    return false;
  std::string der;
  if (alg == "ES256") {
    der = es256_to_der(signature);
    if (der.empty())
      return false;
    signature = der;
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = md != nullptr
            && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), nullptr, raw(key))
                 == 1;
  if (ok && alg == "PS256")
    // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
         && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1
         && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
  ok = ok
       && EVP_DigestVerify(
            md, reinterpret_cast<const unsigned char*>(signature.data()),
            signature.size(),
            reinterpret_cast<const unsigned char*>(signing_input.data()),
            signing_input.size())
            == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

} // namespace pact::policy
