#pragma once

/// Test-only signing keys: RSA-2048 and EC P-256 key pairs made with
/// OpenSSL, their public halves as JWKs, and compact JWS tokens signed with
/// them (RS256, PS256, ES256), so the verifier is tested against real
/// signatures rather than recorded ones.

#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "runtime/policy/base64url.hpp"

namespace pact::policy::testing {

struct signing_key {
  std::shared_ptr<EVP_PKEY> pkey;
  std::string kid;
  /// "RSA" or "EC".
  std::string type;
  /// The EC curve's JWK name ("P-256", "P-384").
  std::string curve;

  static signing_key rsa(std::string kid, size_t bits = 2048) {
    EVP_PKEY* p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits);
    return {std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free), std::move(kid), "RSA",
            ""};
  }

  static signing_key ec(std::string kid, const char* curve = "P-256") {
    EVP_PKEY* p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    return {std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free), std::move(kid), "EC",
            curve};
  }

  std::string bn_param(const char* name, int pad = 0) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(pkey.get(), name, &bn);
    int len = pad > 0 ? pad : BN_num_bytes(bn);
    std::string out(static_cast<size_t>(len), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
    BN_free(bn);
    return base64url_encode(out);
  }

  /// The public JWK, with `alg` when given.
  nlohmann::json jwk(const std::string& alg = "") const {
    nlohmann::json j = {{"kty", type}, {"kid", kid}, {"use", "sig"}};
    if (type == "RSA") {
      j["n"] = bn_param(OSSL_PKEY_PARAM_RSA_N);
      j["e"] = bn_param(OSSL_PKEY_PARAM_RSA_E);
    } else {
      int bytes = curve == "P-384" ? 48 : 32;
      j["crv"] = curve;
      j["x"] = bn_param(OSSL_PKEY_PARAM_EC_PUB_X, bytes);
      j["y"] = bn_param(OSSL_PKEY_PARAM_EC_PUB_Y, bytes);
    }
    if (!alg.empty())
      j["alg"] = alg;
    return j;
  }

  /// The raw JWS signature of `input` under `alg`.
  std::string sign(const std::string& alg, const std::string& input) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestSignInit(md, &pctx, EVP_sha256(), nullptr, pkey.get());
    if (alg == "PS256") {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    size_t len = 0;
    auto* in = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(md, nullptr, &len, in, input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                   input.size());
    sig.resize(len);
    EVP_MD_CTX_free(md);
    if (alg != "ES256")
      return sig;
    // DER ECDSA-Sig-Value -> R || S (RFC 7518 §3.4).
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* e = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(e), out, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(e), out + 32, 32);
    ECDSA_SIG_free(e);
    return raw;
  }

  /// A compact JWS of `payload` under `alg`; `header` overrides the
  /// default {"alg":alg,"kid":kid,"typ":"JWT"}.
  std::string token(const std::string& alg, const std::string& payload,
                    nlohmann::json header = nullptr) const {
    if (header.is_null())
      header = {{"alg", alg}, {"kid", kid}, {"typ", "JWT"}};
    auto input = base64url_encode(header.dump()) + "."
                 + base64url_encode(payload);
    return input + "." + base64url_encode(sign(alg, input));
  }
};

/// {"keys": [...]} of the given JWKs.
inline std::string jwks_of(std::initializer_list<nlohmann::json> keys) {
  return nlohmann::json{{"keys", nlohmann::json::array_t(keys)}}.dump();
}

} // namespace pact::policy::testing
