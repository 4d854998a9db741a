#include "runtime/journal/journal_items.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include "runtime/common/assert.hpp"
#include "runtime/common/terminal_text.hpp"

namespace pact::journal {

using protocol::DeltaItem;
using protocol::StateDelta;

item_key key_of(const DeltaItem& item) {
  return {static_cast<int>(item.category()), item.key()};
}

item_map to_map(const item_list& items) {
  item_map out;
  for (const auto& item : items)
    out[key_of(item)] = item;
  return out;
}

void to_list(const item_map& items, item_list* out) {
  out->Clear();
  for (const auto& [key, item] : items)
    *out->Add() = item;
}

std::string describe(const item_key& key) {
  auto name = protocol::DeltaCategory_Name(
    static_cast<protocol::DeltaCategory>(key.first));
  const std::string prefix = "DELTA_CATEGORY_";
  if (name.compare(0, prefix.size(), prefix) == 0)
    name.erase(0, prefix.size());
  for (auto& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name + ":" + key.second.substr(0, 80);
}

std::string describe(const DeltaItem& item) {
  return describe(key_of(item));
}

namespace {

/// Per-item checks of validate_delta; empty when valid.
std::string validate_item(const DeltaItem& item, int position) {
  std::string where = "change " + std::to_string(position + 1);
  if (item.category() == protocol::DELTA_CATEGORY_UNSPECIFIED
      || !protocol::DeltaCategory_IsValid(item.category()))
    return where + " has no category";
  if (item.action() == protocol::DELTA_ACTION_UNSPECIFIED
      || !protocol::DeltaAction_IsValid(item.action()))
    return where + " (" + describe(item) + ") has no action";
  if (item.key().empty())
    return where + " has an empty key";
  if (item.key().size() > max_key_bytes)
    return where + " has a key over " + std::to_string(max_key_bytes)
           + " bytes";
  if (item.value().size() > max_value_bytes
      || item.previous().size() > max_value_bytes)
    return where + " (" + describe(item) + ") has a value over "
           + std::to_string(max_value_bytes) + " bytes";
  // SET is resolved by a commit before its delta is validated; nothing
  // else may carry it, and no entry records it.
  if (item.action() == protocol::DELTA_ACTION_SET)
    return where + " (" + describe(item)
           + ") has action SET, which only a commit takes";
  if (item.action() == protocol::DELTA_ACTION_REMOVE && !item.value().empty())
    return where + " (" + describe(item) + ") removes but carries a value";
  return {};
}

} // namespace

std::string validate_delta(const StateDelta& delta) {
  if (delta.items_size() > max_delta_items)
    return "delta has " + std::to_string(delta.items_size())
           + " items, more than the limit of "
           + std::to_string(max_delta_items);
  std::set<item_key> seen;
  for (int i = 0; i < delta.items_size(); ++i) {
    const auto& item = delta.items(i);
    if (auto err = validate_item(item, i); !err.empty())
      return err;
    if (!seen.insert(key_of(item)).second)
      return "delta names " + describe(item) + " twice";
  }
  return {};
}

std::string check_declared(const item_map& declared, const StateDelta& delta) {
  for (const auto& item : delta.items()) {
    bool present = declared.count(key_of(item)) > 0;
    if (item.action() == protocol::DELTA_ACTION_ADD && present)
      return "cannot add " + describe(item) + ": already declared";
    if (item.action() != protocol::DELTA_ACTION_ADD && !present)
      return "cannot "
             + std::string(item.action() == protocol::DELTA_ACTION_REMOVE
                             ? "remove "
                             : "modify ")
             + describe(item) + ": not declared";
  }
  return {};
}

void apply_declared(item_map& declared, const StateDelta& delta) {
  for (const auto& item : delta.items()) {
    if (item.action() == protocol::DELTA_ACTION_REMOVE) {
      declared.erase(key_of(item));
      continue;
    }
    DeltaItem stored;
    stored.set_category(item.category());
    stored.set_action(protocol::DELTA_ACTION_ADD);
    stored.set_key(item.key());
    stored.set_value(item.value());
    declared[key_of(item)] = std::move(stored);
  }
}

void merge_node(item_map& committed, const StateDelta& delta) {
  for (const auto& item : delta.items())
    committed[key_of(item)] = item;
}

void merge_node_list(item_list* committed, const StateDelta& delta) {
  auto less = [](const DeltaItem& a, const DeltaItem& b) {
    if (a.category() != b.category())
      return a.category() < b.category();
    return a.key() < b.key();
  };
  for (const auto& item : delta.items()) {
    // Binary search for the item's place in the canonical order.
    int lo = 0;
    int hi = committed->size();
    while (lo < hi) {
      int mid = lo + (hi - lo) / 2;
      if (less(committed->Get(mid), item))
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < committed->size() && !less(item, committed->Get(lo))) {
      *committed->Mutable(lo) = item; // same key: the latest wins
      continue;
    }
    *committed->Add() = item;
    for (int i = committed->size() - 1; i > lo; --i)
      committed->SwapElements(i, i - 1);
  }
}

StateDelta diff_items(const item_map& from, const item_map& to) {
  // One merged walk over both maps keeps the output in canonical order.
  StateDelta out;
  auto add = [&](const DeltaItem& proto, protocol::DeltaAction action,
                 const std::string& value, const std::string& previous) {
    auto* item = out.add_items();
    item->set_category(proto.category());
    item->set_action(action);
    item->set_key(proto.key());
    item->set_value(value);
    item->set_previous(previous);
  };
  auto a = from.begin();
  auto b = to.begin();
  while (a != from.end() || b != to.end()) {
    if (b == to.end() || (a != from.end() && a->first < b->first)) {
      add(a->second, protocol::DELTA_ACTION_REMOVE, "", a->second.value());
      ++a;
    } else if (a == from.end() || b->first < a->first) {
      add(b->second, protocol::DELTA_ACTION_ADD, b->second.value(), "");
      ++b;
    } else {
      if (deterministic_bytes(a->second) != deterministic_bytes(b->second))
        add(b->second, protocol::DELTA_ACTION_MODIFY, b->second.value(),
            a->second.value());
      ++a;
      ++b;
    }
  }
  return out;
}

protocol::Scope global_scope() {
  protocol::Scope s;
  s.set_global(true);
  return s;
}

protocol::Scope vcluster_scope(const std::string& name) {
  protocol::Scope s;
  s.set_vcluster(name);
  return s;
}

protocol::Scope node_scope(const std::string& name) {
  protocol::Scope s;
  s.set_node(name);
  return s;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > max_name_bytes || name[0] == '.'
      || name[0] == '-')
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::vector<protocol::JournalCommand>
split_delta(protocol::JournalCommand cmd, int max_items, size_t max_bytes,
            size_t max_id_bytes) {
  PACT_ASSERT(max_items > 0, "split_delta: at least one item per part");
  std::vector<protocol::JournalCommand> parts;
  if (cmd.state_delta().items_size() <= max_items
      && cmd.state_delta().ByteSizeLong() <= max_bytes) {
    parts.push_back(std::move(cmd));
    return parts;
  }
  auto items = std::move(*cmd.mutable_state_delta()->mutable_items());
  cmd.mutable_state_delta()->clear_items();
  size_t bytes = 0;
  for (auto& item : items) {
    auto size = item.ByteSizeLong();
    auto* last = parts.empty() ? nullptr : &parts.back();
    if (last == nullptr || last->state_delta().items_size() >= max_items
        || (bytes + size > max_bytes && last->state_delta().items_size() > 0)) {
      parts.push_back(cmd);
      last = &parts.back();
      bytes = 0;
    }
    bytes += size;
    *last->mutable_state_delta()->add_items() = std::move(item);
  }
  auto n = std::to_string(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    auto k = std::to_string(i + 1);
    auto& part = parts[i];
    auto suffix = " (part " + k + " of " + n + ")";
    auto message = part.message();
    // Room for the suffix, and for the replacement characters utf8_safe
    // puts where the cut split a character.
    if (message.size() + suffix.size() + 16 > max_message_bytes) {
      message.resize(max_message_bytes - suffix.size() - 16);
      message = utf8_safe(message);
    }
    part.set_message(message + suffix);
    if (!part.client_request_id().empty()) {
      auto id = part.client_request_id();
      id.resize(std::min(id.size(), max_id_bytes - k.size() - 1));
      part.set_client_request_id(id + "/" + k);
    }
  }
  return parts;
}

std::string deterministic_bytes(const google::protobuf::MessageLite& msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string sha256(const std::string& data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof(md));
}

std::string to_hex(const std::string& bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 0xf]);
  }
  return out;
}

namespace {

/// The parts of `key` between `sep`s; a leading separator gives none.
std::vector<std::string> components(const std::string& key, char sep) {
  std::vector<std::string> out;
  size_t from = key.size() > 0 && key[0] == sep ? 1 : 0;
  while (from <= key.size()) {
    auto to = std::min(key.find(sep, from), key.size());
    out.push_back(key.substr(from, to - from));
    from = to + 1;
  }
  return out;
}

std::string path_shape_error(const std::string& what, const std::string& key) {
  if (key.empty() || key[0] != '/')
    return what + " '" + key + "' is not an absolute path";
  if (key == "/")
    return what + " '/' names the root directory itself";
  // Empty components ("//") name the same place as one '/'; the journal
  // compares normalized paths (path_glob.hpp).
  for (const auto& part : components(key, '/'))
    if (part == "." || part == "..")
      return what + " '" + key
             + "' has a '.' or '..' component (a declared path names one "
               "place under the node's root)";
  return {};
}

std::string sysctl_shape_error(const std::string& key) {
  if (key.empty())
    return "sysctl key is empty";
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'
          || c == '/' || c == ':'))
      return "sysctl key '" + key
             + "' has a character other than letters, digits and _-.:/";
  // With '/' present, '.' is part of a component (net/ipv4/conf/eth0.100).
  char sep = key.find('/') != std::string::npos ? '/' : '.';
  if (key[0] == sep)
    return "sysctl key '" + key + "' has an empty or '..' component";
  for (const auto& part : components(key, sep))
    if (part.empty() || part == "..")
      return "sysctl key '" + key + "' has an empty or '..' component";
  return {};
}

} // namespace

std::string key_shape_error(protocol::DeltaCategory category,
                            const std::string& key) {
  switch (category) {
    case protocol::DELTA_CATEGORY_FILES:
      return path_shape_error("file path", key);
    case protocol::DELTA_CATEGORY_MOUNTS:
      return path_shape_error("mount point", key);
    case protocol::DELTA_CATEGORY_KERNEL:
      // Kernel modules share the dimension ("module:NAME").
      if (key.rfind("module:", 0) == 0)
        return {};
      return sysctl_shape_error(key);
    default:
      return {};
  }
}

} // namespace pact::journal
