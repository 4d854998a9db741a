#pragma once

/// The snapshot stream of the state tables (docs/storage.md "Snapshot
/// stream", issue 10 item 2): every record of the shared keyspace (table
/// prefix included) in ascending key order, each encoded as
///
///   u32 big-endian key length, key, u32 big-endian value length, value
///
/// and, last, one record with an empty key whose value is the SHA-256 of
/// every byte before it (the stream's checksum: a receiver refuses a stream
/// whose bytes were damaged or mixed up on the way before installing it).
///
/// The bytes depend only on the records, so every replica holding the same
/// tables produces the same stream. A leader serves a lagging follower
/// chunks of it straight from a read view of its tables (an LMDB read
/// transaction, or a copy of the in-memory twin's map) instead of building
/// an image in memory; the follower turns the bytes back into one write
/// set that replaces its tables.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/raft/storage.hpp"
#include "runtime/store/state_tables.hpp"

namespace pact::store {

/// Visits the records of one consistent view whose keyspace key is >=
/// `from`, ascending, until `fn` returns false. Keys are keyspace keys
/// (table prefix first).
using keyspace_scan
  = std::function<pact::status(std::string_view from, const state_visitor& fn)>;

/// SHA-256 over the bytes fed so far (the stream's checksum); copyable,
/// so that a stream position can be kept and restored.
class stream_hasher {
public:
  stream_hasher();
  stream_hasher(const stream_hasher& o);
  stream_hasher& operator=(const stream_hasher& o);
  ~stream_hasher();
  void update(std::string_view bytes);
  /// The 32-byte digest; the hasher is spent afterwards.
  std::string final();

private:
  void* ctx_; // EVP_MD_CTX, kept out of this header
};

/// Bytes of the checksum record that ends every stream (empty key, 32-byte
/// value).
constexpr std::size_t stream_trailer_bytes = 4 + 4 + 32;

/// Whether `c` is the key prefix of one of the tables.
bool is_table_prefix(char c);

/// Reads the stream of one view in chunks. Reading on from where the last
/// read ended is one cursor walk over the records it covers; any other
/// offset restarts from the beginning and skips (a rare resend).
class state_stream {
public:
  explicit state_stream(keyspace_scan scan) : scan_(std::move(scan)) {
  }

  /// At most `max_bytes` (> 0) from `offset`; `done` when the stream ends
  /// there. Errors are the view's read errors; an offset past the end is
  /// an error too.
  pact::expected<raft::snapshot_chunk> read(std::uint64_t offset,
                                            std::size_t max_bytes);

private:
  /// Appends records after the cursor to out until it holds `want` bytes
  /// or the view ends; keeps what does not fit for the next read.
  pact::status fill(std::string& out, std::size_t want);

  /// Where fill() stands: restoring one resumes the stream there without
  /// reading what came before again.
  struct position {
    std::uint64_t offset = 0;
    std::string carry;
    std::string last_key;
    stream_hasher hash;
    bool started = false;
    bool ended = false;
  };
  position here() const;
  void go_to(const position& p);

  /// Positions at the last chunk boundaries served, oldest first (at most
  /// max_marks). A leader resends the chunk a follower has not acknowledged
  /// yet (on every heartbeat response) and serves several followers at
  /// different offsets: without these, each such read would rescan and
  /// rehash the stream from byte 0 on the Raft loop.
  std::vector<position> marks_;
  static constexpr std::size_t max_marks = 8;

  keyspace_scan scan_;
  stream_hasher hash_;
  /// Stream offset of the next byte fill() yields.
  std::uint64_t offset_ = 0;
  /// Encoded bytes of a record that did not fit the last chunk.
  std::string carry_;
  /// Key of the last record encoded (the cursor), if any.
  std::string last_key_;
  bool started_ = false;
  bool ended_ = false;
};

/// A view of `t` for the in-memory stores: a copy of every record, shared
/// by the returned scan (the LMDB store uses a read transaction instead).
keyspace_scan copy_view(const state_tables& t);

/// Takes one `u32 big-endian length, bytes` field from the front of `in`;
/// false (and `in` unchanged) when `in` does not hold a whole one.
bool take_stream_field(std::string_view& in, std::string_view& field);

/// Appends the stream encoding of one record.
void append_stream_record(std::string& out, std::string_view key,
                          std::string_view value);

/// Whether `bytes` is a whole stream whose checksum record matches.
bool check_state_stream(std::string_view bytes);

/// The write set that replaces the tables with the records of `bytes`
/// (clear, then one put per record). Errors name a truncated record, a key
/// of no known table, or a missing or wrong checksum; nothing is returned
/// then.
pact::expected<state_write> parse_state_stream(std::string_view bytes);

} // namespace pact::store
