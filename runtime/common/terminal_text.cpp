#include "runtime/common/terminal_text.hpp"

namespace pact {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char b) {
  out += "\\x";
  out += hex_digits[b >> 4];
  out += hex_digits[b & 0xf];
}

void append_code_point(std::string& out, char32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += hex_digits[(cp >> shift) & 0xf];
}

/// The range the second byte of a sequence led by `lead` must lie in
/// (RFC 3629 §4: this is what excludes overlongs, surrogates and code
/// points above U+10FFFF); {0, 0} when `lead` starts no sequence.
struct byte_range {
  unsigned char lo, hi;
};
byte_range second_byte_range(unsigned char lead) {
  if (lead >= 0xc2 && lead <= 0xdf)
    return {0x80, 0xbf};
  if (lead == 0xe0)
    return {0xa0, 0xbf};
  if (lead == 0xed)
    return {0x80, 0x9f};
  if (lead >= 0xe1 && lead <= 0xef)
    return {0x80, 0xbf};
  if (lead == 0xf0)
    return {0x90, 0xbf};
  if (lead >= 0xf1 && lead <= 0xf3)
    return {0x80, 0xbf};
  if (lead == 0xf4)
    return {0x80, 0x8f};
  return {0, 0};
}

size_t sequence_length(unsigned char lead) {
  return lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/// How the bytes at `i` begin: a well-formed multi-byte sequence of
/// `length` bytes, a well-formed prefix cut off by the end of `s`, or
/// neither.
struct sequence {
  size_t length = 0;
  bool truncated = false;
};
sequence read_sequence(std::string_view s, size_t i) {
  auto lead = static_cast<unsigned char>(s[i]);
  auto range = second_byte_range(lead);
  if (range.hi == 0)
    return {};
  size_t need = sequence_length(lead);
  for (size_t k = 1; k < need; ++k) {
    if (i + k >= s.size())
      return {0, true};
    auto b = static_cast<unsigned char>(s[i + k]);
    auto lo = k == 1 ? range.lo : 0x80;
    auto hi = k == 1 ? range.hi : 0xbf;
    if (b < lo || b > hi)
      return {};
  }
  return {need, false};
}

char32_t decode(std::string_view s, size_t i, size_t length) {
  static constexpr unsigned char lead_mask[] = {0, 0, 0x1f, 0x0f, 0x07};
  char32_t cp = static_cast<unsigned char>(s[i]) & lead_mask[length];
  for (size_t k = 1; k < length; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return cp;
}

/// C1 controls and the bidi controls Trojan Source abuses.
bool is_unsafe_code_point(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e)
         || (cp >= 0x2066 && cp <= 0x2069);
}

void append_ascii(std::string& out, unsigned char b, line_mode mode) {
  if (b >= 0x20 && b != 0x7f) {
    out += static_cast<char>(b);
    return;
  }
  bool multi = mode == line_mode::multi;
  switch (b) {
    case '\n':
      out += multi ? "\n" : "\\n";
      return;
    case '\t':
      out += multi ? "\t" : "\\t";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      append_hex_byte(out, b);
  }
}

} // namespace

std::string terminal_safe(std::string_view text, line_mode mode) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      append_ascii(out, b, mode);
      ++i;
      continue;
    }
    auto seq = read_sequence(text, i);
    if (seq.length == 0) {
      append_hex_byte(out, b);
      ++i;
      continue;
    }
    auto cp = decode(text, i, seq.length);
    if (is_unsafe_code_point(cp))
      append_code_point(out, cp);
    else
      out.append(text.substr(i, seq.length));
    i += seq.length;
  }
  return out;
}

size_t terminal_safe_prefix(std::string_view text) {
  auto n = text.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto b = static_cast<unsigned char>(text[n - back]);
    if (b < 0x80 || b >= 0xc0)
      return read_sequence(text, n - back).truncated ? n - back : n;
  }
  return n;
}

bool is_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    auto seq = read_sequence(text, i);
    if (seq.length == 0)
      return false;
    i += seq.length;
  }
  return true;
}

std::string utf8_safe(std::string_view text) {
  if (is_utf8(text))
    return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += text[i++];
      continue;
    }
    auto seq = read_sequence(text, i);
    if (seq.length == 0) {
      append_hex_byte(out, b);
      ++i;
      continue;
    }
    out.append(text.substr(i, seq.length));
    i += seq.length;
  }
  return out;
}

} // namespace pact
