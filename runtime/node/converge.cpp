#include "runtime/node/converge.hpp"

#include <map>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::node {

namespace {

/// Items named in a message per kind; the rest are counted.
constexpr size_t named_per_kind = 5;

std::string names(const std::vector<const converge_result*>& rs,
                  bool with_reason) {
  std::string out;
  for (size_t i = 0; i < rs.size() && i < named_per_kind; ++i) {
    out += (i ? ", " : "") + journal::describe(rs[i]->item.id);
    if (with_reason)
      out += " (" + rs[i]->detail.substr(0, 160) + ")";
  }
  if (rs.size() > named_per_kind)
    out += " (+" + std::to_string(rs.size() - named_per_kind) + " more)";
  return out;
}

} // namespace

std::vector<converge_result> converge(const std::vector<drift_item>& items,
                                      const declared_values& declared,
                                      backend_map& backends) {
  std::map<item_id, const drift_item*> by_id;
  std::vector<restore_step> plan;
  plan.reserve(items.size());
  for (const auto& d : items) {
    by_id[d.id] = &d;
    restore_step s{d.id, d.actual, d.declared, {}};
    if (d.from_journal)
      if (auto it = declared.find(d.id); it != declared.end())
        s.target_raw = it->second;
    plan.push_back(std::move(s));
  }
  // Never unmount here: nothing checked what uses an extra mount.
  auto done = execute_steps(std::move(plan), declared, {false}, backends);
  std::vector<converge_result> out;
  out.reserve(done.size());
  for (auto& r : done)
    out.push_back(
      {*by_id.at(r.step.id), r.restored(), std::move(r.outcome.detail)});
  return out;
}

protocol::StateDelta converge_delta(const std::vector<converge_result>& r) {
  protocol::StateDelta delta;
  for (const auto& c : r)
    if (c.restored)
      *delta.add_items() = restored_item(c.item.id, c.item.actual,
                                         c.item.declared);
  return delta;
}

std::string converge_message(const std::string& why,
                             const std::vector<converge_result>& r) {
  std::vector<const converge_result*> done, left;
  for (const auto& c : r)
    (c.restored ? done : left).push_back(&c);
  std::string text = why + ": restored " + std::to_string(done.size())
                     + " item(s)";
  if (!done.empty())
    text += ": " + names(done, false);
  if (!left.empty())
    text += "; not restored: " + names(left, true);
  // Host text may not be UTF-8; the journal's message must be. Cut before
  // making it safe (a cut may split a character), leaving room for the
  // replacement characters utf8_safe may add.
  return utf8_safe(text.substr(0, journal::max_message_bytes / 2));
}

} // namespace pact::node
