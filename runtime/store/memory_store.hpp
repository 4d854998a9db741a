#pragma once

/// The in-memory twin of `lmdb_store`: `raft::memory_storage` behind the
/// `raft_store` write API, with the same failure behaviour. For tests and
/// simulations; it persists nothing across processes.

#include <optional>
#include <string>

#include "runtime/raft/memory_storage.hpp"
#include "runtime/store/raft_store.hpp"
#include "runtime/store/state_stream.hpp"

namespace pact::store {

/// It is its own state_tables (the same layout as memory_tables), so that
/// copying a store (the simulator's crash model) copies its tables.
class memory_store final : public raft_store, public state_tables {
public:
  /// An empty log whose bootstrap membership is `bootstrap`.
  explicit memory_store(raft::conf_state bootstrap = {});

  raft::initial_state load_initial_state() const override;
  raft::index_t first_index() const override;
  raft::index_t last_index() const override;
  raft::result<raft::term_t> term(raft::index_t i) const override;
  raft::result<std::vector<raft::entry>>
  entries(raft::index_t lo, raft::index_t hi,
          std::size_t max_bytes) const override;
  raft::result<raft::snapshot_meta> snapshot_metadata() const override;
  raft::result<raft::snapshot_chunk>
  read_snapshot_chunk(raft::index_t snapshot_index, std::uint64_t offset,
                      std::size_t max_bytes) const override;

  pact::status save(const write_batch& b) override;
  pact::status create_snapshot(raft::index_t i, const raft::conf_state& conf,
                               std::string data) override;
  pact::status create_state_snapshot(raft::index_t i,
                                     const raft::conf_state& conf) override;
  pact::status compact(raft::index_t i) override;
  pact::expected<raft::snapshot> load_snapshot() const override;
  bool failed() const override;
  const std::string& failure() const override;
  bool full() const override {
    return full_;
  }
  state_tables& tables() override {
    return *this;
  }

  // state_tables: writes are save()s (fault injection included).
  pact::expected<std::optional<std::string>>
  get(state_table t, std::string_view key) const override;
  pact::status scan(state_table t, std::string_view from, std::string_view to,
                    bool descending, const state_visitor& fn) const override;
  pact::status write(const state_write& w) override;

  /// Fault injection: the next write fails with `reason` (as a full disk
  /// would, or a full map when `full`), writes nothing, and leaves the store
  /// failed.
  void fail_next_write(std::string reason, bool full = false);

private:
  /// Refusal or injected failure for `op`; nullopt when the write may go on.
  std::optional<pact::error> check_writable(const char* op);

  raft::memory_storage storage_;
  memory_tables rows_;
  /// The stored snapshot's image is the state stream (its view below).
  bool state_snapshot_ = false;
  /// Read view of a state snapshot: a copy of the tables as it was taken.
  mutable std::optional<state_stream> view_;
  std::string failure_;
  std::optional<std::string> injected_;
  bool inject_full_ = false;
  bool full_ = false;
};

} // namespace pact::store
