#include "mcp/confirm.hpp"

namespace pact::mcp {

json confirmation_schema() {
  return {{"type", "object"},
          {"properties",
           {{"confirm",
             {{"type", "boolean"},
              {"title", "Go ahead"},
              {"description", "Allow the AI agent to do this now"},
              {"default", false}}}}},
          {"required", json::array({"confirm"})}};
}

std::optional<std::string> confirm_destructive(call_context& ctx,
                                               bool allow_without_asking,
                                               const std::string& what) {
  if (!ctx.can_elicit()) {
    if (allow_without_asking)
      return std::nullopt;
    return "refused: " + what
           + " is destructive and this MCP client cannot ask its user to "
             "confirm (no elicitation); nothing was done. The operator may "
             "start pact-mcp with PACT_MCP_ALLOW_DESTRUCTIVE=1 to allow it "
             "without asking";
  }
  auto answer
    = ctx.elicit("An AI agent asks to " + what + " through pact. Allow it?",
                 confirmation_schema());
  if (!answer) {
    if (ctx.cancelled())
      return "cancelled: " + what + " was not done";
    return "the user could not be asked to confirm (the client did not "
           "answer the elicitation); "
           + what + " was not done";
  }
  // Only an accepted form with confirm = true (not "yes", not 1) goes
  // ahead; anything else the client sends is a no.
  const json& a = *answer;
  bool yes = a.is_object() && a.contains("action") && a["action"] == "accept"
             && a.contains("content") && a["content"].is_object()
             && a["content"].contains("confirm")
             && a["content"]["confirm"] == true;
  if (yes)
    return std::nullopt;
  return "declined by the user: " + what + " was not done";
}

} // namespace pact::mcp
