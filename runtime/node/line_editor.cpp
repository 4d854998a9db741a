#include "runtime/node/line_editor.hpp"

namespace pact::node {

namespace {

constexpr char ctrl_c = 0x03;
constexpr char ctrl_d = 0x04;
constexpr char ctrl_u = 0x15;
constexpr char ctrl_w = 0x17;
constexpr char backspace = 0x08;
constexpr char del = 0x7f;
constexpr char esc = 0x1b;

bool continuation(unsigned char c) {
  return (c & 0xc0) == 0x80;
}

} // namespace

void line_editor::erase_last(std::string& echo_out) {
  if (line_.empty())
    return;
  // One character: a UTF-8 sequence's continuation bytes go with it.
  while (!line_.empty() && continuation(line_.back()))
    line_.pop_back();
  if (!line_.empty())
    line_.pop_back();
  if (echo_)
    echo_out += "\b \b";
}

void line_editor::erase_word(std::string& echo_out) {
  while (!line_.empty() && line_.back() == ' ')
    erase_last(echo_out);
  while (!line_.empty() && line_.back() != ' ')
    erase_last(echo_out);
}

std::optional<line_editor::event> line_editor::feed(std::string_view bytes,
                                                    std::string& echo_out,
                                                    std::string& rest) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    bool was_cr = after_cr_;
    after_cr_ = false;
    if (escape_ > 0) {
      // ESC, then '[' or 'O', then parameters up to a final byte @..~.
      if (escape_ == 1 && (c == '[' || c == 'O'))
        escape_ = 2;
      else if (escape_ == 1 || (c >= 0x40 && c <= 0x7e))
        escape_ = 0;
      continue;
    }
    event::kind ends;
    switch (c) {
      case '\r':
      case '\n':
        if (c == '\n' && was_cr)
          continue;
        after_cr_ = c == '\r';
        if (echo_)
          echo_out += "\r\n";
        ends = event::kind::line;
        break;
      case ctrl_c:
        if (echo_)
          echo_out += "^C\r\n";
        ends = event::kind::interrupt;
        break;
      case ctrl_d:
        if (!line_.empty())
          continue;
        ends = event::kind::end_of_input;
        break;
      case backspace:
      case del:
        erase_last(echo_out);
        continue;
      case ctrl_u:
        while (!line_.empty())
          erase_last(echo_out);
        continue;
      case ctrl_w:
        erase_word(echo_out);
        continue;
      case esc:
        escape_ = 1;
        continue;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
          continue;
        if (line_.size() >= cap_) {
          overflow_ = true;
          continue;
        }
        line_.push_back(c);
        if (echo_)
          echo_out.push_back(c);
        continue;
    }
    event out{ends, ends == event::kind::line ? line_ : "",
              ends == event::kind::line && overflow_};
    line_.clear();
    overflow_ = false;
    // A CR's LF is part of this line's end, not the next input.
    size_t next = i + 1;
    if (c == '\r' && next < bytes.size() && bytes[next] == '\n') {
      after_cr_ = false;
      ++next;
    }
    rest.assign(bytes.substr(next));
    return out;
  }
  rest.clear();
  return std::nullopt;
}

} // namespace pact::node
