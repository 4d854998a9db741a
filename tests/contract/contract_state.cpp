#include "tests/contract/contract_state.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace pact::contract {

namespace {

namespace pb = google::protobuf;

// One element: the Struct value back to text, then into the typed message.
// Going through Struct lets the fixture stay one JSON document without a
// second JSON library.
template <class Message>
std::string
load_one(const pb::Value& value, Message& out, const std::string& where) {
  std::string text;
  if (!pb::util::MessageToJsonString(value, &text).ok())
    return where + ": cannot be re-encoded";
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(text, &out, opts);
  if (!st.ok())
    return where + ": not a " + out.GetTypeName() + ": "
           + std::string(st.message());
  return "";
}

template <class Message>
std::string load_list(const pb::Value& value, std::vector<Message>& out,
                      const std::string& key) {
  if (value.kind_case() != pb::Value::kListValue)
    return "\"" + key + "\" must be a list";
  int i = 0;
  for (const auto& item : value.list_value().values()) {
    Message m;
    auto err = load_one(item, m, key + "[" + std::to_string(i++) + "]");
    if (!err.empty())
      return err;
    out.push_back(std::move(m));
  }
  return "";
}

std::string canonical(const std::string& state) {
  static const std::set<std::string> known{"unknown",  "booting", "ready",
                                           "degraded", "down",    "draining",
                                           "drained",  "failed"};
  return known.count(state) ? state : "unknown";
}

} // namespace

std::string parse_fixture(const std::string& json, lattice_state& out) {
  pb::Struct root;
  auto st = pb::util::JsonStringToMessage(json, &root);
  if (!st.ok())
    return "fixture is not a JSON object: " + std::string(st.message());
  std::string err;
  for (const auto& [key, value] : root.fields()) {
    if (key == "nodes")
      err = load_list(value, out.nodes, key);
    else if (key == "allocations")
      err = load_list(value, out.allocations, key);
    else if (key == "dags")
      err = load_list(value, out.dags, key);
    else if (key == "vclusters")
      err = load_list(value, out.vclusters, key);
    else if (key == "queues")
      err = load_list(value, out.queues, key);
    else if (key == "accounting")
      err = load_list(value, out.accounting, key);
    else if (key == "tenant_usage")
      err = load_list(value, out.tenant_usage, key);
    else if (key == "user_usage")
      err = load_list(value, out.user_usage, key);
    else if (key == "raft")
      err = load_one(value, out.raft, key);
    else if (key == "health")
      err = load_one(value, out.health.emplace(), key);
    else
      err = "unknown fixture key \"" + key + "\"";
    if (!err.empty())
      return err;
  }
  return "";
}

std::string load_fixture(const std::string& path, lattice_state& out) {
  std::ifstream in(path);
  if (!in)
    return "cannot read fixture " + path;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_fixture(text.str(), out);
}

std::string transition_error(const lattice::v1::NodeStatus& node,
                             const std::string& to,
                             const std::string& to_reason) {
  // lattice-common/src/types.rs, NodeState::can_transition_to.
  static const std::set<std::pair<std::string, std::string>> allowed{
    {"unknown", "booting"},   {"unknown", "failed"},   {"booting", "ready"},
    {"booting", "failed"},    {"ready", "degraded"},   {"ready", "draining"},
    {"ready", "down"},        {"degraded", "ready"},   {"degraded", "down"},
    {"degraded", "draining"}, {"down", "ready"},       {"down", "booting"},
    {"down", "failed"},       {"draining", "drained"}, {"drained", "ready"},
    {"drained", "booting"},   {"failed", "booting"}};
  auto from = canonical(node.state());
  if (allowed.count({from, to}))
    return "";
  return "Invalid node transition from "
         + debug_state(from, node.state_reason()) + " to "
         + debug_state(to, to_reason);
}

std::string debug_state(const std::string& state, const std::string& reason) {
  auto s = canonical(state);
  std::string name = s;
  name[0] = static_cast<char>(name[0] - 'a' + 'A');
  if (s == "degraded" || s == "down" || s == "failed")
    return name + " { reason: \"" + reason + "\" }";
  return name;
}

bool is_terminal(const std::string& allocation_state) {
  return allocation_state == "completed" || allocation_state == "failed"
         || allocation_state == "cancelled";
}

} // namespace pact::contract
