#pragma once

/// The on-disk binary format of the LMDB raft store (docs/storage.md,
/// "Formats"). Every integer is a fixed-width big-endian u64, so that log
/// keys sort numerically under LMDB's default memcmp order (hashicorp/
/// raft-mdb does the same) and records are easy to read in a hex dump.
/// Decoders never trust their input: a short, long or otherwise malformed
/// record yields nullopt, which the store reports as corruption.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/raft/types.hpp"

namespace pact::store::codec {

/// Version written to meta/"format"; bump on any incompatible change.
inline constexpr std::uint64_t format_version = 1;

/// Bytes of one encoded u64.
inline constexpr std::size_t u64_bytes = 8;

/// Bytes before the payload in a log value: term (8) and kind (1).
inline constexpr std::size_t entry_header_bytes = u64_bytes + 1;

/// Appends `v` as 8 big-endian bytes.
void put_u64(std::string& out, std::uint64_t v);

/// Writes `v` as 8 big-endian bytes to `out` (which must hold 8 bytes).
void write_u64(char* out, std::uint64_t v);

/// Reads 8 big-endian bytes.
std::uint64_t read_u64(const char* in);

/// The log key of index `i`: 8 big-endian bytes.
std::string index_key(raft::index_t i);

/// Decodes a log key; nullopt unless it is exactly 8 bytes.
std::optional<raft::index_t> decode_index_key(std::string_view key);

/// Size of the log value of `e`: header plus payload.
std::size_t entry_value_size(const raft::entry& e);

/// Writes the log value of `e` (term, kind, data; the index lives in the
/// key) to `out`, which must hold entry_value_size(e) bytes.
void write_entry_value(char* out, const raft::entry& e);

/// Decodes a log value stored under key `index`.
std::optional<raft::entry> decode_entry(raft::index_t index,
                                        std::string_view value);

/// Term of a log value without copying its payload.
std::optional<raft::term_t> decode_entry_term(std::string_view value);

/// meta/"hard_state": current_term, voted_for, commit_index.
std::string encode_hard_state(const raft::hard_state& hs);
std::optional<raft::hard_state> decode_hard_state(std::string_view v);

/// meta/"conf_state": voter count, voters, learner count, learners.
std::string encode_conf_state(const raft::conf_state& cs);
std::optional<raft::conf_state> decode_conf_state(std::string_view v);

/// meta/"log_start": index and term of the last compacted entry (the entry
/// before first_index(); {0, 0} for a never compacted log).
struct log_start {
  raft::index_t index = 0;
  raft::term_t term = 0;
};
std::string encode_log_start(const log_start& s);
std::optional<log_start> decode_log_start(std::string_view v);

/// snapshot/"meta": the snapshot's metadata and the size of its image.
struct snapshot_record {
  raft::snapshot_meta meta;
  std::uint64_t image_bytes = 0;
};
std::string encode_snapshot_record(const snapshot_record& r);
std::optional<snapshot_record> decode_snapshot_record(std::string_view v);

/// meta/"format": format_version as one u64.
std::string encode_format();
std::optional<std::uint64_t> decode_format(std::string_view v);

/// Key of image chunk `n` in the snapshot database: "img" + 8 BE bytes.
std::string image_chunk_key(std::uint64_t n);

/// Prefix shared by all image chunk keys.
inline constexpr std::string_view image_chunk_prefix = "img";

} // namespace pact::store::codec
