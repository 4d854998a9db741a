#include "mcp/line_reader.hpp"

namespace pact::mcp {

line_reader::status line_reader::next(std::string& out) {
  out.clear();
  auto* buf = in_.rdbuf();
  using traits = std::istream::traits_type;
  bool any = false;
  bool over = false;
  for (;;) {
    auto c = buf->sbumpc();
    if (traits::eq_int_type(c, traits::eof())) {
      in_.setstate(std::ios::eofbit);
      break;
    }
    any = true;
    if (traits::to_char_type(c) == '\n')
      break;
    // One byte of slack keeps a "\r" that "\r\n" will strip.
    if (over || out.size() > max_) {
      over = true;
      out.clear();
      continue;
    }
    out.push_back(traits::to_char_type(c));
  }
  if (!out.empty() && out.back() == '\r')
    out.pop_back();
  if (over || out.size() > max_) {
    out.clear();
    return status::too_long;
  }
  return any ? status::line : status::end;
}

} // namespace pact::mcp
