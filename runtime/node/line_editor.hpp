#pragma once

/// The prompt's line editing in a `pact shell` session (docs/agent.md,
/// "Shell"). The operator's terminal is in raw mode, as under ssh, so the
/// session edits the line itself while no command runs: printable bytes
/// (UTF-8 included) are echoed and kept, Backspace/DEL erases the last
/// character, Ctrl-U the line, Ctrl-W the last word, Ctrl-C abandons the
/// line, Ctrl-D on an empty line ends the session, Enter (CR or LF; CRLF
/// counts once) submits it. Escape sequences (arrow keys) and other control
/// bytes are ignored. Without a terminal (a script) nothing is echoed.
///
/// Pure: bytes in, events and echo out, so every key is unit-tested.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pact::node {

class line_editor {
public:
  struct event {
    enum class kind {
      /// A line was submitted: `line` holds it (without its end).
      line,
      /// Ctrl-C: the line was abandoned.
      interrupt,
      /// Ctrl-D on an empty line.
      end_of_input,
    };
    kind what;
    std::string line;
    /// The line held more than the cap (the rest was dropped): refuse it.
    bool too_long = false;
  };

  /// `echo`: whether the operator's keys are echoed (a terminal); `cap`:
  /// bytes a line may hold (more are dropped, and the line refused when
  /// submitted).
  line_editor(bool echo, size_t cap) : echo_(echo), cap_(cap) {
  }

  /// Feeds what the operator typed up to the first event, which it
  /// returns; appends what the terminal must show to `echo_out`. Bytes
  /// after the event are left in `rest` (they belong to what the event
  /// starts: a command's input, or the next line); empty without an event.
  std::optional<event> feed(std::string_view bytes, std::string& echo_out,
                            std::string& rest);

private:
  void erase_last(std::string& echo_out);
  void erase_word(std::string& echo_out);

  bool echo_;
  size_t cap_;
  std::string line_;
  bool overflow_ = false;
  /// The last byte was CR: an LF right after it ends nothing more.
  bool after_cr_ = false;
  /// Inside an escape sequence (ESC [ ... final byte).
  int escape_ = 0;
};

} // namespace pact::node
