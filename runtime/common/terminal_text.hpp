#pragma once

/// Neutralising stored and remote text before a terminal sees it.
///
/// Commit messages, authors, keys, values, node names, reasons and server
/// error messages come from other people; printed raw, a control sequence
/// in them can erase lines, move the cursor or draw fake output (the
/// CVE-2021-25743 class; bidi overrides reorder what is seen, CVE-2021-42574
/// "Trojan Source"). Every text-mode sink of the CLI passes such text
/// through `terminal_safe`; JSON output does not (RFC 8259 escaping keeps
/// it exact). The rendering is documented in docs/cli.md ("Output").
///
/// Shape of the result (printable, and valid UTF-8 whatever the input):
/// - C0 controls U+0000..U+001F and DEL U+007F become `\xNN` (lower-case
///   hex), except tab, newline and carriage return, which become `\t`,
///   `\n`, `\r`; in `line_mode::multi` tab and newline stay as they are.
/// - C1 controls U+0080..U+009F (encoded in UTF-8 as C2 80..C2 9F) and the
///   bidi embedding/override/isolate controls U+202A..U+202E and
///   U+2066..U+2069 become `\uNNNN`.
/// - Bytes that are not part of well-formed UTF-8 (RFC 3629: no overlongs,
///   no surrogates, nothing above U+10FFFF) become `\xNN`, one per byte.
/// - Everything else, backslashes included, is copied unchanged.

#include <string>
#include <string_view>

namespace pact {

enum class line_mode {
  /// A field printed inside one line (table cell, "key = value"): newline
  /// and tab are escaped too, so a field can never start a fake line.
  single,
  /// Whole lines of output (a message on stderr, a stream filter): newline
  /// and tab are kept.
  multi,
};

/// `text` with every control character neutralised, as described above.
std::string terminal_safe(std::string_view text,
                          line_mode mode = line_mode::single);

/// How many leading bytes of `text` can be neutralised now: all of it,
/// except an unfinished UTF-8 sequence at its very end (at most 3 bytes)
/// that later bytes may complete. For stream filters that see output in
/// pieces.
size_t terminal_safe_prefix(std::string_view text);

/// `text` unchanged when it is well-formed UTF-8, else with each byte that
/// is not part of a well-formed sequence written as `\xNN` (controls and
/// everything else kept). For host text (file names and contents, tool
/// output) that must go into a protobuf `string` field or a JSON string:
/// both require UTF-8, and a serializer handed anything else fails (proto3
/// parse) or throws (nlohmann::json::dump). The result is for reporting; it
/// cannot be mapped back to the bytes when the input held a literal `\x`.
std::string utf8_safe(std::string_view text);

/// Whether `text` is well-formed UTF-8 (RFC 3629).
bool is_utf8(std::string_view text);

} // namespace pact
