#include "runtime/journal/log_selection.hpp"

#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::ConfigEntry;
using protocol::LogReply;
using protocol::LogRequest;

bool in_window(const ConfigEntry& e, const LogRequest& req) {
  auto t = e.timestamp_unix_ms();
  return (req.since_unix_ms() == 0 || t >= req.since_unix_ms())
         && (req.until_unix_ms() == 0 || t <= req.until_unix_ms());
}

status select_window(const config_state_machine& sm, const LogRequest& req,
                     const std::optional<protocol::Scope>& scope, uint32_t n,
                     LogReply& out) {
  if (n == 0)
    return {};
  std::optional<std::string> want;
  if (scope)
    want = scope_key(*scope);
  uint32_t found = 0;
  return sm.entries().newest(want, [&](const ConfigEntry& e) {
    if (!in_window(e, req))
      return true;
    *out.add_entries() = e;
    return ++found < n;
  });
}

status select_page(const config_state_machine& sm, const LogRequest& req,
                   uint32_t n, LogReply& out, std::size_t max_bytes) {
  // The run starts at the first entry stamped inside the window's start;
  // after that it is contiguous, so that the chain can be verified.
  bool started = req.since_unix_ms() == 0;
  std::size_t bytes = 0;
  return sm.entries().scan(req.from_sequence() - 1, [&](const ConfigEntry& e) {
    if (!started && e.timestamp_unix_ms() < req.since_unix_ms())
      return true;
    started = true;
    if (req.until_unix_ms() != 0 && e.timestamp_unix_ms() > req.until_unix_ms())
      return false; // The window ends here: no more.
    if (static_cast<uint32_t>(out.entries_size()) >= n
        || (out.entries_size() > 0 && bytes >= max_bytes)) {
      out.set_more(true);
      return false;
    }
    bytes += e.ByteSizeLong();
    *out.add_entries() = e;
    return true;
  });
}

} // namespace pact::journal
