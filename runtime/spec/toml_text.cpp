#include "runtime/spec/toml_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "runtime/common/assert.hpp"

namespace pact::spec {

namespace {

/// Appends the escape of control byte `c` (or `c` itself when it needs
/// none in a single-line basic string).
void append_escaped(std::string& out, char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      break;
  }
  auto byte = static_cast<unsigned char>(c);
  if (byte < 0x20 || byte == 0x7f) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(byte));
    out += buf;
    return;
  }
  out += c;
}

} // namespace

bool is_bare_key(std::string_view key) {
  if (key.empty())
    return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::string toml_key(std::string_view key) {
  return is_bare_key(key) ? std::string(key) : toml_string(key);
}

std::string join_key(std::string_view prefix, std::string_view key) {
  if (prefix.empty())
    return toml_key(key);
  return std::string(prefix) + "." + toml_key(key);
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text)
    append_escaped(out, c);
  return out + "\"";
}

std::string toml_multiline_string(std::string_view text) {
  // The newline right after the opening delimiter is not part of the
  // string (TOML 1.0). Every quote is escaped, so no run of three quotes
  // can end the string early; CR is escaped because parsers may normalize
  // CRLF line endings.
  std::string out = "\"\"\"\n";
  for (char c : text) {
    if (c == '\n' || c == '\t')
      out += c;
    else
      append_escaped(out, c);
  }
  return out + "\"\"\"";
}

std::string toml_float(double value) {
  PACT_ASSERT(std::isfinite(value),
              "TOML has no NaN/inf literal the spec layer writes");
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  PACT_ASSERT(ec == std::errc(), "64 bytes hold any shortest double");
  std::string out(buf, end);
  if (out.find_first_of(".eE") == std::string::npos)
    out += ".0";
  return out;
}

} // namespace pact::spec
