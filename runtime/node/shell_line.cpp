#include "runtime/node/shell_line.hpp"

#include <cctype>

namespace pact::node {

namespace {

std::string at(size_t i) {
  return "column " + std::to_string(i + 1) + ": ";
}

/// Why an unquoted byte cannot be used; empty when it is plain.
std::string_view refusal(char c) {
  switch (c) {
    case ';':
      return "';' is not allowed: one command (or a pipeline) per line";
    case '&':
      return "'&' is not allowed: no background jobs and no '&&'";
    case '>':
    case '<':
      return "redirections ('>', '<') are not allowed: the shell writes and "
             "reads no files";
    case '$':
      return "'$' is not allowed: no variables and no '$()'; quote it with "
             "'...' to pass it on";
    case '`':
      return "backquotes are not allowed: no command substitution";
    case '(':
    case ')':
    case '{':
    case '}':
      return "subshells and groups ('(', ')', '{', '}') are not allowed";
    case '*':
    case '?':
    case '[':
    case ']':
      return "globs are not expanded ('*', '?', '[', ']'): quote the pattern "
             "with '...' to pass it on";
    default:
      return {};
  }
}

bool is_control(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

/// `word` is NAME=value: an environment assignment before a command.
bool is_assignment(const std::string& word, bool quoted_name) {
  if (quoted_name)
    return false;
  auto eq = word.find('=');
  if (eq == std::string::npos || eq == 0)
    return false;
  if (std::isdigit(static_cast<unsigned char>(word[0])))
    return false;
  for (size_t i = 0; i < eq; ++i) {
    auto c = static_cast<unsigned char>(word[i]);
    if (!std::isalnum(c) && c != '_')
      return false;
  }
  return true;
}

class parser {
public:
  explicit parser(std::string_view line) : in_(line) {
  }

  expected<shell_pipeline> run() {
    shell_pipeline out;
    std::vector<std::string> cmd;
    size_t pipe_at = std::string::npos;
    size_t i = 0;
    while (i < in_.size()) {
      char c = in_[i];
      if (c == ' ' || c == '\t') {
        ++i;
        continue;
      }
      if (c == '|') {
        if (i + 1 < in_.size() && in_[i + 1] == '|')
          return make_error(at(i)
                            + "'||' is not allowed: one command (or a "
                              "pipeline) per line");
        if (cmd.empty())
          return make_error(at(i) + "a pipe needs a command on its left");
        out.commands.push_back(std::move(cmd));
        cmd.clear();
        pipe_at = i;
        ++i;
        continue;
      }
      auto start = i;
      auto w = word(i);
      if (!w)
        return w.err();
      if (cmd.empty() && is_assignment(*w, quoted_first_))
        return make_error(at(start)
                          + "environment assignments (NAME=value) are not "
                            "allowed: commands run with the agent's fixed "
                            "environment and PATH");
      cmd.push_back(std::move(*w));
    }
    if (cmd.empty()) {
      if (pipe_at != std::string::npos)
        return make_error(at(pipe_at) + "a pipe needs a command on its right");
      return out;
    }
    out.commands.push_back(std::move(cmd));
    if (out.commands.size() > max_pipeline)
      return make_error("a pipeline of more than "
                        + std::to_string(max_pipeline)
                        + " commands is not allowed");
    return out;
  }

private:
  /// One word from in_[i], which is not a blank or '|'.
  expected<std::string> word(size_t& i) {
    std::string w;
    quoted_first_ = false;
    bool first = true;
    while (i < in_.size()) {
      char c = in_[i];
      if (c == ' ' || c == '\t' || c == '|')
        break;
      if (first && (c == '~' || c == '#'))
        return make_error(at(i)
                          + (c == '~' ? "'~' is not expanded: write the path "
                                        "in full"
                                      : "'#' is not allowed at the start of "
                                        "a word (no comments): quote it"));
      if (c == '\'') {
        if (first)
          quoted_first_ = true;
        auto end = in_.find('\'', i + 1);
        if (end == std::string_view::npos)
          return make_error(at(i) + "unterminated single quote");
        w.append(in_.substr(i + 1, end - i - 1));
        i = end + 1;
      } else if (c == '"') {
        if (first)
          quoted_first_ = true;
        auto r = double_quoted(i, w);
        if (!r)
          return r.err();
      } else if (c == '\\') {
        if (i + 1 >= in_.size())
          return make_error(at(i) + "a backslash at the end of the line");
        w.push_back(in_[i + 1]);
        i += 2;
      } else {
        if (auto why = refusal(c); !why.empty())
          return make_error(at(i) + std::string(why));
        w.push_back(c);
        ++i;
      }
      first = false;
    }
    return w;
  }

  /// The double-quoted part starting at in_[i] == '"', appended to w.
  expected<bool> double_quoted(size_t& i, std::string& w) {
    size_t j = i + 1;
    for (; j < in_.size(); ++j) {
      char c = in_[j];
      if (c == '"') {
        i = j + 1;
        return true;
      }
      if (c == '$' || c == '`')
        return make_error(at(j) + "'" + std::string(1, c)
                          + "' inside double quotes would be expanded by a "
                            "shell: pact does not expand; use '...' to pass "
                            "it on");
      if (c == '\\' && j + 1 < in_.size()
          && (in_[j + 1] == '"' || in_[j + 1] == '\\' || in_[j + 1] == '$'
              || in_[j + 1] == '`')) {
        w.push_back(in_[++j]);
        continue;
      }
      w.push_back(c);
    }
    return make_error(at(i) + "unterminated double quote");
  }

  std::string_view in_;
  bool quoted_first_ = false;
};

} // namespace

expected<shell_pipeline> parse_shell_line(std::string_view line) {
  if (line.size() > max_shell_line)
    return make_error("the line is longer than "
                      + std::to_string(max_shell_line) + " bytes");
  for (size_t i = 0; i < line.size(); ++i)
    if (is_control(static_cast<unsigned char>(line[i])))
      return make_error(at(i) + "control characters are not allowed");
  return parser(line).run();
}

} // namespace pact::node
