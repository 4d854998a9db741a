#include "runtime/journal/notification.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "runtime/policy/scope_text.hpp"

namespace pact::journal {

namespace {

using json = nlohmann::json;

std::string principal_type(protocol::PrincipalType t) {
  switch (t) {
    case protocol::PRINCIPAL_TYPE_HUMAN:
      return "human";
    case protocol::PRINCIPAL_TYPE_AGENT:
      return "agent";
    case protocol::PRINCIPAL_TYPE_SERVICE:
      return "service";
    default:
      return "unspecified";
  }
}

} // namespace

std::optional<notification> notification_of(const protocol::ConfigEntry& e) {
  notification n;
  switch (e.entry_type()) {
    case protocol::ENTRY_TYPE_EMERGENCY_START:
      n.event = "emergency_start";
      break;
    case protocol::ENTRY_TYPE_EMERGENCY_END:
      n.event = "emergency_end";
      break;
    default:
      return std::nullopt;
  }
  const auto& scope = e.scope();
  // The vCluster of a node's emergency is recorded in the entry when it is
  // applied (ConfigEntry.vcluster), so every replica labels it alike.
  n.vcluster = scope.target_case() == protocol::Scope::kVcluster
                 ? scope.vcluster()
                 : e.vcluster();
  n.timestamp_unix_ms = e.timestamp_unix_ms();
  json line = {{"sequence", e.sequence()},
               {"event", n.event},
               {"scope", policy::scope_key(scope)},
               {"vcluster", n.vcluster},
               {"author",
                {{"principal", e.author().principal()},
                 {"type", principal_type(e.author().principal_type())},
                 {"role", e.author().role()}}}};
  if (scope.target_case() == protocol::Scope::kNode)
    line["node"] = scope.node();
  if (!e.emergency_reason().empty())
    line["reason"] = e.emergency_reason();
  // An end names whose emergency it was and how it ended (issue 14 item
  // 4: "who ended whose session").
  if (e.entry_type() == protocol::ENTRY_TYPE_EMERGENCY_END) {
    line["owner"] = e.emergency_owner().principal();
    line["forced"] = e.emergency_forced();
    line["window_ran_out"] = e.emergency_expired();
  }
  if (!e.message().empty())
    line["message"] = e.message();
  n.line = line.dump(-1, ' ', false, json::error_handler_t::replace);
  return n;
}

std::string loki_push_body(const std::vector<notification>& batch) {
  // One stream per label set, in first-seen order.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, json> values;
  for (const auto& n : batch) {
    auto key = std::make_pair(n.event, n.vcluster);
    if (values.find(key) == values.end()) {
      order.push_back(key);
      values[key] = json::array();
    }
    values[key].push_back(
      {std::to_string(n.timestamp_unix_ms) + "000000", n.line});
  }
  json streams = json::array();
  for (const auto& key : order) {
    json labels = {{"app", "pact"}, {"event", key.first}};
    if (!key.second.empty())
      labels["vcluster"] = key.second;
    streams.push_back({{"stream", labels}, {"values", values[key]}});
  }
  return json{{"streams", streams}}.dump(-1, ' ', false,
                                         json::error_handler_t::replace);
}

int64_t push_backoff::delay_ms(uint32_t failures) {
  constexpr int64_t first = 1000;
  constexpr int64_t cap = 60000;
  if (failures <= 1)
    return first;
  auto shift = std::min<uint32_t>(failures - 1, 16);
  return std::min(cap, first << shift);
}

} // namespace pact::journal
