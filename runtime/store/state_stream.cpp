#include "runtime/store/state_stream.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include <openssl/evp.h>

namespace pact::store {

namespace {

void put_u32(std::string& out, std::size_t n) {
  PACT_ASSERT(n <= 0xffffffffU, "state stream: record field over 4 GiB");
  for (int i = 3; i >= 0; --i)
    out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
}

} // namespace

bool is_table_prefix(char c) {
  switch (static_cast<state_table>(c)) {
    case state_table::entries:
    case state_table::by_scope:
    case state_table::by_type:
    case state_table::current:
    case state_table::meta:
      return true;
  }
  return false;
}

namespace {

EVP_MD_CTX* evp(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}

std::string sha256_of(std::string_view bytes) {
  std::string out(32, '\0');
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(),
             reinterpret_cast<unsigned char*>(out.data()), &n, EVP_sha256(),
             nullptr);
  return out;
}

} // namespace

stream_hasher::stream_hasher() : ctx_(EVP_MD_CTX_new()) {
  PACT_ASSERT(ctx_ != nullptr
                && EVP_DigestInit_ex(evp(ctx_), EVP_sha256(), nullptr) == 1,
              "SHA-256 unavailable");
}

stream_hasher::stream_hasher(const stream_hasher& o) : ctx_(EVP_MD_CTX_new()) {
  PACT_ASSERT(ctx_ != nullptr
                && EVP_MD_CTX_copy_ex(evp(ctx_), evp(o.ctx_)) == 1,
              "SHA-256 state cannot be copied");
}

stream_hasher& stream_hasher::operator=(const stream_hasher& o) {
  if (this != &o)
    PACT_ASSERT(EVP_MD_CTX_copy_ex(evp(ctx_), evp(o.ctx_)) == 1,
                "SHA-256 state cannot be copied");
  return *this;
}

stream_hasher::~stream_hasher() {
  EVP_MD_CTX_free(evp(ctx_));
}

void stream_hasher::update(std::string_view bytes) {
  EVP_DigestUpdate(evp(ctx_), bytes.data(), bytes.size());
}

std::string stream_hasher::final() {
  std::string out(32, '\0');
  unsigned int n = 0;
  EVP_DigestFinal_ex(evp(ctx_), reinterpret_cast<unsigned char*>(out.data()),
                     &n);
  return out;
}

bool take_stream_field(std::string_view& in, std::string_view& field) {
  if (in.size() < 4)
    return false;
  std::size_t n = 0;
  for (int i = 0; i < 4; ++i)
    n = (n << 8) | static_cast<unsigned char>(in[i]);
  if (in.size() - 4 < n)
    return false;
  field = in.substr(4, n);
  in.remove_prefix(4 + n);
  return true;
}

void append_stream_record(std::string& out, std::string_view key,
                          std::string_view value) {
  put_u32(out, key.size());
  out.append(key);
  put_u32(out, value.size());
  out.append(value);
}

pact::status state_stream::fill(std::string& out, std::size_t want) {
  auto take = std::min(want - out.size(), carry_.size());
  out.append(carry_, 0, take);
  carry_.erase(0, take);
  if (out.size() >= want || ended_)
    return {};
  // The smallest key after the cursor: the cursor with a NUL appended.
  std::string from = started_ ? last_key_ + std::string(1, '\0') : "";
  bool stopped = false;
  auto st = scan_(from, [&](std::string_view key, std::string_view value) {
    started_ = true;
    last_key_.assign(key);
    std::string rec;
    append_stream_record(rec, key, value);
    hash_.update(rec);
    auto fits = std::min(want - out.size(), rec.size());
    out.append(rec, 0, fits);
    carry_.assign(rec, fits, std::string::npos);
    stopped = out.size() >= want;
    return !stopped;
  });
  if (!st)
    return st;
  if (!stopped) {
    // The records ended: the checksum record closes the stream.
    ended_ = true;
    append_stream_record(carry_, {}, hash_.final());
    auto rest = std::min(want - out.size(), carry_.size());
    out.append(carry_, 0, rest);
    carry_.erase(0, rest);
  }
  return {};
}

pact::expected<raft::snapshot_chunk> state_stream::read(std::uint64_t offset,
                                                        std::size_t max_bytes) {
  PACT_ASSERT(max_bytes > 0, "state_stream::read(): empty chunk asked");
  if (offset < offset_) {
    // Back to the nearest chunk boundary served at or before `offset`, else
    // to the start.
    const position* best = nullptr;
    for (const auto& m : marks_)
      if (m.offset <= offset && (best == nullptr || m.offset > best->offset))
        best = &m;
    go_to(best != nullptr ? *best : position{});
  }
  std::string skip;
  while (offset_ < offset) {
    skip.clear();
    auto want = static_cast<std::size_t>(
      std::min<std::uint64_t>(offset - offset_, std::size_t{1} << 20));
    if (auto st = fill(skip, want); !st)
      return st.err();
    if (skip.empty())
      return make_error("state stream: offset " + std::to_string(offset)
                        + " is past the end");
    offset_ += skip.size();
  }
  if (marks_.empty() || marks_.back().offset != offset_) {
    if (marks_.size() == max_marks)
      marks_.erase(marks_.begin());
    marks_.push_back(here());
  }
  raft::snapshot_chunk chunk;
  if (auto st = fill(chunk.data, max_bytes); !st)
    return st.err();
  offset_ += chunk.data.size();
  chunk.done = ended_ && carry_.empty();
  return chunk;
}

state_stream::position state_stream::here() const {
  return position{offset_, carry_, last_key_, hash_, started_, ended_};
}

void state_stream::go_to(const position& p) {
  offset_ = p.offset;
  carry_ = p.carry;
  last_key_ = p.last_key;
  hash_ = p.hash;
  started_ = p.started;
  ended_ = p.ended;
}

keyspace_scan copy_view(const state_tables& t) {
  using rows_t = std::map<std::string, std::string, std::less<>>;
  auto rows = std::make_shared<rows_t>();
  for (auto table :
       {state_table::current, state_table::entries, state_table::meta,
        state_table::by_scope, state_table::by_type}) {
    auto st = t.scan(table, {}, {}, false,
                     [&](std::string_view key, std::string_view value) {
                       rows->emplace(table_key(table, key), value);
                       return true;
                     });
    PACT_ASSERT(st, "copy_view(): in-memory tables cannot fail a read");
  }
  return [rows](std::string_view from, const state_visitor& fn) {
    for (auto i = rows->lower_bound(from); i != rows->end(); ++i)
      if (!fn(i->first, i->second))
        break;
    return pact::status{};
  };
}

bool check_state_stream(std::string_view bytes) {
  // The checksum record is the last 4 + 4 + 32 bytes.
  constexpr std::size_t trailer = stream_trailer_bytes;
  if (bytes.size() < trailer)
    return false;
  auto body = bytes.substr(0, bytes.size() - trailer);
  std::string want;
  append_stream_record(want, {}, sha256_of(body));
  return bytes.substr(body.size()) == want;
}

pact::expected<state_write> parse_state_stream(std::string_view bytes) {
  if (!check_state_stream(bytes))
    return make_error("state snapshot stream: the checksum does not match "
                      "its bytes");
  bytes.remove_suffix(stream_trailer_bytes);
  state_write w;
  w.clear = true;
  std::uint64_t n = 0;
  while (!bytes.empty()) {
    std::string_view key;
    std::string_view value;
    if (!take_stream_field(bytes, key) || !take_stream_field(bytes, value))
      return make_error("state snapshot stream: record " + std::to_string(n)
                        + " is truncated");
    if (key.empty() || !is_table_prefix(key[0]))
      return make_error("state snapshot stream: record " + std::to_string(n)
                        + " names no known table");
    w.put(static_cast<state_table>(key[0]), std::string(key.substr(1)),
          std::string(value));
    ++n;
  }
  return w;
}

} // namespace pact::store
