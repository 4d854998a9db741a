#pragma once

/// Operator-facing wording for a TOML syntax error, shared by every reader
/// of TOML (configuration files, overlay specs). toml++'s own description
/// is library text ("Error while parsing key-value pair: …"), which never
/// reaches an operator (STYLE.md, bad input): the message names the file,
/// line and column, says in pact's words what kind of mistake it is, and
/// quotes the offending line so the operator sees where.
///
/// Shape: "FILE:LINE: not valid TOML (column C): WHAT: near `TEXT`", where
/// WHAT is one of a few kinds (a key without a value, a table or key
/// defined twice, a string or array left open, …; "unexpected text"
/// otherwise) and TEXT is the line, trimmed, made terminal-safe and cut at
/// 80 bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace pact {

/// `description` is the parser's text, used only to choose WHAT; `line`
/// and `column` are 1-based (0 is taken as 1).
std::string toml_syntax_message(const std::string& file, std::string_view text,
                                size_t line, size_t column,
                                std::string_view description);

} // namespace pact
