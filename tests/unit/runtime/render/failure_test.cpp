// The one table from a failed response to an operator message and exit
// code (runtime/render/failure.hpp), used by `pact` and pact-mcp alike.

#include <doctest/doctest.h>

#include "runtime/render/failure.hpp"

using namespace pact;

namespace {

protocol::Status
status_of(protocol::StatusCode code, std::string message,
          protocol::ErrorReason reason = protocol::ERROR_REASON_UNSPECIFIED) {
  protocol::Status st;
  st.set_code(code);
  st.set_message(std::move(message));
  st.set_reason(reason);
  return st;
}

} // namespace

TEST_CASE("each status code has the exit code of docs/cli.md") {
  CHECK(render::exit_code_of(protocol::STATUS_CODE_OK) == exit_code::success);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_ERROR)
        == exit_code::general_error);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_UNAUTHORIZED)
        == exit_code::auth_failure);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_POLICY_REJECTED)
        == exit_code::policy_rejection);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_CONFLICT)
        == exit_code::conflict);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_UNAVAILABLE)
        == exit_code::unavailable);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_NOT_WHITELISTED)
        == exit_code::not_whitelisted);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_ROLLBACK_BLOCKED)
        == exit_code::rollback_blocked);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_INVALID_ARGUMENT)
        == exit_code::general_error);
  CHECK(render::exit_code_of(protocol::STATUS_CODE_UNSPECIFIED)
        == exit_code::general_error);
  CHECK(render::exit_code_of(static_cast<protocol::StatusCode>(99))
        == exit_code::general_error);
}

TEST_CASE("a typed failure of the journal names the endpoint") {
  // Every reason, whatever the status code that came with it: the reason
  // alone says the journal failed, not the request.
  for (int r = protocol::ErrorReason_MIN + 1; r <= protocol::ErrorReason_MAX;
       ++r) {
    if (!protocol::ErrorReason_IsValid(r))
      continue;
    auto reason = static_cast<protocol::ErrorReason>(r);
    CAPTURE(r);
    auto e = render::failure_of(status_of(protocol::STATUS_CODE_UNAVAILABLE,
                                          "no leader", reason),
                                "journal at http://j1:9443");
    CHECK(e.message == "journal at http://j1:9443: no leader");
    CHECK(e.code == exit_code::unavailable);
    auto stored = render::failure_of(status_of(protocol::STATUS_CODE_ERROR,
                                               "store full", reason),
                                     "journal at http://j1:9443");
    CHECK(stored.message == "journal at http://j1:9443: store full");
    CHECK(stored.code == exit_code::general_error);
  }
  auto down = render::failure_of(status_of(protocol::STATUS_CODE_UNAVAILABLE,
                                           "replica down"),
                                 "journal at X");
  CHECK(down.message == "journal at X: replica down");
}

TEST_CASE("a refusal of the request is the server's words alone") {
  auto denied = render::failure_of(status_of(protocol::STATUS_CODE_UNAUTHORIZED,
                                             "policy: denied"),
                                   "journal at X");
  CHECK(denied.message == "policy: denied");
  CHECK(denied.code == exit_code::auth_failure);
  auto rejected = render::failure_of(
    status_of(protocol::STATUS_CODE_POLICY_REJECTED, "blacklisted"),
    "journal at X");
  CHECK(rejected.message == "blacklisted");
  CHECK(rejected.code == exit_code::policy_rejection);
  auto conflict = render::failure_of(
    status_of(protocol::STATUS_CODE_CONFLICT, "already enrolled"), "j");
  CHECK(conflict.code == exit_code::conflict);
}

TEST_CASE("the operator's line is one line without control bytes") {
  auto e = make_error("bad\nline \x1b[2Kfake", exit_code::unavailable);
  auto text = render::failure_text(e);
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text == "bad\\nline \\x1b[2Kfake");
  auto j = render::failure_json(e);
  CHECK(j["message"] == text);
  CHECK(j["exit_code"] == 5);
  CHECK(j["meaning"] == "timeout / unreachable");
}
