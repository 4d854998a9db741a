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

void select_window(const config_state_machine& sm, const LogRequest& req,
                   const std::optional<protocol::Scope>& scope, uint32_t n,
                   LogReply& out) {
  std::string want = scope ? scope_key(*scope) : std::string{};
  uint32_t found = 0;
  for (auto s = sm.last_sequence(); s >= 1 && found < n; --s) {
    const auto* e = sm.entry(s);
    PACT_ASSERT(e != nullptr, "sequences are gap-free");
    if (!in_window(*e, req) || (scope && scope_key(e->scope()) != want))
      continue;
    *out.add_entries() = *e;
    ++found;
  }
}

void select_page(const config_state_machine& sm, const LogRequest& req,
                 uint32_t n, LogReply& out, std::size_t max_bytes) {
  auto last = sm.last_sequence();
  auto s = req.from_sequence();
  // The run starts at the first entry stamped inside the window's start;
  // after that it is contiguous, so that the chain can be verified.
  while (req.since_unix_ms() != 0 && s <= last
         && sm.entry(s)->timestamp_unix_ms() < req.since_unix_ms())
    ++s;
  std::size_t bytes = 0;
  for (; s <= last; ++s) {
    const auto* e = sm.entry(s);
    PACT_ASSERT(e != nullptr, "sequences are gap-free");
    if (req.until_unix_ms() != 0
        && e->timestamp_unix_ms() > req.until_unix_ms())
      return; // The window ends here: no more.
    if (static_cast<uint32_t>(out.entries_size()) >= n
        || (out.entries_size() > 0 && bytes >= max_bytes)) {
      out.set_more(true);
      return;
    }
    bytes += e->ByteSizeLong();
    *out.add_entries() = *e;
  }
}

} // namespace pact::journal
