#include "runtime/common/log_text.hpp"

namespace pact {

std::string safe_text(std::string_view text, size_t max_chars) {
  std::string out;
  for (char c : text.substr(0, max_chars)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (text.size() > max_chars)
    out += "...";
  return out;
}

std::string in_quotes(std::string_view text) {
  return "'" + safe_text(text) + "'";
}

} // namespace pact
