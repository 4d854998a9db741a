#include "runtime/common/exit_code.hpp"

namespace pact {

const char* describe(exit_code code) noexcept {
  switch (code) {
    case exit_code::success:
      return "success";
    case exit_code::general_error:
      return "error";
    case exit_code::auth_failure:
      return "authentication/authorization failure";
    case exit_code::policy_rejection:
      return "policy rejection";
    case exit_code::conflict:
      return "conflict";
    case exit_code::unavailable:
      return "timeout / unreachable";
    case exit_code::not_whitelisted:
      return "command not whitelisted";
    case exit_code::rollback_blocked:
      return "rollback blocked by active consumers";
  }
  return "error";
}

} // namespace pact
