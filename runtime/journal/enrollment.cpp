#include "runtime/journal/enrollment.hpp"

#include <algorithm>

#include <openssl/rand.h>

#include "runtime/common/assert.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/policy/base64url.hpp"

namespace pact::journal {

std::string new_enroll_token() {
  unsigned char buf[enroll_token_random_bytes];
  PACT_ASSERT(RAND_bytes(buf, sizeof buf) == 1,
              "the system's random source is available");
  return enroll_token_prefix
         + policy::base64url_encode(
           std::string_view(reinterpret_cast<const char*>(buf), sizeof buf));
}

std::string enroll_token_sha256(const std::string& token) {
  return sha256(token);
}

std::string check_hardware_id(const std::string& hw) {
  if (hw.empty())
    return "no hardware id";
  if (hw.size() > max_hardware_id_bytes)
    return "hardware id is longer than " + std::to_string(max_hardware_id_bytes)
           + " bytes";
  if (!std::all_of(hw.begin(), hw.end(),
                   [](char c) { return c > ' ' && c < 0x7f; }))
    return "hardware id has characters other than printable ASCII without "
           "spaces";
  return {};
}

std::string activation_refusal(const protocol::NodeRecord* rec,
                               const activation_claim& claim) {
  const auto name = claim.node.substr(0, 64);
  if (rec == nullptr || !rec->has_enrollment())
    return "enrollment: unknown node " + name
           + " (register it with `pact "
             "enroll "
           + name + " --vcluster V`)";
  const auto& en = rec->enrollment();
  if (en.state() == protocol::ENROLLMENT_STATE_REVOKED)
    return "enrollment: node " + name
           + " is revoked (`pact enroll` registers it anew)";
  bool first = !claim.token_sha256.empty();
  if (first
      && (en.token_sha256().empty() || en.token_sha256() != claim.token_sha256))
    return "enrollment: invalid or already used enrollment token";
  if (!en.hardware_id().empty() && en.hardware_id() != claim.hardware_id)
    return "enrollment: hardware mismatch";
  const auto& seen = en.csr_sha256();
  if (std::find(seen.begin(), seen.end(), claim.csr_sha256) != seen.end())
    return "enrollment: replayed CSR";
  if (!first && en.state() != protocol::ENROLLMENT_STATE_ACTIVE)
    return "enrollment: node " + name
           + " has no active certificate to renew (present the one-time "
             "token `pact enroll` printed)";
  return {};
}

void record_activation(protocol::Enrollment& en,
                       const protocol::JournalCommand& cmd) {
  en.set_state(protocol::ENROLLMENT_STATE_ACTIVE);
  if (en.hardware_id().empty())
    en.set_hardware_id(cmd.hardware_id());
  en.clear_token_sha256();
  en.set_cert_serial(cmd.cert_serial());
  en.set_cert_not_after_unix_ms(cmd.cert_not_after_unix_ms());
  en.set_ca_sha256(cmd.ca_sha256());
  en.set_activated_unix_ms(cmd.timestamp_unix_ms());
  auto* csrs = en.mutable_csr_sha256();
  csrs->Add(std::string(cmd.csr_sha256()));
  if (static_cast<size_t>(csrs->size()) > max_csr_history)
    csrs->DeleteSubrange(0, csrs->size() - static_cast<int>(max_csr_history));
}

void record_registration(protocol::Enrollment& en,
                         const protocol::JournalCommand& cmd, uint64_t seq) {
  en.set_state(protocol::ENROLLMENT_STATE_REGISTERED);
  en.set_hardware_id(cmd.hardware_id());
  en.set_token_sha256(cmd.enroll_token_sha256());
  en.set_enrolled_sequence(seq);
  en.set_revoked_sequence(0);
}

void record_revocation(protocol::Enrollment& en, uint64_t seq) {
  en.set_state(protocol::ENROLLMENT_STATE_REVOKED);
  en.clear_token_sha256();
  en.set_revoked_sequence(seq);
}

} // namespace pact::journal
