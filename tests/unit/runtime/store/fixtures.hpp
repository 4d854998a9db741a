#pragma once

// Shared helpers of the store tests: temporary directories, entry builders,
// a whole-state comparison, and the two fixtures the conformance suite runs
// against (STYLE.md principle 4: one suite, both stores).

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/store/lmdb_store.hpp"
#include "runtime/store/memory_store.hpp"
#include "runtime/store/state_stream.hpp"

namespace pact::store::test {

/// A fresh directory under /tmp, removed with everything in it.
class temp_dir {
public:
  temp_dir() {
    char tmpl[] = "/tmp/pact-store-test-XXXXXX";
    auto* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// Entries first, first+1, ... with the given terms and recognizable data.
inline std::vector<raft::entry> make_entries(raft::index_t first,
                                             std::vector<raft::term_t> terms,
                                             std::size_t payload_bytes = 0) {
  std::vector<raft::entry> out;
  for (auto t : terms) {
    raft::entry e;
    e.index = first++;
    e.term = t;
    e.data = "e" + std::to_string(e.index) + "t" + std::to_string(t);
    e.data.resize(e.data.size() + payload_bytes, 'x');
    out.push_back(std::move(e));
  }
  return out;
}

inline const raft::conf_state bootstrap_conf{{1, 2, 3}, {}};

/// Every observable of `s` as text, for comparing two stores and for
/// readable failure messages.
inline std::string dump(const raft_store& s) {
  std::string out;
  auto init = s.load_initial_state();
  auto list = [](const std::vector<raft::node_id>& ids) {
    std::string r;
    for (auto id : ids)
      r += std::to_string(id) + ",";
    return r;
  };
  out += "hard=" + std::to_string(init.hard.current_term) + "/"
         + std::to_string(init.hard.voted_for) + "/"
         + std::to_string(init.hard.commit_index);
  out += " conf=" + list(init.conf.voters) + "|" + list(init.conf.learners);
  out += " F=" + std::to_string(s.first_index())
         + " L=" + std::to_string(s.last_index());
  out += " start_term=" + std::to_string(s.term(s.first_index() - 1).value());
  auto meta = s.snapshot_metadata().value();
  out += " snap=" + std::to_string(meta.last_included_index) + "/"
         + std::to_string(meta.last_included_term) + "/"
         + list(meta.conf.voters);
  auto snap = s.load_snapshot();
  out += " image="
         + (snap ? std::to_string(std::hash<std::string>{}(snap->data))
                 : "error:" + snap.err().message);
  auto ents = s.entries(s.first_index(), s.last_index() + 1, SIZE_MAX);
  if (!ents.ok())
    return out + " entries=error";
  auto expect = s.first_index();
  for (const auto& e : ents.value()) {
    if (e.index != expect++)
      out += " GAP";
    out += " [" + std::to_string(e.index) + ":" + std::to_string(e.term) + ":"
           + std::to_string(static_cast<int>(e.kind)) + ":"
           + std::to_string(std::hash<std::string>{}(e.data)) + "]";
  }
  return out;
}

/// Conformance fixture: the in-memory twin.
struct memory_fixture {
  static constexpr bool durable = false;

  raft_store& store() {
    return store_;
  }
  void reopen() {
  }

  memory_store store_{bootstrap_conf};
};

/// Conformance fixture: the LMDB store in a temporary directory.
struct lmdb_fixture {
  static constexpr bool durable = true;

  lmdb_fixture() {
    opts.dir = dir.path() + "/journal";
    opts.map_size_bytes = std::size_t{64} << 20;
    opts.bootstrap = bootstrap_conf;
    open();
  }
  raft_store& store() {
    return *store_;
  }
  void open() {
    auto s = lmdb_store::open(opts);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.err().message));
    store_ = std::move(*s);
  }
  /// Closes and opens the store again: what a restart sees.
  void reopen() {
    store_.reset();
    open();
  }

  temp_dir dir;
  lmdb_options opts;
  std::unique_ptr<lmdb_store> store_;
};

/// Records by keyspace key (table prefix first).
using rows_t = std::map<std::string, std::string>;

/// The whole state stream of `rows`.
inline std::string stream_of(const rows_t& rows) {
  state_stream s([&](std::string_view from, const state_visitor& fn) {
    for (auto i = rows.lower_bound(std::string(from)); i != rows.end(); ++i)
      if (!fn(i->first, i->second))
        break;
    return pact::status{};
  });
  auto c = s.read(0, SIZE_MAX);
  REQUIRE(c);
  return c->data;
}

} // namespace pact::store::test
