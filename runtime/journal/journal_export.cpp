#include "runtime/journal/journal_export.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using json = nlohmann::json;

namespace {

bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/// The unsigned integer member `key` of `obj`, or nullopt.
std::optional<uint64_t> get_u64(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned())
    return std::nullopt;
  return it->get<uint64_t>();
}

/// The string member `key` of `obj`, or nullopt.
std::optional<std::string> get_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string())
    return std::nullopt;
  return it->get<std::string>();
}

/// A line parsed as a JSON object: the object, or why not.
struct parsed_line {
  std::optional<json> obj;
  /// Set when the line is JSON but repeats a key in one object.
  std::optional<std::string> duplicate;
};

/// `line` parsed as a JSON object (nlohmann's own message is library text
/// and never reaches the operator), noting the first key an object
/// repeats: RFC 8259 §4 leaves duplicates' meaning to the reader, and
/// nlohmann keeps the last while another reader may keep the first, so a
/// line with one would be read as other bytes than were verified.
parsed_line parse_object(std::string_view line) {
  parsed_line out;
  std::vector<std::set<std::string>> keys; // One set per open object.
  auto note = [&](int, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::object_start)
      keys.emplace_back();
    else if (ev == json::parse_event_t::object_end && !keys.empty())
      keys.pop_back();
    else if (ev == json::parse_event_t::key && !keys.empty()
             && !keys.back().insert(parsed.get<std::string>()).second
             && !out.duplicate)
      out.duplicate = parsed.get<std::string>();
    return true;
  };
  auto j = json::parse(line.begin(), line.end(), note, false);
  if (!j.is_discarded() && j.is_object())
    out.obj = std::move(j);
  return out;
}

/// `key` quoted for a message: at most 64 bytes, terminal-safe.
std::string quoted_key(const std::string& key) {
  constexpr std::size_t most = 64;
  return "\"" + terminal_safe(key.substr(0, most))
         + (key.size() > most ? "..." : "") + "\"";
}

/// The first member of `obj` not among `known`, or nullopt.
std::optional<std::string>
unknown_member(const json& obj, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    if (std::none_of(known.begin(), known.end(),
                     [&](const char* k) { return key == k; }))
      return key;
  }
  return std::nullopt;
}

} // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // EVP_DecodeBlock skips surrounding whitespace and counts padding as
  // zero bytes; check the strict form first, then trim the padding.
  if (text.size() % 4 != 0)
    return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=')
    ++pad;
  for (std::size_t i = 0; i + pad < text.size(); ++i)
    if (!in_alphabet(text[i]))
      return std::nullopt;
  std::string out(3 * (text.size() / 4), '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad)
    return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  // Non-zero unused bits decode too; only the canonical form is accepted.
  if (base64_encode(out) != text)
    return std::nullopt;
  return out;
}

std::optional<std::string> hash_from_hex(std::string_view text) {
  if (text.size() != 64)
    return std::nullopt;
  std::string out;
  out.reserve(32);
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = digit(text[i]);
    int lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string export_header_line(const protocol::ConfigEntry& first) {
  json j = {{"format", export_format_name},
            {"version", export_format_version},
            {"first_sequence", first.sequence()},
            {"anchor_hash", to_hex(first.prev_hash())}};
  return j.dump();
}

std::string export_entry_line(const protocol::ConfigEntry& entry) {
  protocol::ConfigEntry copy = entry;
  copy.clear_hash();
  auto bytes = deterministic_bytes(copy);
  json j = {{"sequence", entry.sequence()},
            {"entry", base64_encode(bytes)},
            {"hash", to_hex(sha256(bytes))}};
  return j.dump();
}

std::string export_trailer_line(uint64_t entries,
                                const protocol::ConfigEntry& last) {
  json j = {{"end", true},
            {"entries", entries},
            {"last_sequence", last.sequence()},
            {"last_hash", to_hex(entry_hash(last))}};
  return j.dump();
}

std::string export_problem::message() const {
  std::string out;
  if (line != 0)
    out = "line " + std::to_string(line);
  if (sequence != 0)
    out += (out.empty() ? "" : " ") + std::string("(sequence ")
           + std::to_string(sequence) + ")";
  return out.empty() ? reason : out + ": " + reason;
}

bool export_verifier::fail(uint64_t sequence, std::string reason) {
  problem_ = export_problem{line_, sequence, std::move(reason)};
  return false;
}

bool export_verifier::feed(std::string_view line) {
  if (problem_)
    return false;
  ++line_;
  if (!have_header_)
    return header(line);
  if (have_trailer_)
    return fail(0, "text after the trailer line");
  return entry(line);
}

bool export_verifier::header(std::string_view line) {
  auto p = parse_object(line);
  auto& j = p.obj;
  if (!j)
    return fail(0, "header is not a JSON object");
  if (p.duplicate)
    return fail(0, "header repeats the key " + quoted_key(*p.duplicate));
  if (get_string(*j, "format") != std::string{export_format_name})
    return fail(0,
                std::string("not a journal export (header lacks \"format\":\"")
                  + export_format_name + "\")");
  auto version = get_u64(*j, "version");
  if (version != uint64_t{export_format_version})
    return fail(0, "unsupported export version (this pact reads version "
                     + std::to_string(export_format_version) + ")");
  auto first = get_u64(*j, "first_sequence");
  if (auto k = unknown_member(*j, {"format", "version", "first_sequence",
                                   "anchor_hash"}))
    return fail(0, "header has an unknown field " + quoted_key(*k));
  if (!first || *first == 0)
    return fail(0, "header's first_sequence is missing or 0");
  auto anchor_hex = get_string(*j, "anchor_hash");
  auto anchor = anchor_hex ? hash_from_hex(*anchor_hex) : std::nullopt;
  if (!anchor)
    return fail(0, "header's anchor_hash is not 64 lower-case hex digits");
  if (*first == 1 && *anchor != zero_hash())
    return fail(0, "header's anchor_hash must be 32 zero bytes for a run "
                   "starting at sequence 1");
  have_header_ = true;
  prev_hash_ = *anchor;
  next_sequence_ = *first;
  summary_.first_sequence = *first;
  summary_.anchor_hash = *anchor;
  return true;
}

std::string export_verifier::position() const {
  return summary_.entries == 0 ? "the line after the header"
                               : "the line after sequence "
                                   + std::to_string(summary_.last_sequence);
}

bool export_verifier::entry(std::string_view line) {
  // A line that cannot be read names no sequence: it may be a trailer cut
  // short, not an entry. Where it stands is said instead.
  auto p = parse_object(line);
  auto& j = p.obj;
  if (!j)
    return fail(0,
                "not a JSON object (damaged or cut short; " + position() + ")");
  if (p.duplicate)
    return fail(0, "repeats the key " + quoted_key(*p.duplicate) + " ("
                     + position() + ")");
  if (j->contains("end"))
    return trailer(*j);
  auto seq = get_u64(*j, "sequence");
  auto text = get_string(*j, "entry");
  auto hash_hex = get_string(*j, "hash");
  if (auto k = unknown_member(*j, {"sequence", "entry", "hash"}))
    return fail(0, "unknown field " + quoted_key(*k) + " (" + position() + ")");
  if (!seq || !text || !hash_hex)
    return fail(0, "entry line lacks sequence, entry or hash (" + position()
                     + ")");
  if (*seq != next_sequence_)
    return fail(next_sequence_, "expected sequence "
                                  + std::to_string(next_sequence_) + ", found "
                                  + std::to_string(*seq)
                                  + " (a line is missing or out of order)");
  auto bytes = base64_decode(*text);
  if (!bytes)
    return fail(*seq, "entry is not valid base64");
  auto hash = hash_from_hex(*hash_hex);
  if (!hash)
    return fail(*seq, "hash is not 64 lower-case hex digits");
  if (sha256(*bytes) != *hash)
    return fail(*seq, "hash does not match the entry's bytes");
  protocol::ConfigEntry e;
  if (!e.ParseFromString(*bytes))
    return fail(*seq, "entry bytes are not a journal entry");
  if (e.sequence() != *seq)
    return fail(*seq,
                "entry bytes carry sequence " + std::to_string(e.sequence()));
  if (!e.hash().empty())
    return fail(*seq, "entry bytes include the hash field (it must be "
                      "cleared)");
  if (e.prev_hash() != prev_hash_)
    return fail(*seq, *seq == summary_.first_sequence
                        ? "prev_hash does not match the header's anchor_hash"
                        : "prev_hash does not match the hash of entry "
                            + std::to_string(*seq - 1));
  prev_hash_ = *hash;
  ++next_sequence_;
  ++summary_.entries;
  summary_.last_sequence = *seq;
  summary_.last_hash = *hash;
  return true;
}

bool export_verifier::trailer(const json& j) {
  auto entries = get_u64(j, "entries");
  auto last = get_u64(j, "last_sequence");
  auto last_hex = get_string(j, "last_hash");
  if (auto k = unknown_member(j,
                              {"end", "entries", "last_sequence", "last_hash"}))
    return fail(0, "trailer has an unknown field " + quoted_key(*k));
  if (j.at("end") != true)
    return fail(0, "trailer's end is not true");
  if (!entries || !last || !last_hex)
    return fail(0, "trailer lacks entries, last_sequence or last_hash");
  if (summary_.entries == 0)
    return fail(0, "the export holds no entries");
  if (*entries != summary_.entries || *last != summary_.last_sequence)
    return fail(0, "trailer says " + std::to_string(*entries)
                     + " entries ending at sequence " + std::to_string(*last)
                     + ", the file holds " + std::to_string(summary_.entries)
                     + " ending at " + std::to_string(summary_.last_sequence));
  if (hash_from_hex(*last_hex) != summary_.last_hash)
    return fail(0, "trailer's last_hash does not match the last entry");
  have_trailer_ = true;
  return true;
}

bool export_verifier::finish() {
  if (problem_)
    return false;
  if (!have_header_) {
    problem_ = export_problem{0, 0, "the file is empty"};
    return false;
  }
  if (!have_trailer_) {
    problem_ = export_problem{
      line_, 0, "the file ends without the trailer line (truncated)"};
    return false;
  }
  return true;
}

export_verdict verify_export(std::istream& in) {
  export_verifier v;
  std::string line;
  auto* buf = in.rdbuf();
  bool more = buf != nullptr;
  for (uint64_t n = 1; more; ++n) {
    line.clear();
    int c = 0;
    while ((c = buf->sbumpc()) != std::char_traits<char>::eof() && c != '\n') {
      if (line.size() == max_export_line_bytes)
        return {v.summary(),
                export_problem{n, 0,
                               "line is longer than "
                                 + std::to_string(max_export_line_bytes)
                                 + " bytes"}};
      line.push_back(static_cast<char>(c));
    }
    more = c == '\n';
    if (!more && line.empty())
      break; // The final newline ends the file.
    if (!v.feed(line))
      return {v.summary(), v.problem()};
  }
  v.finish();
  return {v.summary(), v.problem()};
}

} // namespace pact::journal
