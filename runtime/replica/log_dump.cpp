#include "runtime/replica/log_dump.hpp"

#include <nlohmann/json.hpp>

#include "runtime/common/files.hpp"
#include "runtime/store/lmdb_store.hpp"

namespace pact::replica {

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }
  return out;
}

const char* kind_name(raft::entry_kind k) {
  switch (k) {
    case raft::entry_kind::normal:
      return "normal";
    case raft::entry_kind::conf_change:
      return "conf_change";
    case raft::entry_kind::noop:
      return "noop";
  }
  return "unknown";
}

} // namespace

status dump_log(const std::string& dir, std::ostream& out) {
  if (!files::exists(dir + "/data.mdb"))
    return make_error(dir + ": no journal store here");
  store::lmdb_options opts;
  opts.dir = dir;
  auto s = store::lmdb_store::open(opts);
  if (!s)
    return s.err();
  auto& st = **s;
  auto init = st.load_initial_state();
  auto snap = st.snapshot_metadata();
  nlohmann::json head{{"first_index", st.first_index()},
                      {"last_index", st.last_index()},
                      {"term", init.hard.current_term},
                      {"commit", init.hard.commit_index},
                      {"snapshot_index",
                       snap ? snap.value().last_included_index : 0},
                      {"voters", init.conf.voters},
                      {"learners", init.conf.learners}};
  out << head.dump() << "\n";
  for (auto i = st.first_index(); i <= st.last_index();) {
    auto batch = st.entries(i, st.last_index() + 1, 4u << 20);
    if (!batch)
      return make_error(dir + ": cannot read entries from index "
                        + std::to_string(i));
    for (auto& e : batch.value()) {
      nlohmann::json j{{"index", e.index},
                       {"term", e.term},
                       {"kind", kind_name(e.kind)},
                       {"data", hex(e.data)}};
      out << j.dump() << "\n";
      i = e.index + 1;
    }
  }
  return {};
}

} // namespace pact::replica
