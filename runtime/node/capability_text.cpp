#include "runtime/node/capability_text.hpp"

#include <charconv>
#include <cstdlib>

namespace pact::node::text {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos)
      break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  const char* ws = " \t\r";
  size_t pos = 0;
  while (true) {
    auto b = line.find_first_not_of(ws, pos);
    if (b == std::string_view::npos)
      return out;
    auto e = line.find_first_of(ws, b);
    out.push_back(line.substr(b, e == std::string_view::npos ? e : e - b));
    if (e == std::string_view::npos)
      return out;
    pos = e;
  }
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos)
      return out;
    s.remove_prefix(at + 1);
  }
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::optional<double> parse_decimal(std::string_view s) {
  s = trim(s);
  // strtod needs a terminated string and accepts forms (hex, inf, nan,
  // leading '+') that no tool we read prints: allow digits, one '.', and
  // a leading '-' only.
  if (s.empty() || s.size() > 64)
    return std::nullopt;
  size_t dots = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && ++dots == 1)
      continue;
    if (c == '-' && i == 0 && s.size() > 1)
      continue;
    if (c < '0' || c > '9')
      return std::nullopt;
  }
  std::string z(s);
  return std::strtod(z.c_str(), nullptr);
}

} // namespace pact::node::text
