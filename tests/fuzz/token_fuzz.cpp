// libFuzzer target for the bearer-token parser and verifier (issue 13 item
// 6) and the JWKS parser: every request's first untrusted bytes. The first
// input byte picks the target: even -> verify_token over the rest, with a
// development secret and an RSA and an EC key configured, so every branch
// (HS256, RS256/PS256/ES256 key lookup, claims) is reachable; odd ->
// parse_jwks over the rest. Crashes, hangs, leaks and sanitizer reports are
// the findings; a refusal is the expected outcome.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/policy/jwk.hpp"
#include "runtime/policy/key_store.hpp"
#include "runtime/policy/token.hpp"

namespace {

// Public halves of throwaway keys, generated once with openssl for this
// target; nothing signed with them exists outside the corpus.
constexpr const char* jwks = R"({"keys":[
{"kty":"RSA","kid":"rsa-1","use":"sig","e":"AQAB","n":"6UJfd02cCR0OVjIbI36065FiuKls2XkEHRYRktP4kh3ocW7IUNxDTxRZ12XzG5stzH_6HLxGJlrsHtKoVXfR6aFV1YyAdmC5sq43CpMHdMZGoBy62ktmN4wtaJx_ccT9S6UQQRHfwtqFAi76nLKMaOusqYhjy-M6qO_d-dys8vkdic7RqdihzhQU-ce3U9jj4OQsNOi7U89NxYTHERd0UvVIPijkcmvyQMa2CYppRD_SbRDYHSu9hK9q5SiuEge4H8kZyvHKh04Xfs6lIgHqIywB1ivGN64zZfGFE1Otw-hSQSNruQRt37ut3D9QELVHSQAbicqca4AyHa9QCD7cBQ"},
{"kty":"EC","kid":"ec-1","crv":"P-256","x":"IHhirqJpgpzuBO0uPjBCB4Mqar0KA4y9Klp3fYLKG5w","y":"UXEFFxT9VMb0lvWtf0bD0djnRfuJRGKfdOc0iRiqVaE"}]})";

const pact::policy::verifier_config& config() {
  static const auto c = [] {
    pact::policy::verifier_config v;
    v.issuer = "https://idp.test";
    v.hmac_secret = "fuzz-secret";
    v.group_map["hpc-admins"] = {"pact-platform-admin"};
    v.keys = std::make_shared<pact::policy::key_store>();
    auto set = pact::policy::parse_jwks(jwks);
    if (set)
      v.keys->publish(std::move(*set), 1700000000000);
    return v;
  }();
  return c;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto res = pact::policy::verify_token(rest, config(), 1700000000);
    // A verified token has a subject: the one property every caller needs.
    if (res.ok && res.claims.subject.empty())
      __builtin_trap();
  } else {
    (void)pact::policy::parse_jwks(rest);
  }
  return 0;
}
