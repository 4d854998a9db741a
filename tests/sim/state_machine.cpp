#include "tests/sim/state_machine.hpp"

#include <sstream>

#include "runtime/common/assert.hpp"
#include "tests/sim/rng.hpp"

namespace pact::sim {

std::string encode(const command& c) {
  return "w " + std::to_string(c.client) + ' ' + std::to_string(c.seq) + ' '
         + c.key + ' ' + c.value;
}

std::optional<command> decode_command(const std::string& data) {
  std::istringstream in{data};
  std::string tag;
  command c;
  if (!(in >> tag >> c.client >> c.seq >> c.key >> c.value) || tag != "w")
    return std::nullopt;
  return c;
}

std::uint64_t entry_digest(const raft::entry& e) {
  auto h = mix(e.index, e.term);
  h = mix(h, static_cast<std::uint64_t>(e.kind));
  return mix(h, hash_bytes(e.data.data(), e.data.size()));
}

kv_state_machine::kv_state_machine(raft::node_id id,
                                   const raft::log_storage& log,
                                   apply_observer& observer)
  : id_(id), log_(&log), observer_(&observer) {
}

raft::entry kv_state_machine::stored_entry(std::uint64_t index) const {
  PACT_ASSERT(index == applied_ + 1,
              "state machine: entries must be applied in order");
  auto ents = log_->entries(index, index + 1, SIZE_MAX);
  // The driver persists a ready's entries before it applies any (step 1
  // of the ready contract), so what it applies is in the store.
  PACT_ASSERT(ents.ok() && ents.value().size() == 1,
              "state machine: the applied entry is not in the store");
  return ents.value().front();
}

void kv_state_machine::advance(const raft::entry& e) {
  applied_ = e.index;
  chain_ = mix(chain_, entry_digest(e));
}

std::string kv_state_machine::apply(std::uint64_t index,
                                    const std::string& data) {
  auto e = stored_entry(index);
  PACT_ASSERT(e.kind == raft::entry_kind::normal && e.data == data,
              "state machine: the driver applied other bytes than the log "
              "holds");
  auto c = decode_command(data);
  PACT_ASSERT(c.has_value(), "state machine: malformed command");
  advance(e);
  auto& last = sessions_[c->client];
  if (c->seq > last) {
    last = c->seq;
    data_[c->key] = c->value;
  }
  observer_->on_apply(id_, e, chain_);
  return {};
}

void kv_state_machine::skip(std::uint64_t index) {
  auto e = stored_entry(index);
  PACT_ASSERT(e.kind != raft::entry_kind::normal,
              "state machine: the driver skipped a normal entry");
  advance(e);
  observer_->on_apply(id_, e, chain_);
}

std::string kv_state_machine::digest() const {
  std::ostringstream out;
  out << std::hex << chain_;
  return out.str();
}

std::string kv_state_machine::get(const std::string& key) const {
  auto i = data_.find(key);
  return i == data_.end() ? std::string{} : i->second;
}

std::string kv_state_machine::snapshot() const {
  std::ostringstream out;
  out << applied_ << ' ' << chain_ << ' ' << data_.size() << ' '
      << sessions_.size();
  for (const auto& [k, v] : data_)
    out << ' ' << k << ' ' << v;
  for (const auto& [c, s] : sessions_)
    out << ' ' << c << ' ' << s;
  return out.str();
}

pact::status kv_state_machine::restore(const std::string& image) {
  std::istringstream in{image};
  raft::index_t applied = 0;
  std::uint64_t chain = 0;
  std::size_t keys = 0;
  std::size_t sessions = 0;
  std::map<std::string, std::string> data;
  std::map<std::uint64_t, std::uint64_t> sess;
  if (!image.empty() && !(in >> applied >> chain >> keys >> sessions))
    return make_error("kv snapshot: malformed header");
  for (std::size_t i = 0; i < keys; ++i) {
    std::string k;
    std::string v;
    if (!(in >> k >> v))
      return make_error("kv snapshot: malformed key " + std::to_string(i));
    data[k] = v;
  }
  for (std::size_t i = 0; i < sessions; ++i) {
    std::uint64_t c = 0;
    std::uint64_t s = 0;
    if (!(in >> c >> s))
      return make_error("kv snapshot: malformed session " + std::to_string(i));
    sess[c] = s;
  }
  applied_ = applied;
  chain_ = chain;
  data_ = std::move(data);
  sessions_ = std::move(sess);
  if (applied_ != 0)
    observer_->on_restore(id_, applied_, chain_);
  return {};
}

} // namespace pact::sim
