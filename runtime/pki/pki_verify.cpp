// Reading and verifying certificates (pki.hpp: parse_cert, verify_cert,
// key_matches_cert).

#include <arpa/inet.h>

#include <cctype>
#include <ctime>

#include <openssl/bn.h>
#include <openssl/pem.h>

#include "runtime/pki/ossl.hpp"
#include "runtime/pki/pki.hpp"

namespace pact::pki {

using namespace detail;

namespace {

using bn_ptr = ossl_ptr<BIGNUM, BN_free>;
using names_ptr = ossl_ptr<GENERAL_NAMES, GENERAL_NAMES_free>;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// days_from_civil), so that no time zone or timegm() is involved.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool to_unix(const ASN1_TIME* t, int64_t& out) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1)
    return false;
  out = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400
        + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  return true;
}

/// Lower-case hex without leading zeros ("0" for zero).
std::string serial_hex(const ASN1_INTEGER* serial) {
  bn_ptr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn)
    return {};
  if (BN_is_zero(bn.get()))
    return "0";
  char* text = BN_bn2hex(bn.get());
  if (text == nullptr)
    return {};
  std::string out;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c == '0' && (out.empty() || out == "-"))
      continue;
    out.push_back(
      static_cast<char>(std::tolower(static_cast<unsigned char>(*c))));
  }
  OPENSSL_free(text);
  return out;
}

void read_alt_names(X509* cert, std::vector<std::string>& out) {
  names_ptr gens(static_cast<GENERAL_NAMES*>(
    X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!gens)
    return;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens.get()); ++i) {
    const GENERAL_NAME* gen = sk_GENERAL_NAME_value(gens.get(), i);
    int type = 0;
    auto* value
      = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(gen, &type));
    const unsigned char* data = ASN1_STRING_get0_data(value);
    int len = ASN1_STRING_length(value);
    if (type == GEN_DNS) {
      out.emplace_back(reinterpret_cast<const char*>(data),
                       static_cast<size_t>(len));
    } else if (type == GEN_IPADD && (len == 4 || len == 16)) {
      char text[INET6_ADDRSTRLEN] = {0};
      if (inet_ntop(len == 4 ? AF_INET : AF_INET6, data, text, sizeof(text)))
        out.emplace_back(text);
    }
  }
}

/// A verification failure in words (pki.hpp). OpenSSL's own strings
/// (X509_verify_cert_error_string) are not shown: pact's messages are its
/// own.
std::string verify_reason(int code, int depth) {
  std::string who = depth > 0 ? "CA certificate" : "certificate";
  switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return who + " has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return who + " is not yet valid";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "unknown issuer";
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return "bad signature";
    case X509_V_ERR_INVALID_CA:
      return "issuer is not a CA";
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
      return who + " has malformed validity dates";
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      return who + " is not allowed for this use";
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return "chain too long for the CA's path length";
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
      return who + " has an unknown critical extension";
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return who + " uses a key or digest that is too weak";
    default:
      return "rejected (X.509 verify error " + std::to_string(code) + ")";
  }
}

/// The certificates of a PEM bundle; false when a block is broken.
bool read_bundle(const std::string& pem, X509_STORE* store, int& count) {
  auto bio = mem_in(pem);
  if (!bio)
    return false;
  count = 0;
  // The end-of-input check below reads the queue's last entry; start clean.
  ERR_clear_error();
  for (;;) {
    x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert)
      break;
    if (X509_STORE_add_cert(store, cert.get()) != 1)
      return false;
    ++count;
  }
  // Reading stops at the end ("no start line") or at a broken block; only
  // the end is fine, or the bundle would be silently cut short.
  unsigned long err = ERR_peek_last_error();
  return ERR_GET_LIB(err) == ERR_LIB_PEM
         && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

pki_error verify_failed(const std::string& why) {
  return pki_error{"certificate verify failed: " + why};
}

} // namespace

bool detail::describe(X509* cert, cert_info& out) {
  if ((X509_get_extension_flags(cert) & EXFLAG_INVALID) != 0)
    return false;
  out.common_name = only_common_name(X509_get_subject_name(cert));
  read_alt_names(cert, out.alt_names);
  out.serial_hex = serial_hex(X509_get0_serialNumber(cert));
  out.sha256_hex = sha256_hex(cert_der(cert));
  out.is_ca = X509_check_ca(cert) == 1;
  return !out.serial_hex.empty() && !out.sha256_hex.empty()
         && to_unix(X509_get0_notBefore(cert), out.not_before_unix_s)
         && to_unix(X509_get0_notAfter(cert), out.not_after_unix_s);
}

result<cert_info> detail::verify_x509(X509* cert,
                                      const std::string& ca_bundle_pem,
                                      int64_t now_unix_s) {
  store_ptr store(X509_STORE_new());
  int cas = 0;
  if (!store || !read_bundle(ca_bundle_pem, store.get(), cas))
    return verify_failed("malformed CA bundle");
  if (cas == 0)
    return verify_failed("no CA certificate in the bundle");
  // Any CA of the bundle is an anchor, an intermediate as well as a root:
  // "issued by one of the CA certificates in the bundle" (pki.hpp).
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  store_ctx_ptr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr) != 1)
    return verify_failed("out of memory");
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(now_unix_s));
  if (X509_verify_cert(ctx.get()) != 1)
    return verify_failed(
      verify_reason(X509_STORE_CTX_get_error(ctx.get()),
                    X509_STORE_CTX_get_error_depth(ctx.get())));
  // A partial chain of one means the certificate itself sits in the bundle:
  // trusted as is, not issued by a CA of the bundle.
  if (sk_X509_num(X509_STORE_CTX_get0_chain(ctx.get())) < 2)
    return verify_failed("unknown issuer");
  cert_info info;
  if (!describe(cert, info))
    return pki_error{"malformed certificate"};
  return info;
}

result<cert_info> parse_cert(const std::string& cert_pem) {
  queue_guard guard;
  auto cert = read_cert(cert_pem);
  cert_info info;
  if (!cert || !describe(cert.get(), info))
    return pki_error{"malformed certificate"};
  return info;
}

result<cert_info> verify_cert(const std::string& cert_pem,
                              const std::string& ca_bundle_pem,
                              int64_t now_unix_s) {
  queue_guard guard;
  auto cert = read_cert(cert_pem);
  if (!cert)
    return pki_error{"malformed certificate"};
  return verify_x509(cert.get(), ca_bundle_pem, now_unix_s);
}

bool key_matches_cert(const std::string& key_pem, const std::string& cert_pem) {
  queue_guard guard;
  auto key = read_key(key_pem);
  auto cert = read_cert(cert_pem);
  return key && cert
         && EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) == 1;
}

} // namespace pact::pki
