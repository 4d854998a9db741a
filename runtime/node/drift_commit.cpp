#include "runtime/node/drift_commit.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/node/apply_backends.hpp"
#include "runtime/node/file_baseline.hpp"
#include "runtime/node/root_fs.hpp"

namespace pact::node {

namespace {

using protocol::DriftItem;

std::string shown_key(const item_id& id) {
  return journal::describe(journal::item_key{id.first, id.second});
}

/// Whether the live item still is what the caller was shown.
bool same_as_shown(const drift_item& live, const DriftItem& shown) {
  return live.declared.present == shown.declared_present()
         && utf8_safe(live.declared.value) == shown.declared()
         && live.actual.present == shown.actual_present()
         && utf8_safe(live.actual.value) == shown.actual();
}

/// Why `live`'s actual value cannot be committed by value; empty if it can.
std::string not_committable(const drift_item& live) {
  const auto& v = live.actual;
  if (!v.present)
    return {};
  if (live.id.first == protocol::DELTA_CATEGORY_KERNEL
      && live.id.second.rfind(module_prefix, 0) == 0)
    return "a loaded kernel module (pact does not load modules)";
  if (live.id.first != protocol::DELTA_CATEGORY_FILES)
    return {};
  if (v.value.rfind(sha256_prefix, 0) == 0)
    return "known only by its hash (over the size cap, "
           "agent.drift.baseline_max_file_bytes)";
  if (v.value.rfind(symlink_prefix, 0) == 0)
    return "a symlink (files are committed by content)";
  if (!is_utf8(v.value))
    return "not UTF-8 text";
  return {};
}

protocol::ItemExpectation expectation(const drift_state& s,
                                      const drift_item& live) {
  protocol::ItemExpectation x;
  x.set_category(static_cast<category>(live.id.first));
  x.set_key(live.id.second);
  // An item the journal declares present must still be declared so; one
  // only the baseline knew (or the node delta removes) must still be unset.
  if (live.from_journal && live.declared.present) {
    auto raw = s.declared().raw.find(live.id);
    if (raw != s.declared().raw.end()) {
      x.set_present(true);
      x.set_value(raw->second);
    }
  }
  return x;
}

} // namespace

file_meta_reader host_file_meta(const std::string& root) {
  return [root](const std::string& node_path) -> std::optional<file_meta> {
    // Resolved as the agent reads and writes it (root_fs.hpp).
    auto found = stat_in_root(root, node_path);
    if (!found)
      return std::nullopt;
    const auto& st = *found;
    file_meta m;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    m.mode = mode;
    if (const auto* pw = ::getpwuid(st.st_uid))
      m.owner = pw->pw_name;
    if (const auto* gr = ::getgrgid(st.st_gid))
      m.group = gr->gr_name;
    return m;
  };
}

std::string file_item_value(const std::string& content, const file_meta& meta) {
  nlohmann::json j{{"content", content}, {"mode", meta.mode}};
  if (!meta.owner.empty())
    j["owner"] = meta.owner;
  if (!meta.group.empty())
    j["group"] = meta.group;
  return j.dump();
}

expected<protocol::JournalCommand>
drift_commit_command(const drift_state& s,
                     const protocol::DriftCommitRequest& req,
                     const std::string& node, const file_meta_reader& meta) {
  if (req.items_size() == 0)
    return make_error("nothing to commit: no drifted items were given");
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_COMMIT);
  cmd.mutable_scope()->set_node(node);
  cmd.set_message(req.message());
  cmd.set_ttl_seconds(req.ttl_seconds());
  cmd.set_client_request_id(req.client_request_id());
  // Items are shown (and sent back) with their keys made UTF-8: a name
  // that is not UTF-8 is shown escaped, and could look like another file's
  // literal name. Live items are found by the key as shown.
  std::map<item_id, std::vector<drift_item>> by_shown;
  for (auto& d : s.items())
    by_shown[{d.id.first, utf8_safe(d.id.second)}].push_back(d);
  std::string refused;
  for (const auto& shown : req.items()) {
    item_id id{shown.category(), shown.key()};
    auto found = by_shown.find(id);
    const drift_item* live = nullptr;
    if (found != by_shown.end()) {
      if (found->second.size() > 1 || !is_utf8(found->second[0].id.second)) {
        refused += (refused.empty() ? "" : "; ") + shown_key(id)
                   + " is a name that is not UTF-8 (or looks like one); the "
                     "journal records names as UTF-8 — rename the file or "
                     "blacklist it";
        continue;
      }
      live = &found->second[0];
    }
    if (live == nullptr || !same_as_shown(*live, shown))
      return make_error(
        shown_key(id)
          + (live ? " changed again since its drift was shown"
                  : " no longer drifts (it changed since it was shown)")
          + "; nothing was written — run pact diff and commit again",
        exit_code::conflict);
    if (auto why = not_committable(*live); !why.empty()) {
      refused += (refused.empty() ? "" : "; ") + shown_key(id) + " is " + why;
      continue;
    }
    auto* item = cmd.mutable_state_delta()->add_items();
    item->set_category(static_cast<category>(id.first));
    item->set_key(id.second);
    if (!live->actual.present) {
      item->set_action(protocol::DELTA_ACTION_REMOVE);
    } else {
      item->set_action(protocol::DELTA_ACTION_SET);
      auto m = id.first == protocol::DELTA_CATEGORY_FILES
                 ? meta(id.second).value_or(file_meta{})
                 : file_meta{};
      item->set_value(id.first == protocol::DELTA_CATEGORY_FILES
                        ? file_item_value(live->actual.value, m)
                        : live->actual.value);
    }
    *cmd.add_expect_previous() = expectation(s, *live);
  }
  if (!refused.empty())
    return make_error("cannot commit by value: " + refused
                      + "; nothing was written");
  return cmd;
}

} // namespace pact::node
