#include "tests/sim/linearizability.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>
#include <utility>

namespace pact::sim::lin {

namespace {

constexpr std::size_t nil = static_cast<std::size_t>(-1);
constexpr std::uint64_t infinity = static_cast<std::uint64_t>(-1);

/// The call and return events of a partition in time order, as a doubly
/// linked list with a head sentinel at node 0, so that linearizing an
/// operation unlinks its two nodes and backtracking relinks them in O(1)
/// (Knuth's dancing links, as in Lowe's algorithm).
class event_list {
public:
  explicit event_list(const std::vector<operation>& ops) {
    struct event {
      std::uint64_t time;
      bool is_call;
      std::size_t op;
    };
    std::vector<event> evs;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      evs.push_back({ops[i].invoke, true, i});
      evs.push_back({ops[i].response.value_or(infinity), false, i});
    }
    // At equal times calls come first: the operations overlap, which is the
    // permissive reading of a tie.
    std::stable_sort(evs.begin(), evs.end(),
                     [](const event& a, const event& b) {
                       if (a.time != b.time)
                         return a.time < b.time;
                       return a.is_call && !b.is_call;
                     });
    auto n = evs.size() + 1;
    prev_.assign(n, nil);
    next_.assign(n, nil);
    op_.assign(n, nil);
    match_.assign(n, nil);
    is_call_.assign(n, 0);
    std::vector<std::size_t> call_node(ops.size(), nil);
    for (std::size_t k = 0; k < evs.size(); ++k) {
      auto node = k + 1;
      prev_[node] = node - 1;
      next_[node - 1] = node;
      op_[node] = evs[k].op;
      is_call_[node] = evs[k].is_call ? 1 : 0;
      if (evs[k].is_call) {
        call_node[evs[k].op] = node;
      } else {
        match_[call_node[evs[k].op]] = node;
      }
    }
  }

  std::size_t first() const {
    return next_[0];
  }
  std::size_t next(std::size_t node) const {
    return next_[node];
  }
  std::size_t op(std::size_t node) const {
    return op_[node];
  }
  bool is_call(std::size_t node) const {
    return is_call_[node] != 0;
  }
  /// Removes a call and its return.
  void lift(std::size_t call) {
    unlink(call);
    unlink(match_[call]);
  }
  /// Undoes lift(call); must mirror the order of lifts.
  void unlift(std::size_t call) {
    relink(match_[call]);
    relink(call);
  }

private:
  void unlink(std::size_t n) {
    next_[prev_[n]] = next_[n];
    if (next_[n] != nil)
      prev_[next_[n]] = prev_[n];
  }
  void relink(std::size_t n) {
    next_[prev_[n]] = n;
    if (next_[n] != nil)
      prev_[next_[n]] = n;
  }

  std::vector<std::size_t> prev_, next_, op_, match_;
  std::vector<char> is_call_;
};

/// A set of operation indices.
struct bitset {
  std::vector<std::uint64_t> words;

  explicit bitset(std::size_t n) : words((n + 63) / 64, 0) {
  }
  void set(std::size_t i) {
    words[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  void reset(std::size_t i) {
    words[i / 64] &= ~(std::uint64_t{1} << (i % 64));
  }
  bool test(std::size_t i) const {
    return (words[i / 64] >> (i % 64)) & 1U;
  }
};

/// A memoized configuration: what was linearized and the state it left.
struct configuration {
  std::vector<std::uint64_t> linearized;
  std::string state;

  friend bool operator==(const configuration& a, const configuration& b) {
    return a.linearized == b.linearized && a.state == b.state;
  }
};

struct configuration_hash {
  std::size_t operator()(const configuration& c) const {
    std::uint64_t h = std::hash<std::string>{}(c.state);
    for (auto w : c.linearized) {
      h ^= w + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      h *= 0xbf58476d1ce4e5b9ULL;
    }
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

/// Where the search got furthest, for the report.
struct best_point {
  std::size_t depth = 0;
  std::vector<std::uint64_t> linearized;
  std::string state;
};

std::string explain(const std::vector<operation>& ops, const best_point& best,
                    const model& m) {
  std::ostringstream out;
  bitset done(ops.size());
  done.words = best.linearized;
  if (done.words.empty())
    done.words.assign((ops.size() + 63) / 64, 0);
  out << "partition key=\"" << (ops.empty() ? "" : ops.front().key)
      << "\": linearized at most " << best.depth << " of " << ops.size()
      << " operations; model state there: \""
      << (best.depth == 0 ? m.init : best.state)
      << "\"; operations left (by invocation):";
  std::vector<std::size_t> left;
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!done.test(i))
      left.push_back(i);
  std::stable_sort(left.begin(), left.end(), [&](auto a, auto b) {
    return ops[a].invoke < ops[b].invoke;
  });
  std::size_t shown = 0;
  for (auto i : left) {
    if (++shown > 12) {
      out << "\n  ... " << left.size() - 12 << " more";
      break;
    }
    out << "\n  " << describe(ops[i]);
  }
  return out.str();
}

/// Lowe's depth-first search over one partition.
verdict check_partition(const std::vector<operation>& ops, const model& m,
                        const check_options& opts, check_result& res) {
  event_list list{ops};
  std::unordered_set<configuration, configuration_hash> seen;
  struct frame {
    std::size_t call;
    std::string state;
  };
  std::vector<frame> stack;
  bitset linearized(ops.size());
  std::string state = m.init;
  best_point best;
  auto entry = list.first();
  while (list.first() != nil) {
    if (list.is_call(entry)) {
      auto op = list.op(entry);
      if (auto next = m.step(state, ops[op])) {
        linearized.set(op);
        if (seen.insert({linearized.words, *next}).second) {
          ++res.states;
          stack.push_back({entry, std::move(state)});
          state = std::move(*next);
          list.lift(entry);
          entry = list.first();
          if (stack.size() > best.depth)
            best = {stack.size(), linearized.words, state};
          if (seen.size() > opts.max_states)
            return verdict::unknown;
          continue;
        }
        linearized.reset(op);
      }
      entry = list.next(entry);
      continue;
    }
    // A return whose call is not linearized yet: this branch is dead.
    if (stack.empty()) {
      res.explanation = explain(ops, best, m);
      return verdict::illegal;
    }
    auto top = std::move(stack.back());
    stack.pop_back();
    state = std::move(top.state);
    linearized.reset(list.op(top.call));
    list.unlift(top.call);
    entry = list.next(top.call);
  }
  return verdict::ok;
}

} // namespace

const char* to_string(verdict v) {
  switch (v) {
    case verdict::ok:
      return "linearizable";
    case verdict::illegal:
      return "NOT linearizable";
    case verdict::unknown:
      return "unknown (search budget exceeded)";
  }
  return "?";
}

std::string describe(const operation& op) {
  std::ostringstream out;
  out << "c" << op.client << ' '
      << (op.kind == op_kind::read ? "read " : "write ") << op.key;
  if (op.kind == op_kind::write)
    out << " := \"" << op.value << '"';
  else if (!op.pending())
    out << " -> \"" << op.value << '"';
  out << " [" << op.invoke << ", ";
  if (op.pending())
    out << "pending]";
  else
    out << *op.response << ']';
  return out.str();
}

check_result check(const std::vector<operation>& history, const model& m,
                   const check_options& opts) {
  check_result res;
  std::vector<std::vector<operation>> parts;
  if (m.partition)
    parts = m.partition(history);
  else
    parts.push_back(history);
  res.partitions = parts.size();
  bool unknown = false;
  for (const auto& part : parts) {
    switch (check_partition(part, m, opts, res)) {
      case verdict::ok:
        break;
      case verdict::illegal:
        res.outcome = verdict::illegal;
        return res;
      case verdict::unknown:
        unknown = true;
        break;
    }
  }
  res.outcome = unknown ? verdict::unknown : verdict::ok;
  return res;
}

model kv_register_model() {
  model m;
  m.init = "";
  m.step = [](const std::string& state,
              const operation& op) -> std::optional<std::string> {
    if (op.kind == op_kind::write)
      return op.value;
    if (op.pending() || op.value == state)
      return state;
    return std::nullopt;
  };
  m.partition = [](const std::vector<operation>& history) {
    std::map<std::string, std::vector<operation>> by_key;
    std::map<std::string, std::set<std::string>> read_values;
    for (const auto& op : history)
      if (op.kind == op_kind::read && !op.pending())
        read_values[op.key].insert(op.value);
    for (const auto& op : history) {
      if (op.pending() && op.kind == op_kind::read)
        continue; // Returned nothing: constrains nothing.
      if (op.pending() && read_values[op.key].count(op.value) == 0)
        continue; // Never observed: linearize it last (unique values).
      by_key[op.key].push_back(op);
    }
    std::vector<std::vector<operation>> parts;
    for (auto& [key, ops] : by_key)
      parts.push_back(std::move(ops));
    return parts;
  };
  return m;
}

} // namespace pact::sim::lin
