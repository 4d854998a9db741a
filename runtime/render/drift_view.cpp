#include "runtime/render/drift_view.hpp"

#include <cstdio>
#include <sstream>

#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::render {

namespace {

using protocol::DriftItem;

/// "added" (present, not declared), "missing" (declared, absent) or
/// "modified".
std::string change_of(const DriftItem& i) {
  if (!i.declared_present())
    return "added";
  if (!i.actual_present())
    return "missing";
  return "modified";
}

bool is_file(const DriftItem& i) {
  return i.category() == protocol::DELTA_CATEGORY_FILES;
}

/// A value on one line: files show their size (their content is in the
/// diff), hashes and other values as they are. The size is the agent's
/// count of the file's bytes: `v` is UTF-8-safe text, in which each byte
/// that is not UTF-8 takes four (\xNN). An agent too old to send sizes
/// leaves them unset; its UTF-8 text is then the bytes themselves.
std::string value_text(const DriftItem& i, bool present, const std::string& v,
                       bool has_bytes, uint64_t bytes) {
  if (!present)
    return "(absent)";
  bool hash = v.rfind("sha256:", 0) == 0 || v.rfind("symlink:", 0) == 0;
  if (is_file(i) && !hash)
    return "(" + std::to_string(has_bytes ? bytes : v.size()) + " bytes)";
  return terminal_safe(v);
}

std::string declared_text(const DriftItem& i) {
  return value_text(i, i.declared_present(), i.declared(),
                    i.has_declared_bytes(), i.declared_bytes());
}

std::string actual_text(const DriftItem& i) {
  return value_text(i, i.actual_present(), i.actual(), i.has_actual_bytes(),
                    i.actual_bytes());
}

/// A file's size in bytes as the agent counted it; null when unknown.
nlohmann::json bytes_json(bool has, uint64_t bytes) {
  return has ? nlohmann::json(bytes) : nlohmann::json(nullptr);
}

std::string window_text(const protocol::DriftReply& r, int64_t now) {
  switch (r.window_state()) {
    case protocol::DRIFT_WINDOW_STATE_OPEN: {
      auto left = (r.window_ends_unix_ms() - now) / 1000;
      if (left < 0)
        left = 0;
      return "commit window open until " + time_text(r.window_ends_unix_ms())
             + " (" + std::to_string(left / 60) + "m "
             + std::to_string(left % 60) + "s left)";
    }
    case protocol::DRIFT_WINDOW_STATE_EXPIRED:
      return "commit window expired: drift flagged for review";
    default:
      return "no commit window open";
  }
}

std::string magnitude_text(double m) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", m);
  return buf;
}

nlohmann::json value_json(bool present, const std::string& v) {
  return present ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json time_json(int64_t ms) {
  return ms ? nlohmann::json(time_text(ms)) : nlohmann::json(nullptr);
}

} // namespace

std::string drift_text(const protocol::DriftReply& r, int64_t now_unix_ms) {
  std::ostringstream out;
  auto node = terminal_safe(r.node());
  if (r.items_size() == 0 && !r.watcher_problem().empty())
    out << "node " << node
        << ": no drift seen, but drift detection is degraded: "
        << terminal_safe(r.watcher_problem()) << "\n";
  else if (r.items_size() == 0)
    out << "node " << node << ": no drift\n";
  else
    out << "node " << node << ": " << r.items_size() << " drifted item"
        << (r.items_size() == 1 ? "" : "s") << ", magnitude "
        << magnitude_text(r.magnitude()) << ", " << window_text(r, now_unix_ms)
        << "\n";
  if (r.items_size() > 0 && !r.watcher_problem().empty())
    out << "warning: drift detection is degraded ("
        << terminal_safe(r.watcher_problem())
        << "): the list may be incomplete\n";
  if (!r.declared_state_known())
    out << "note: the agent has no declared state from the journal yet; "
           "drift is measured against its boot baseline\n";
  if (r.scan_fallback_paths_size() > 0) {
    out << "note: inotify watch limit reached; periodic hash scans cover:";
    for (const auto& p : r.scan_fallback_paths())
      out << " " << terminal_safe(p);
    out << "\n";
  }
  for (const auto& i : r.items()) {
    out << "\n"
        << category_name(i.category()) << "  " << terminal_safe(i.key()) << "  "
        << change_of(i) << "\n"
        << "  declared: " << declared_text(i) << "\n"
        << "  actual:   " << actual_text(i) << "\n";
    if (!i.unified_diff().empty())
      out << terminal_safe(i.unified_diff(), line_mode::multi);
    if (!i.restorable())
      out << "  (only a hash of the declared content is known: rollback "
             "cannot restore it)\n";
  }
  return out.str();
}

nlohmann::json drift_json(const protocol::DriftReply& r) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : r.items())
    items.push_back(
      {{"dimension", category_name(i.category())},
       {"key", i.key()},
       {"change", change_of(i)},
       {"declared", value_json(i.declared_present(), i.declared())},
       {"actual", value_json(i.actual_present(), i.actual())},
       {"declared_bytes",
        bytes_json(i.has_declared_bytes(), i.declared_bytes())},
       {"actual_bytes", bytes_json(i.has_actual_bytes(), i.actual_bytes())},
       {"unified_diff", i.unified_diff().empty()
                          ? nlohmann::json(nullptr)
                          : nlohmann::json(i.unified_diff())},
       {"restorable", i.restorable()},
       {"since", time_json(i.since_unix_ms())}});
  const char* window = "closed";
  if (r.window_state() == protocol::DRIFT_WINDOW_STATE_OPEN)
    window = "open";
  else if (r.window_state() == protocol::DRIFT_WINDOW_STATE_EXPIRED)
    window = "expired";
  return {{"node", r.node()},
          {"declared_state_known", r.declared_state_known()},
          {"magnitude", r.magnitude()},
          {"observed", time_json(r.observed_unix_ms())},
          {"window",
           {{"state", window},
            {"opened", time_json(r.window_opened_unix_ms())},
            {"ends", time_json(r.window_ends_unix_ms())}}},
          {"scan_fallback_paths",
           std::vector<std::string>(r.scan_fallback_paths().begin(),
                                    r.scan_fallback_paths().end())},
          {"watcher_problem", r.watcher_problem().empty()
                                ? nlohmann::json(nullptr)
                                : nlohmann::json(r.watcher_problem())},
          {"items", items}};
}

std::string restored_text(const protocol::NodeRollbackReply& r,
                          const protocol::Scope& scope, uint64_t seq) {
  const auto& result = r.command().result();
  auto where = terminal_safe(scope_text(scope));
  std::ostringstream out;
  if (result.sequences().empty())
    out << where << " already declares its state after entry " << seq << "\n";
  else
    out << "rolled " << where << " back to entry " << seq << " as entry "
        << sequences_text(r.command()) << "\n";
  if (r.restored_size() == 0)
    out << "the node already held that state\n";
  for (const auto& i : r.restored())
    out << "  " << terminal_safe(i.outcome()) << "  "
        << category_name(i.category()) << " " << terminal_safe(i.key())
        << (i.detail().empty() ? "" : " (" + terminal_safe(i.detail()) + ")")
        << "\n";
  return out.str();
}

nlohmann::json restored_json(const protocol::NodeRollbackReply& r,
                             const protocol::Scope& scope, uint64_t seq) {
  const auto& result = r.command().result();
  auto restored = nlohmann::json::array();
  for (const auto& i : r.restored())
    restored.push_back({{"category", category_name(i.category())},
                        {"key", i.key()},
                        {"outcome", i.outcome()},
                        {"detail", i.detail()}});
  nlohmann::json j{{"rollback_to", seq},
                   {"scope", scope_text(scope)},
                   {"unchanged", result.sequences().empty()},
                   {"restored", restored}};
  if (!result.sequences().empty())
    j["sequence"] = result.sequences(0);
  return j;
}

} // namespace pact::render
