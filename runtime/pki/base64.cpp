#include "runtime/pki/base64.hpp"

#include <cstdint>

namespace pact::pki::detail {

namespace {

constexpr char std_alphabet[]
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char url_alphabet[]
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(const std::string& bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n
      = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16
        | static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8
        | static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]))
                 << 16;
    if (rest == 2)
      n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (rest == 2)
      out.push_back(alphabet[(n >> 6) & 63]);
    if (pad)
      out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

int value_of(char c, const char* alphabet) {
  for (int v = 0; v < 64; ++v)
    if (alphabet[v] == c)
      return v;
  return -1;
}

std::optional<std::string> decode(std::string text, const char* alphabet,
                                  bool padded) {
  if (padded) {
    if (text.size() % 4 != 0)
      return std::nullopt;
    size_t pads = 0;
    while (pads < 2 && pads < text.size()
           && text[text.size() - 1 - pads] == '=')
      ++pads;
    text.resize(text.size() - pads);
  }
  // A lone symbol after full groups carries 6 bits: not even one byte.
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value_of(c, alphabet);
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Left-over bits must be zero: one encoding per byte string.
  if ((acc & ((1u << bits) - 1)) != 0)
    return std::nullopt;
  return out;
}

} // namespace

std::string base64_encode(const std::string& bytes) {
  return encode(bytes, std_alphabet, true);
}

std::string base64url_encode(const std::string& bytes) {
  return encode(bytes, url_alphabet, false);
}

std::optional<std::string> base64_decode(const std::string& text) {
  return decode(text, std_alphabet, true);
}

std::optional<std::string> base64url_decode(const std::string& text) {
  return decode(text, url_alphabet, false);
}

} // namespace pact::pki::detail
