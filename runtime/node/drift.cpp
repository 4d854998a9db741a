#include "runtime/node/drift.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::node {

namespace {

/// The content of a declared file value (canonical JSON with "content",
/// docs/spec.md); anything else is the content itself.
std::string file_content(const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_object() && j.contains("content") && j["content"].is_string())
    return j["content"].get<std::string>();
  return value;
}

std::string collapse_whitespace(const std::string& s) {
  std::istringstream in(s);
  std::string word, out;
  while (in >> word)
    out += (out.empty() ? "" : " ") + word;
  return out;
}

bool is_hash(const std::string& v) {
  return v.rfind(sha256_prefix, 0) == 0;
}

std::string hash_form(const std::string& v) {
  if (is_hash(v))
    return v;
  return sha256_prefix + journal::to_hex(journal::sha256(v));
}

bool same_file(const std::string& a, const std::string& b) {
  if (is_hash(a) || is_hash(b))
    return hash_form(a) == hash_form(b);
  return a == b;
}

std::vector<std::string> split_options(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string o;
  while (std::getline(in, o, ','))
    if (!o.empty())
      out.push_back(o);
  return out;
}

/// Declared mount fields against the mounted ones (both canonical JSON as
/// runtime/node/scanners.hpp and docs/spec.md write them).
bool same_mount(const std::string& declared, const std::string& actual) {
  auto d = nlohmann::json::parse(declared, nullptr, false);
  auto a = nlohmann::json::parse(actual, nullptr, false);
  if (!d.is_object() || !a.is_object())
    return declared == actual;
  for (const char* field : {"type", "source", "read_only"})
    if (d.contains(field) && d[field] != a.value(field, nlohmann::json()))
      return false;
  if (d.contains("options") && d["options"].is_string()) {
    auto mounted = split_options(a.value("options", std::string()));
    for (const auto& o : split_options(d["options"].get<std::string>()))
      if (std::find(mounted.begin(), mounted.end(), o) == mounted.end())
        return false;
  }
  return true;
}

} // namespace

expected<declared_state>
declared_state::from(const protocol::VClusterOverlay& overlay,
                     const protocol::NodeDelta& delta) {
  declared_state s;
  auto put = [&](const protocol::DeltaItem& item, const char* where) -> status {
    if (item.category() == protocol::DELTA_CATEGORY_UNSPECIFIED
        || !protocol::DeltaCategory_IsValid(item.category())
        || item.key().empty())
      return make_error(std::string(where) + " item '" + item.key()
                        + "' has no category or key");
    item_id id{item.category(), item.key()};
    if (item.action() == protocol::DELTA_ACTION_REMOVE) {
      s.items[id] = item_value::absent();
      s.raw.erase(id);
      return {};
    }
    s.raw[id] = item.value();
    s.items[id]
      = item_value::of(item.category() == protocol::DELTA_CATEGORY_FILES
                         ? file_content(item.value())
                         : item.value());
    return {};
  };
  for (const auto& item : overlay.items())
    if (auto st = put(item, "overlay"); !st)
      return st.err();
  for (const auto& item : delta.items())
    if (auto st = put(item, "node delta"); !st)
      return st.err();
  return s;
}

std::optional<item_value> declared_state::find(const item_id& id) const {
  auto it = items.find(id);
  if (it == items.end())
    return std::nullopt;
  return it->second;
}

bool same_value(category cat, const item_value& expected,
                const item_value& actual) {
  if (expected.present != actual.present)
    return false;
  if (!expected.present)
    return true;
  switch (cat) {
    case protocol::DELTA_CATEGORY_KERNEL:
      return collapse_whitespace(expected.value)
             == collapse_whitespace(actual.value);
    case protocol::DELTA_CATEGORY_FILES:
      return same_file(expected.value, actual.value);
    case protocol::DELTA_CATEGORY_MOUNTS:
      return same_mount(expected.value, actual.value);
    default:
      return expected.value == actual.value;
  }
}

std::optional<drift_item> compare(const item_id& id, const item_value& expected,
                                  const item_value& actual, bool from_journal) {
  if (same_value(static_cast<category>(id.first), expected, actual))
    return std::nullopt;
  return drift_item{id, expected, actual, from_journal, 0};
}

double dimension_weight(category cat) {
  switch (cat) {
    case protocol::DELTA_CATEGORY_KERNEL:
    case protocol::DELTA_CATEGORY_GPU:
      return 2.0;
    default:
      return 1.0;
  }
}

double magnitude(const std::vector<drift_item>& items) {
  std::array<double, protocol::DeltaCategory_ARRAYSIZE> count{};
  for (const auto& d : items) {
    PACT_ASSERT(d.id.first > 0
                  && d.id.first < protocol::DeltaCategory_ARRAYSIZE,
                "a drift item has one of the seven dimensions");
    count[static_cast<size_t>(d.id.first)] += 1.0;
  }
  double sum = 0;
  for (size_t i = 1; i < count.size(); ++i)
    sum += dimension_weight(static_cast<category>(i)) * count[i] * count[i];
  return std::sqrt(sum);
}

protocol::DeltaItem to_delta_item(const drift_item& d) {
  protocol::DeltaItem item;
  item.set_category(static_cast<category>(d.id.first));
  // Host text may not be UTF-8 (file names and contents are bytes); a
  // proto string field must be (terminal_text.hpp utf8_safe).
  item.set_key(utf8_safe(d.id.second));
  if (!d.declared.present)
    item.set_action(protocol::DELTA_ACTION_ADD);
  else if (!d.actual.present)
    item.set_action(protocol::DELTA_ACTION_REMOVE);
  else
    item.set_action(protocol::DELTA_ACTION_MODIFY);
  if (d.actual.present)
    item.set_value(utf8_safe(d.actual.value));
  if (d.declared.present)
    item.set_previous(utf8_safe(d.declared.value));
  return item;
}

} // namespace pact::node
