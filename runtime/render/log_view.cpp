#include "runtime/render/log_view.hpp"

#include "runtime/journal/entry_chain.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::render {

log_view make_log_view(protocol::LogReply reply, std::string scope, bool verify,
                       bool windowed) {
  log_view v;
  v.reply = std::move(reply);
  v.scope = std::move(scope);
  v.verify = verify;
  if (!verify)
    return v;
  journal::chain_report local;
  if (v.scope.empty() && !windowed) {
    const auto& es = v.reply.entries();
    std::vector<protocol::ConfigEntry> ascending(es.rbegin(), es.rend());
    local = journal::verify_chain(ascending);
  }
  v.ok = v.reply.verified() && local.ok;
  v.why = !v.reply.verified() ? v.reply.verify_error()
          : !local.ok         ? "entry " + std::to_string(local.first_bad)
                          + " as received: " + local.reason
                      : "";
  return v;
}

std::string log_text(const log_view& v) {
  std::string out;
  if (v.reply.entries().empty())
    out = "no entries" + (v.scope.empty() ? "" : " for " + v.scope) + "\n";
  else
    out = render_entries_text(std::vector<protocol::ConfigEntry>(
      v.reply.entries().begin(), v.reply.entries().end()));
  if (v.verify && v.ok)
    out += "hash chain verified: " + std::to_string(v.reply.total_entries())
           + " entries intact\n";
  return out;
}

nlohmann::json log_json(const log_view& v) {
  nlohmann::json j{{"entries", nlohmann::json::array()},
                   {"last_sequence", v.reply.last_sequence()}};
  for (auto& e : v.reply.entries())
    j["entries"].push_back(entry_json(e));
  if (v.verify)
    j["verify"] = {{"ok", v.ok}, {"error", v.ok ? "" : v.why}};
  if (v.reply.stale())
    j["stale"] = true;
  return j;
}

status log_outcome(const log_view& v) {
  if (v.ok)
    return {};
  return make_error("hash chain broken: " + v.why);
}

} // namespace pact::render
