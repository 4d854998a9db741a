#include "runtime/node/converge.hpp"

#include <algorithm>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::node {

namespace {

using protocol::DeltaCategory;
using kind = apply_outcome::kind;

/// Items named in a message per kind; the rest are counted.
constexpr size_t named_per_kind = 5;

converge_result not_restored(const drift_item& d, std::string why) {
  return {d, false, std::move(why)};
}

converge_result of_outcome(const drift_item& d, const apply_outcome& o) {
  if (o.k == kind::applied)
    return {d, true, o.detail};
  return {d, false, o.detail};
}

item_backend* backend_of(backend_map& backends, int cat) {
  auto it = backends.find(static_cast<DeltaCategory>(cat));
  return it == backends.end() ? nullptr : it->second.get();
}

converge_result converge_file(const drift_item& d,
                              const declared_values& declared,
                              item_backend& files) {
  const auto& key = d.id.second;
  if (!d.declared.present)
    return of_outcome(d, files.remove(key));
  if (d.declared.value.rfind(sha256_prefix, 0) == 0)
    return not_restored(d, "held only as a hash (larger than the baseline's "
                           "content cap); restore it by hand");
  if (d.from_journal)
    if (auto it = declared.find(d.id); it != declared.end())
      return of_outcome(d, files.apply(key, it->second));
  return of_outcome(d, files.restore(key, d.declared.value));
}

converge_result converge_kernel(const drift_item& d, item_backend* sysctl) {
  if (d.id.second.rfind(module_prefix, 0) == 0)
    return not_restored(d, "the agent does not load or unload kernel "
                           "modules; use modprobe");
  if (!d.declared.present)
    return not_restored(d, "a kernel parameter cannot be unset");
  if (sysctl == nullptr)
    return not_restored(d, "no kernel backend");
  return of_outcome(d, sysctl->restore(d.id.second, d.declared.value));
}

converge_result converge_mount(const drift_item& d,
                               const declared_values& declared,
                               item_backend* mounts) {
  if (!d.declared.present)
    return not_restored(d, "an extra mount is not unmounted (it may be in "
                           "use); unmount it by hand");
  auto it = declared.find(d.id);
  const auto& value = it != declared.end() ? it->second : d.declared.value;
  if (mounts == nullptr)
    return not_restored(d, "no mount backend");
  return of_outcome(d, mounts->apply(d.id.second, value));
}

/// Order of the boot (boot_apply.hpp): kernel, mounts, files, the rest.
int rank(int cat) {
  switch (cat) {
    case protocol::DELTA_CATEGORY_KERNEL:
      return 0;
    case protocol::DELTA_CATEGORY_MOUNTS:
      return 1;
    case protocol::DELTA_CATEGORY_FILES:
      return 2;
    default:
      return 3;
  }
}

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

declared_values index_declared(const std::vector<protocol::DeltaItem>& items) {
  declared_values out;
  for (const auto& i : items)
    out[{i.category(), i.key()}] = i.value();
  return out;
}

std::vector<converge_result> converge(const std::vector<drift_item>& items,
                                      const declared_values& declared,
                                      backend_map& backends) {
  auto order = items;
  std::stable_sort(order.begin(), order.end(),
                   [](const drift_item& a, const drift_item& b) {
                     return rank(a.id.first) < rank(b.id.first);
                   });
  std::vector<converge_result> out;
  out.reserve(order.size());
  for (const auto& d : order) {
    auto* b = backend_of(backends, d.id.first);
    switch (d.id.first) {
      case protocol::DELTA_CATEGORY_FILES:
        out.push_back(b ? converge_file(d, declared, *b)
                        : not_restored(d, "no file backend"));
        break;
      case protocol::DELTA_CATEGORY_KERNEL:
        out.push_back(converge_kernel(d, b));
        break;
      case protocol::DELTA_CATEGORY_MOUNTS:
        out.push_back(converge_mount(d, declared, b));
        break;
      default:
        out.push_back(not_restored(d, "this dimension is not converged by "
                                      "the agent yet"));
    }
  }
  return out;
}

protocol::StateDelta converge_delta(const std::vector<converge_result>& r) {
  protocol::StateDelta delta;
  for (const auto& c : r)
    if (c.restored)
      // The reverse of the drift: what was there is now the previous value.
      *delta.add_items() = to_delta_item(
        {c.item.id, c.item.actual, c.item.declared, c.item.from_journal, 0});
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
