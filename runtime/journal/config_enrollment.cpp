// config_state_machine: node enrollment (issue 16; enrollment.hpp has the
// rules and the record's life). The gateway signs a CSR, then proposes
// NODE_ACTIVATE; the checks here decide, on every replica alike, whether
// the certificate it signed is ever handed out.

#include "runtime/journal/config_state_machine.hpp"

#include "runtime/journal/config_detail.hpp"
#include "runtime/journal/enrollment.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::CommandResult;
using protocol::JournalCommand;
using namespace detail;

namespace {

/// SHA-256 sizes: raw for token hashes, hex for CSRs and CAs.
constexpr size_t sha256_bytes = 32;
constexpr size_t sha256_hex_chars = 64;

bool is_hex(const std::string& s, size_t min, size_t max) {
  return s.size() >= min && s.size() <= max
         && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// The fields of a NODE_ACTIVATE that must be well formed; "" when they
/// are.
std::string check_activation(const JournalCommand& cmd) {
  if (auto err = check_hardware_id(cmd.hardware_id()); !err.empty())
    return "node activate: " + err;
  if (!cmd.enroll_token_sha256().empty()
      && cmd.enroll_token_sha256().size() != sha256_bytes)
    return "node activate: the token hash is not a SHA-256";
  if (!is_hex(cmd.csr_sha256(), sha256_hex_chars, sha256_hex_chars)
      || !is_hex(cmd.ca_sha256(), sha256_hex_chars, sha256_hex_chars))
    return "node activate: the CSR and CA digests must be SHA-256 in "
           "lower-case hex";
  // RFC 5280 §4.1.2.2: at most 20 octets.
  if (!is_hex(cmd.cert_serial(), 1, 40))
    return "node activate: the certificate serial must be 1 to 40 "
           "lower-case hex digits";
  if (cmd.cert_not_after_unix_ms() <= cmd.timestamp_unix_ms())
    return "node activate: the certificate ends before the command's time";
  return {};
}

} // namespace

std::string detail::check_registration(const JournalCommand& cmd) {
  const auto& hash = cmd.enroll_token_sha256();
  if (!hash.empty() && hash.size() != sha256_bytes)
    return "node enroll: the token hash is not a SHA-256";
  if (cmd.hardware_id().empty())
    return {};
  if (hash.empty())
    return "node enroll: a hardware id belongs to an enrollment with a "
           "token (the gateway draws it)";
  if (auto err = check_hardware_id(cmd.hardware_id()); !err.empty())
    return "node enroll: " + err;
  return {};
}

std::string detail::check_enrollment_fields(const JournalCommand& cmd) {
  bool enroll = cmd.kind() == protocol::COMMAND_KIND_NODE_ENROLL;
  bool activate = cmd.kind() == protocol::COMMAND_KIND_NODE_ACTIVATE;
  if (!enroll && !activate
      && (!cmd.hardware_id().empty() || !cmd.enroll_token_sha256().empty()))
    return "a hardware id or enrollment token belongs only to node enroll "
           "and activate commands";
  if (!activate
      && (!cmd.csr_sha256().empty() || !cmd.cert_serial().empty()
          || cmd.cert_not_after_unix_ms() != 0 || !cmd.ca_sha256().empty()))
    return "certificate fields belong only to node activate commands";
  return {};
}

CommandResult
config_state_machine::do_node_activate(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_node, "node activate");
      !err.empty())
    return refuse(invalid, err);
  if (auto err = check_activation(cmd); !err.empty())
    return refuse(invalid, err);
  const auto& name = cmd.scope().node();
  activation_claim claim{name, cmd.hardware_id(), cmd.enroll_token_sha256(),
                         cmd.csr_sha256()};
  if (auto why = activation_refusal(node(name), claim); !why.empty())
    return refuse(protocol::STATUS_CODE_UNAUTHORIZED, why);
  bool first = !cmd.enroll_token_sha256().empty();
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_NODE_ACTIVATED, cmd.scope());
  if (e.message().empty())
    e.set_message("certificate " + cmd.cert_serial() + " issued ("
                  + (first ? "first enrollment" : "renewal") + ")");
  uint64_t seq = append(std::move(e));
  record_activation(*node_record(name).mutable_enrollment(), cmd);
  return accept({seq});
}

CommandResult config_state_machine::do_node_revoke(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_node, "node revoke");
      !err.empty())
    return refuse(invalid, err);
  const auto& name = cmd.scope().node();
  const auto* rec = node(name);
  // A node enrolled before enrollment records existed has none yet: it is
  // known, and revoking it records that it may not enroll.
  if (rec == nullptr)
    return refuse(invalid, "enrollment: unknown node " + name.substr(0, 64));
  if (rec->enrollment().state() == protocol::ENROLLMENT_STATE_REVOKED)
    return unchanged(cmd.scope(), rec->enrollment().revoked_sequence());
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_NODE_REVOKED, cmd.scope());
  if (e.message().empty())
    e.set_message("enrollment of " + name + " revoked");
  uint64_t seq = append(std::move(e));
  record_revocation(*node_record(name).mutable_enrollment(), seq);
  return accept({seq});
}

} // namespace pact::journal
