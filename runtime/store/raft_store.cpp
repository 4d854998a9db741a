#include "runtime/store/raft_store.hpp"

namespace pact::store {

write_batch batch_of(const raft::ready& rd,
                     const raft::conf_state* applied_conf) {
  write_batch b;
  if (rd.hard_state)
    b.hard_state = &*rd.hard_state;
  if (!rd.entries.empty())
    b.entries = &rd.entries;
  if (rd.snapshot)
    b.snapshot = &*rd.snapshot;
  b.conf_state = applied_conf;
  return b;
}

pact::status raft_store::apply_snapshot(const raft::snapshot& snap) {
  write_batch b;
  b.snapshot = &snap;
  return save(b);
}

std::pair<raft::index_t, raft::term_t> raft_store::durable_end() const {
  auto last = last_index();
  auto t = term(last);
  return {last, t.ok() ? t.value() : 0};
}

pact::status raft_store::append(const std::vector<raft::entry>& ents) {
  write_batch b;
  b.entries = &ents;
  return save(b);
}

pact::status raft_store::set_hard_state(const raft::hard_state& hs) {
  write_batch b;
  b.hard_state = &hs;
  return save(b);
}

pact::status raft_store::set_conf_state(const raft::conf_state& cs) {
  write_batch b;
  b.conf_state = &cs;
  return save(b);
}

} // namespace pact::store
