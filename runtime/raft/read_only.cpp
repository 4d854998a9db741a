#include "runtime/raft/read_only.hpp"

#include <algorithm>

namespace pact::raft {

void read_only::add_request(index_t index, node_id from, std::string context) {
  if (pending_.count(context) != 0)
    return;
  read_index_status st;
  st.index = index;
  st.from = from;
  st.context = context;
  queue_.push_back(context);
  pending_.emplace(std::move(context), std::move(st));
}

const std::set<node_id>* read_only::recv_ack(node_id from,
                                             const std::string& context) {
  auto i = pending_.find(context);
  if (i == pending_.end())
    return nullptr;
  i->second.acks.insert(from);
  return &i->second.acks;
}

std::vector<read_index_status> read_only::advance(const std::string& context) {
  std::vector<read_index_status> out;
  auto pos = std::find(queue_.begin(), queue_.end(), context);
  if (pos == queue_.end())
    return out;
  for (auto i = queue_.begin(); i != pos + 1; ++i) {
    auto node = pending_.extract(*i);
    out.push_back(std::move(node.mapped()));
  }
  queue_.erase(queue_.begin(), pos + 1);
  return out;
}

std::string read_only::last_pending_context() const {
  return queue_.empty() ? std::string{} : queue_.back();
}

} // namespace pact::raft
