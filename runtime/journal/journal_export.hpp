#pragma once

/// The journal export format (`pact log --export FILE`, docs/journal.md
/// "Export format"): JSON lines, one object per line, that archive a
/// contiguous run of journal entries so that it can be verified offline
/// (`pact log --verify --file FILE`) without the journal or a token.
///
///   {"format":"pact-journal-export","version":1,
///    "first_sequence":S,"anchor_hash":HEX}                  header
///   {"sequence":S,"entry":BASE64,"hash":HEX}                one per entry
///   {"end":true,"entries":N,"last_sequence":L,"last_hash":HEX} trailer
///
/// `entry` is the entry's hashed bytes: its deterministic protobuf encoding
/// with `hash` cleared (entry_chain.hpp), standard base64 (RFC 4648 §4,
/// padded). `hash` is SHA-256 of those bytes, lower-case hex. The anchor is
/// the `prev_hash` of the first exported entry, i.e. the hash of the entry
/// before it (32 zero bytes when the run starts at sequence 1). The trailer
/// makes a file cut at a line boundary detectable. Pure and CAF-free.

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include <pact/protocol/journal.pb.h>

namespace pact::journal {

inline constexpr const char* export_format_name = "pact-journal-export";
inline constexpr int export_format_version = 1;
/// Longest line a verifier reads: an entry is at most 1 MiB of command
/// (leader_stamp.hpp), so its base64 stays well below this.
inline constexpr std::size_t max_export_line_bytes = std::size_t{4} << 20;

/// Standard base64 with padding (RFC 4648 §4).
std::string base64_encode(std::string_view bytes);
/// Strict decoding: only the standard alphabet, length a multiple of 4,
/// `=` only as the final one or two characters, zero unused bits (so each
/// byte string has one accepted encoding). nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);
/// Lower-case hex of exactly 64 digits to 32 bytes; nullopt otherwise.
std::optional<std::string> hash_from_hex(std::string_view text);

/// The header line (no newline) of a run whose first entry is `first`.
std::string export_header_line(const protocol::ConfigEntry& first);
/// One entry's line (no newline). Carries the bytes the hash covers, not
/// the stored `hash` field, so a verifier recomputes rather than trusts it.
std::string export_entry_line(const protocol::ConfigEntry& entry);
/// The trailer line (no newline) after `entries` entries ending with `last`.
std::string export_trailer_line(uint64_t entries,
                                const protocol::ConfigEntry& last);

/// What a verified export holds.
struct export_summary {
  uint64_t entries = 0;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  /// Raw 32 bytes.
  std::string anchor_hash;
  std::string last_hash;
};

/// The first problem found in an export.
struct export_problem {
  /// 1-based line number; 0 when the file as a whole is at fault.
  uint64_t line = 0;
  /// Sequence the line carries or should carry; 0 when unknown.
  uint64_t sequence = 0;
  std::string reason;

  /// "line L (sequence S): REASON" (parts left out when unknown).
  std::string message() const;
};

/// Verifies an export line by line with memory bounded by one line: the
/// header, each entry's hash recomputed from its bytes, sequences
/// consecutive from the header's first_sequence, each entry's `prev_hash`
/// equal to the previous entry's hash (the anchor for the first), and the
/// trailer's count and last hash. Every line is one JSON object holding
/// exactly its kind's members: a repeated key (which readers may resolve
/// differently, RFC 8259 §4) or an unknown member is refused, naming the
/// line and the key. Stops at the first problem.
class export_verifier {
public:
  /// Checks the next line (without its newline). False at the first
  /// problem (and for every line after it); problem() says which.
  bool feed(std::string_view line);
  /// Checks that the file ended properly (a trailer was seen). False and
  /// problem() set when not.
  bool finish();

  const std::optional<export_problem>& problem() const {
    return problem_;
  }
  const export_summary& summary() const {
    return summary_;
  }

private:
  bool fail(uint64_t sequence, std::string reason);
  bool header(std::string_view line);
  bool entry(std::string_view line);
  bool trailer(const nlohmann::json& j);
  /// Where the next line stands, for a line that names no sequence: "the
  /// line after sequence N" (or "after the header").
  std::string position() const;

  uint64_t line_ = 0;
  bool have_header_ = false;
  bool have_trailer_ = false;
  /// Hash the next entry's prev_hash must equal.
  std::string prev_hash_;
  uint64_t next_sequence_ = 0;
  export_summary summary_;
  std::optional<export_problem> problem_;
};

/// Reads `in` to its end through an export_verifier, refusing lines longer
/// than max_export_line_bytes. Returns the summary, or the first problem.
struct export_verdict {
  export_summary summary;
  std::optional<export_problem> problem;
};
export_verdict verify_export(std::istream& in);

} // namespace pact::journal
