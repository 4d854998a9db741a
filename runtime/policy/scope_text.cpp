#include "runtime/policy/scope_text.hpp"

namespace pact::policy {

std::string scope_key(const protocol::Scope& scope) {
  switch (scope.target_case()) {
    case protocol::Scope::kGlobal:
      return "global";
    case protocol::Scope::kVcluster:
      return "vc:" + scope.vcluster();
    case protocol::Scope::kNode:
      return "node:" + scope.node();
    case protocol::Scope::TARGET_NOT_SET:
      break;
  }
  return {};
}

} // namespace pact::policy
