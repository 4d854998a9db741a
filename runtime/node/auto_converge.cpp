#include "runtime/node/auto_converge.hpp"

namespace pact::node {

window_actions auto_converge(drift_state& s, const std::string& node,
                             backend_map& backends) {
  window_actions out;
  auto items = s.take_auto_converge();
  if (items.empty())
    return out;
  auto results = converge(items, s.declared_raw(), backends);
  protocol::JournalCommand c;
  c.set_kind(protocol::COMMAND_KIND_AUTO_CONVERGE);
  c.mutable_scope()->set_node(node);
  *c.mutable_state_delta() = converge_delta(results);
  c.set_message(
    converge_message("converged at once (auto_converge_categories)", results));
  for (const auto& r : results) {
    out.touched.push_back(r.item.id);
    out.loud |= !r.restored;
  }
  out.log.push_back(c.message());
  out.commands.push_back(std::move(c));
  return out;
}

} // namespace pact::node
