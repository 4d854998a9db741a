#include "runtime/journal/enroll_issue.hpp"

#include "runtime/journal/enrollment.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

namespace {

issue_outcome
refused(std::string message,
        protocol::StatusCode code = protocol::STATUS_CODE_UNAUTHORIZED) {
  issue_outcome out;
  out.refusal = {code, std::move(message)};
  return out;
}

} // namespace

issue_outcome
issue_node_cert(const protocol::EnrollRequest& req, const node_ca_material& ca,
                int64_t validity_seconds, int64_t now_unix_ms, bool state_read,
                const protocol::NodeRecord* known) {
  const auto& node = req.node();
  if (!valid_name(node))
    return refused("enrollment: invalid node name '" + node.substr(0, 64)
                   + "'");
  if (auto err = check_hardware_id(req.hardware_id()); !err.empty())
    return refused("enrollment: " + err);
  if (req.csr_pem().size() > max_csr_bytes)
    return refused("enrollment: malformed CSR: larger than "
                   + std::to_string(max_csr_bytes) + " bytes");
  auto csr = pki::parse_csr(req.csr_pem());
  if (!csr)
    return refused("enrollment: " + csr.error().message);
  if (csr->common_name != node)
    return refused("enrollment: the CSR names '"
                   + csr->common_name.substr(0, 64) + "', not the node '" + node
                   + "'");
  std::string token_hash = req.enroll_token().empty()
                             ? std::string()
                             : enroll_token_sha256(req.enroll_token());
  if (state_read)
    if (auto why = activation_refusal(known, {node, req.hardware_id(),
                                              token_hash, csr->sha256_hex});
        !why.empty())
      return refused(why);
  const int64_t now_s = now_unix_ms / 1000;
  auto cert = pki::sign_node_cert(ca.ca, req.csr_pem(), now_s,
                                  validity_seconds);
  if (!cert)
    return refused("enrollment: the journal could not sign the certificate: "
                     + cert.error().message,
                   protocol::STATUS_CODE_ERROR);
  auto info = pki::parse_cert(*cert);
  if (!info)
    return refused("enrollment: the journal could not read the certificate "
                   "it signed",
                   protocol::STATUS_CODE_ERROR);
  issued_cert out;
  out.cert_pem = std::move(*cert);
  out.not_after_unix_ms = info->not_after_unix_s * 1000;
  auto& cmd = out.activate;
  cmd.set_kind(protocol::COMMAND_KIND_NODE_ACTIVATE);
  cmd.mutable_scope()->set_node(node);
  cmd.mutable_author()->set_principal(node);
  cmd.mutable_author()->set_principal_type(protocol::PRINCIPAL_TYPE_SERVICE);
  cmd.mutable_author()->set_role("pact-node");
  cmd.set_hardware_id(req.hardware_id());
  cmd.set_enroll_token_sha256(token_hash);
  cmd.set_csr_sha256(csr->sha256_hex);
  cmd.set_cert_serial(info->serial_hex);
  cmd.set_cert_not_after_unix_ms(out.not_after_unix_ms);
  cmd.set_ca_sha256(ca.cert_sha256_hex);
  cmd.set_message("certificate " + info->serial_hex + " issued to " + node
                  + " (" + (token_hash.empty() ? "renewal" : "first enrollment")
                  + ") on hardware " + req.hardware_id());
  issue_outcome done;
  done.issued = std::move(out);
  return done;
}

} // namespace pact::journal
