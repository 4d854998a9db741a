#include "runtime/render/failure.hpp"

#include <array>

#include "runtime/common/terminal_text.hpp"

namespace pact::render {

namespace {

struct status_row {
  protocol::StatusCode code;
  exit_code exit;
  /// Failures of this class concern the journal, not the request: the
  /// message says which endpoint.
  bool names_endpoint;
};

/// protocol/common.proto StatusCode, row by row (its comments give the
/// exit codes this table implements).
constexpr std::array<status_row, 9> status_table{{
  {protocol::STATUS_CODE_OK, exit_code::success, false},
  {protocol::STATUS_CODE_ERROR, exit_code::general_error, false},
  {protocol::STATUS_CODE_UNAUTHORIZED, exit_code::auth_failure, false},
  {protocol::STATUS_CODE_POLICY_REJECTED, exit_code::policy_rejection, false},
  {protocol::STATUS_CODE_CONFLICT, exit_code::conflict, false},
  {protocol::STATUS_CODE_UNAVAILABLE, exit_code::unavailable, true},
  {protocol::STATUS_CODE_NOT_WHITELISTED, exit_code::not_whitelisted, false},
  {protocol::STATUS_CODE_ROLLBACK_BLOCKED, exit_code::rollback_blocked, false},
  {protocol::STATUS_CODE_INVALID_ARGUMENT, exit_code::general_error, false},
}};

// A status code added to protocol/common.proto needs its row here.
static_assert(status_table.size() + 1 == protocol::StatusCode_ARRAYSIZE,
              "every StatusCode but UNSPECIFIED has a row");

const status_row* row_of(protocol::StatusCode code) {
  for (auto& r : status_table)
    if (r.code == code)
      return &r;
  return nullptr;
}

} // namespace

exit_code exit_code_of(protocol::StatusCode code) {
  auto* r = row_of(code);
  return r ? r->exit : exit_code::general_error;
}

error failure_of(const protocol::Status& st, const std::string& where) {
  auto* r = row_of(st.code());
  bool own = st.reason() != protocol::ERROR_REASON_UNSPECIFIED
             || (r != nullptr && r->names_endpoint);
  return make_error(own ? where + ": " + st.message() : st.message(),
                    r ? r->exit : exit_code::general_error);
}

std::string failure_text(const error& e) {
  return terminal_safe(e.message);
}

nlohmann::json failure_json(const error& e) {
  return {{"message", failure_text(e)},
          {"exit_code", to_int(e.code)},
          {"meaning", describe(e.code)}};
}

} // namespace pact::render
