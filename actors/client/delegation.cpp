#include "actors/client/delegation.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "actors/client/access.hpp"
#include "runtime/render/failure.hpp"

namespace pact::client {

namespace {

/// The CA bundle for the systems pact delegates to: the CLI's
/// `ca_bundle` (the site CA); its default, absent, means the system's
/// roots (a site whose lattice has a public certificate needs nothing).
std::string delegation_ca_bundle(const config::values& cfg) {
  auto bundle = cfg.get_string("ca_bundle");
  struct stat st {};
  if (bundle == "/etc/pact/ca.crt" && ::stat(bundle.c_str(), &st) != 0)
    return {};
  return bundle;
}

constexpr size_t max_detail_bytes = 4000;

/// `text` cut to at most `max` bytes, at a UTF-8 character boundary.
std::string cut(const std::string& text, size_t max) {
  if (text.size() <= max)
    return text;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
    --n;
  return text.substr(0, n);
}

/// What the journal keeps of an answer or an error.
std::string detail_of(const std::string& text) {
  return cut(text, max_detail_bytes);
}

/// An entry's message: a summary for `pact log`; the delegation's own
/// fields hold everything, so it is cut below the journal's 4096 bytes.
std::string summary_of(const std::string& text) {
  return cut(text, 1000);
}

std::string target_of(const delegated_op& op) {
  return op.action == "backup.create" ? op.path : op.node;
}

protocol::JournalCommand command_of(const delegated_op& op) {
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_DELEGATION);
  if (op.action == "backup.create")
    cmd.mutable_scope()->set_global(true);
  else
    cmd.mutable_scope()->set_node(op.node);
  auto& d = *cmd.mutable_delegation();
  d.set_action(op.action);
  d.set_node(op.node);
  d.set_path(op.path);
  d.set_reason(op.reason);
  d.set_force(op.force);
  d.set_backend(op.backend);
  d.set_endpoint(op.endpoint);
  return cmd;
}

} // namespace

expected<delegation::lattice_settings>
lattice_settings_of(const config::values& cfg, const char* own_token_variable) {
  // The endpoint first: without one there is nothing to authenticate to.
  const char* ep = std::getenv("PACT_LATTICE_ENDPOINT");
  if (ep == nullptr || *ep == '\0')
    return make_error(delegation::lattice_not_configured);
  std::string token;
  const char* own = std::getenv("PACT_LATTICE_TOKEN");
  if (own == nullptr || *own == '\0') {
    auto t = resolve_token(cfg, own_token_variable);
    if (!t)
      return make_error(t.err().message
                          + " (lattice takes PACT_LATTICE_TOKEN, else pact's "
                            "own token)",
                        t.err().code);
    token = *t;
  }
  auto s = delegation::lattice_settings_from_env(token,
                                                 delegation_ca_bundle(cfg));
  // A shorter --timeout shortens the 5 s deadline too.
  if (s)
    s->deadline_ms = std::min<long>(s->deadline_ms, timeout_of(cfg).count());
  return s;
}

expected<delegation::node_mgmt_settings>
node_mgmt_settings_of(const config::values& cfg) {
  return delegation::node_mgmt_settings_from_env(delegation_ca_bundle(cfg));
}

protocol::AgentAction grant_action(const delegated_op& op) {
  // As the journal builds it (config_state_machine::delegation_action).
  protocol::AgentAction a;
  a.set_node(op.node);
  a.set_action(op.action);
  if (op.action == "drain")
    a.set_detail(op.reason);
  else if (op.force)
    a.set_detail("force");
  return a;
}

expected<delegated_result>
run_delegated(journal_session& s, const delegated_op& op,
              const std::function<expected<nlohmann::json>()>& call,
              bool* approval_required) {
  auto request = command_of(op);
  request.mutable_delegation()->set_phase("requested");
  request.mutable_delegation()->set_grant_id(op.grant_id);
  request.set_message(summary_of(op.action + " " + target_of(op) + " through "
                                 + op.backend + " at " + op.endpoint
                                 + (op.reason.empty() ? "" : ": " + op.reason)
                                 + (op.force ? " (--force)" : "")));
  auto asked = s.command(std::move(request));
  if (!asked)
    return asked.err();
  const auto& st = asked->result().status();
  if (st.code() != protocol::STATUS_CODE_OK) {
    if (approval_required != nullptr)
      *approval_required = st.approval_required();
    return render::failure_of(st, "journal");
  }
  delegated_result out;
  const auto& seqs = asked->result().sequences();
  out.request_sequence = seqs.empty() ? 0 : seqs[seqs.size() - 1];
  auto answer = call();
  auto outcome = command_of(op);
  auto& d = *outcome.mutable_delegation();
  d.set_phase(answer                         ? "succeeded"
              : answer.err().outcome_unknown ? "unknown"
                                             : "failed");
  d.set_request_sequence(out.request_sequence);
  d.set_detail(detail_of(answer ? answer->dump() : answer.err().message));
  outcome.set_message(
    summary_of(op.action + " " + target_of(op)
               + (answer ? " succeeded"
                  : answer.err().outcome_unknown
                    ? " sent, outcome unknown (no answer; check " + op.backend
                        + "): " + answer.err().message
                    : " failed: " + answer.err().message)));
  auto recorded = s.command(std::move(outcome));
  if (recorded && recorded->result().status().code() == protocol::STATUS_CODE_OK
      && recorded->result().sequences_size() > 0)
    out.outcome_sequence = recorded->result().sequences(0);
  else
    out.outcome_unrecorded
      = recorded ? render::failure_of(recorded->result().status(), "journal")
                 : recorded.err();
  if (!answer) {
    auto e = answer.err();
    if (e.outcome_unknown)
      e.message += "; it may have been carried out: check " + op.backend
                   + " before trying again";
    return e;
  }
  out.answer = std::move(*answer);
  return out;
}

} // namespace pact::client
