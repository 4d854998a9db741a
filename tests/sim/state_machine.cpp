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

std::optional<command> kv_state_machine::apply(const raft::entry& e) {
  PACT_ASSERT(e.index == applied_ + 1,
                   "state machine: entries must be applied in order");
  applied_ = e.index;
  chain_ = mix(chain_, entry_digest(e));
  if (e.kind != raft::entry_kind::normal)
    return std::nullopt;
  auto c = decode_command(e.data);
  PACT_ASSERT(c.has_value(), "state machine: malformed command");
  auto& last = sessions_[c->client];
  if (c->seq > last) {
    last = c->seq;
    data_[c->key] = c->value;
  }
  return c;
}

std::string kv_state_machine::get(const std::string& key) const {
  auto i = data_.find(key);
  return i == data_.end() ? std::string{} : i->second;
}

std::string kv_state_machine::encode_snapshot() const {
  std::ostringstream out;
  out << applied_ << ' ' << chain_ << ' ' << data_.size() << ' '
      << sessions_.size();
  for (const auto& [k, v] : data_)
    out << ' ' << k << ' ' << v;
  for (const auto& [c, s] : sessions_)
    out << ' ' << c << ' ' << s;
  return out.str();
}

std::optional<kv_state_machine>
kv_state_machine::decode_snapshot(const std::string& image) {
  std::istringstream in{image};
  kv_state_machine sm;
  std::size_t keys = 0;
  std::size_t sessions = 0;
  if (!(in >> sm.applied_ >> sm.chain_ >> keys >> sessions))
    return std::nullopt;
  for (std::size_t i = 0; i < keys; ++i) {
    std::string k;
    std::string v;
    if (!(in >> k >> v))
      return std::nullopt;
    sm.data_[k] = v;
  }
  for (std::size_t i = 0; i < sessions; ++i) {
    std::uint64_t c = 0;
    std::uint64_t s = 0;
    if (!(in >> c >> s))
      return std::nullopt;
    sm.sessions_[c] = s;
  }
  return sm;
}

} // namespace pact::sim
