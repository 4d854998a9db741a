#include "runtime/render/diag_render.hpp"

#include "runtime/common/terminal_text.hpp"

namespace pact::render {

std::string diag_text(const protocol::DiagReply& r, const std::string& prefix) {
  std::string out;
  auto line = [&](const std::string& text) {
    out += prefix;
    out += text;
    out += '\n';
  };
  for (const auto& b : r.blocks()) {
    line("--- " + terminal_safe(b.source()) + " ---");
    if (b.truncated())
      line("(truncated)");
    if (!b.note().empty())
      line("(" + terminal_safe(b.note()) + ")");
    for (const auto& l : b.lines())
      line(terminal_safe(l));
  }
  return out;
}

nlohmann::json diag_json(const protocol::DiagReply& r) {
  auto blocks = nlohmann::json::array();
  for (const auto& b : r.blocks())
    blocks.push_back(
      {{"source", b.source()},
       {"lines", std::vector<std::string>(b.lines().begin(), b.lines().end())},
       {"truncated", b.truncated()},
       {"note", b.note()}});
  return {{"node", r.node()}, {"lines", r.lines()}, {"blocks", blocks}};
}

} // namespace pact::render
