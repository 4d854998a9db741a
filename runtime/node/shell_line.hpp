#pragma once

/// The grammar of a `pact shell` command line (issue 12 item 3; docs/
/// agent.md, "Shell"). The agent parses every line itself and runs the
/// result with execve, never through a general-purpose shell, so the
/// grammar is what an operator can do and nothing more:
///
///   line     := pipeline
///   pipeline := command ( '|' command )*        at most 8 commands
///   command  := word+
///   word     := ( plain | '...' | "..." | \c )+
///
///   * single quotes keep every byte as it is;
///   * double quotes keep every byte but `$` and backquote (a POSIX shell
///     would expand them: refused rather than passed on silently), and
///     `\` escapes `"`, `\`, `$` and backquote inside them;
///   * a backslash outside quotes makes the next byte plain.
///
/// Refused, unquoted, each with its own message: `;` `&` (and `&&`, `||`)
/// `>` `<` (redirections: no file is ever written through the shell) `$`
/// and backquotes (expansion, `$()`) `(` `)` `{` `}` (subshells, groups)
/// `*` `?` `[` `]` (globs are not expanded: quote them to pass them on)
/// `~` and `#` at the start of a word (no home expansion, no comments),
/// `NAME=value` before a command (no environment or PATH changes), an
/// empty command around `|`, control bytes (newlines within a line, NUL,
/// escape sequences), unterminated quotes, lines over 4 KiB.
///
/// Emergency mode relaxes the whitelist, never this grammar.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::node {

/// The longest line accepted, in bytes.
inline constexpr size_t max_shell_line = 4096;
/// The most commands one line may pipe together.
inline constexpr size_t max_pipeline = 8;

/// One parsed line: the argv of each command of the pipeline, in order.
/// Empty when the line held only blanks.
struct shell_pipeline {
  std::vector<std::vector<std::string>> commands;
};

/// Parses `line` (without its line end). Errors are one sentence naming
/// what is not allowed and where ("column 7: ';' is not allowed: one
/// command (or a pipeline) per line").
expected<shell_pipeline> parse_shell_line(std::string_view line);

} // namespace pact::node
