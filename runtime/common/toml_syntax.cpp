#include "runtime/common/toml_syntax.hpp"

#include <algorithm>
#include <utility>

#include "runtime/common/terminal_text.hpp"

namespace pact {

namespace {

/// What kind of mistake the parser's description names; the patterns are
/// toml++ 3.x wording, and an unknown one is still a clear message.
std::string kind_of(std::string_view d) {
  static const std::pair<const char*, const char*> kinds[] = {
    {"redefine", "a table or key defined twice"},
    {"end-of-file", "the file ends inside a value (a string, array or "
                    "table left open?)"},
    {"expected value", "a key without a value"},
    {"value type", "a value that is not a TOML value (strings need quotes)"},
    {"expected '='", "a key without '=' after it"},
    {"bare key", "a key with characters that need quotes"},
    {"table header", "a malformed [table] header"},
    {"escape", "a bad escape sequence in a string"},
    {"control char", "a line break or control character inside a string (a "
                     "string left open?)"},
    {"newline", "a line break inside a single-line string or key"},
    {"date", "a malformed date or time"},
    {"integer", "a malformed number"},
    {"floating", "a malformed number"},
  };
  for (const auto& [needle, kind] : kinds)
    if (d.find(needle) != std::string_view::npos)
      return kind;
  return "unexpected text";
}

std::string_view line_of(std::string_view text, size_t line) {
  size_t start = 0;
  for (size_t n = 1; n < line; ++n) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos)
      return {};
    start = nl + 1;
  }
  auto end = text.find('\n', start);
  return text.substr(start, end == std::string_view::npos ? text.size() - start
                                                          : end - start);
}

std::string trimmed(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

} // namespace

std::string toml_syntax_message(const std::string& file, std::string_view text,
                                size_t line, size_t column,
                                std::string_view description) {
  line = std::max<size_t>(line, 1);
  column = std::max<size_t>(column, 1);
  auto near = trimmed(line_of(text, line));
  if (near.size() > 80)
    near = near.substr(0, 77) + "...";
  auto msg = file + ":" + std::to_string(line) + ": not valid TOML (column "
             + std::to_string(column) + "): " + kind_of(description);
  if (!near.empty())
    msg += ": near `" + terminal_safe(near) + "`";
  return msg;
}

} // namespace pact
