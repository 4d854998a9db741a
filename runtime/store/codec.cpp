#include "runtime/store/codec.hpp"

#include <cstring>
#include <vector>

namespace pact::store::codec {

namespace {

/// Cursor over an untrusted record: every read checks the remaining size.
class reader {
public:
  explicit reader(std::string_view in) : in_(in) {
  }

  std::optional<std::uint64_t> u64() {
    if (in_.size() < u64_bytes)
      return std::nullopt;
    auto v = read_u64(in_.data());
    in_.remove_prefix(u64_bytes);
    return v;
  }

  /// A length-prefixed list of u64; the count is checked against the bytes
  /// left before anything is allocated (a corrupt count must not allocate).
  std::optional<std::vector<std::uint64_t>> u64_list() {
    auto n = u64();
    if (!n || *n > in_.size() / u64_bytes)
      return std::nullopt;
    std::vector<std::uint64_t> out;
    out.reserve(static_cast<std::size_t>(*n));
    for (std::uint64_t i = 0; i < *n; ++i)
      out.push_back(*u64());
    return out;
  }

  bool done() const {
    return in_.empty();
  }

private:
  std::string_view in_;
};

void put_u64_list(std::string& out, const std::vector<std::uint64_t>& xs) {
  put_u64(out, xs.size());
  for (auto x : xs)
    put_u64(out, x);
}

bool valid_kind(unsigned char k) {
  return k >= static_cast<unsigned char>(raft::entry_kind::normal)
         && k <= static_cast<unsigned char>(raft::entry_kind::noop);
}

} // namespace

void write_u64(char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xffu);
    v >>= 8;
  }
}

void put_u64(std::string& out, std::uint64_t v) {
  char buf[u64_bytes];
  write_u64(buf, v);
  out.append(buf, u64_bytes);
}

std::uint64_t read_u64(const char* in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < u64_bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string index_key(raft::index_t i) {
  std::string out;
  put_u64(out, i);
  return out;
}

std::optional<raft::index_t> decode_index_key(std::string_view key) {
  if (key.size() != u64_bytes)
    return std::nullopt;
  return read_u64(key.data());
}

std::size_t entry_value_size(const raft::entry& e) {
  return entry_header_bytes + e.data.size();
}

void write_entry_value(char* out, const raft::entry& e) {
  write_u64(out, e.term);
  out[u64_bytes] = static_cast<char>(e.kind);
  if (!e.data.empty())
    std::memcpy(out + entry_header_bytes, e.data.data(), e.data.size());
}

std::optional<raft::entry> decode_entry(raft::index_t index,
                                        std::string_view value) {
  if (value.size() < entry_header_bytes)
    return std::nullopt;
  auto kind = static_cast<unsigned char>(value[u64_bytes]);
  if (!valid_kind(kind))
    return std::nullopt;
  raft::entry e;
  e.index = index;
  e.term = read_u64(value.data());
  e.kind = static_cast<raft::entry_kind>(kind);
  e.data.assign(value.substr(entry_header_bytes));
  return e;
}

std::optional<raft::term_t> decode_entry_term(std::string_view value) {
  if (value.size() < entry_header_bytes
      || !valid_kind(static_cast<unsigned char>(value[u64_bytes])))
    return std::nullopt;
  return read_u64(value.data());
}

std::string encode_hard_state(const raft::hard_state& hs) {
  std::string out;
  put_u64(out, hs.current_term);
  put_u64(out, hs.voted_for);
  put_u64(out, hs.commit_index);
  return out;
}

std::optional<raft::hard_state> decode_hard_state(std::string_view v) {
  reader r{v};
  auto term = r.u64();
  auto vote = r.u64();
  auto commit = r.u64();
  if (!term || !vote || !commit || !r.done())
    return std::nullopt;
  return raft::hard_state{*term, *vote, *commit};
}

std::string encode_conf_state(const raft::conf_state& cs) {
  std::string out;
  put_u64_list(out, cs.voters);
  put_u64_list(out, cs.learners);
  return out;
}

namespace {

std::optional<raft::conf_state> read_conf_state(reader& r) {
  auto voters = r.u64_list();
  if (!voters)
    return std::nullopt;
  auto learners = r.u64_list();
  if (!learners)
    return std::nullopt;
  return raft::conf_state{std::move(*voters), std::move(*learners)};
}

} // namespace

std::optional<raft::conf_state> decode_conf_state(std::string_view v) {
  reader r{v};
  auto cs = read_conf_state(r);
  if (!cs || !r.done())
    return std::nullopt;
  return cs;
}

std::string encode_log_start(const log_start& s) {
  std::string out;
  put_u64(out, s.index);
  put_u64(out, s.term);
  return out;
}

std::optional<log_start> decode_log_start(std::string_view v) {
  reader r{v};
  auto index = r.u64();
  auto term = r.u64();
  if (!index || !term || !r.done())
    return std::nullopt;
  return log_start{*index, *term};
}

std::string encode_snapshot_record(const snapshot_record& rec) {
  std::string out;
  put_u64(out, rec.meta.last_included_index);
  put_u64(out, rec.meta.last_included_term);
  put_u64(out, rec.image_bytes);
  out += encode_conf_state(rec.meta.conf);
  return out;
}

std::optional<snapshot_record> decode_snapshot_record(std::string_view v) {
  reader r{v};
  auto index = r.u64();
  auto term = r.u64();
  auto bytes = r.u64();
  if (!index || !term || !bytes)
    return std::nullopt;
  auto conf = read_conf_state(r);
  if (!conf || !r.done())
    return std::nullopt;
  snapshot_record rec;
  rec.meta = raft::snapshot_meta{*index, *term, std::move(*conf)};
  rec.image_bytes = *bytes;
  return rec;
}

std::string encode_format() {
  std::string out;
  put_u64(out, format_version);
  return out;
}

std::optional<std::uint64_t> decode_format(std::string_view v) {
  reader r{v};
  auto version = r.u64();
  if (!version || !r.done())
    return std::nullopt;
  return version;
}

std::string image_chunk_key(std::uint64_t n) {
  std::string out{image_chunk_prefix};
  put_u64(out, n);
  return out;
}

} // namespace pact::store::codec
