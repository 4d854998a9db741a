#pragma once

/// Path globs for the blacklist (troubleshooting guide, "Drift Detection
/// False Positives"): everything under the agent's root is watched except
/// paths that match one of these patterns. The journal validates a pattern
/// with the same `compile` before `pact blacklist add` records it, and
/// refuses a commit of a path it matches with the same `matches`, so the
/// journal and every agent agree on what a pattern means.
///
/// Shape of a pattern: an absolute path whose segments are fnmatch(3)
/// patterns (`*`, `?`, `[...]`, backslash escapes), matched one segment at a
/// time, so `*` never crosses a `/`; a segment that is exactly `**` matches
/// zero or more whole segments. `*` also matches names starting with a dot
/// (no FNM_PERIOD): a blacklist that says `/home/*/.bash_history` means
/// every home, hidden ones too. Examples: `/var/log/**` excludes /var/log
/// and everything below it; `/home/*/.bash_history` excludes one file per
/// home directory.
///
/// Errors: a pattern that is empty, not absolute, has an empty segment
/// (`//`), `**` inside a segment (`/var/**log`), an unclosed `[` or a
/// trailing backslash is refused by `compile`, naming the pattern.

#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact {

class path_glob {
public:
  /// Parses one pattern; an error names it and says what is wrong.
  static expected<path_glob> compile(const std::string& pattern);

  /// Whether the absolute, normalized `path` ("/etc/motd", no trailing
  /// slash, no "." or ".." segments) matches.
  bool matches(std::string_view path) const;

  /// Whether `dir` and everything below it match (the pattern ends in `**`
  /// after a prefix that matches `dir`): such a subtree needs no watch.
  bool covers_subtree(std::string_view dir) const;

  const std::string& text() const {
    return text_;
  }

private:
  std::string text_;
  std::vector<std::string> segments_;
};

/// A set of patterns; a path is excluded when any of them matches.
class blacklist {
public:
  blacklist() = default;

  /// Compiles every pattern; the first bad one is the error.
  static expected<blacklist> compile(const std::vector<std::string>& patterns);

  bool excludes(std::string_view path) const;
  bool excludes_subtree(std::string_view dir) const;

  /// Adds `dir/**` for a directory that must never be watched (the agent's
  /// state directory, pact's runtime directories); glob characters in
  /// `dir` are taken literally. Precondition: `dir` is absolute.
  void exclude_tree(const std::string& dir);

  const std::vector<path_glob>& patterns() const {
    return globs_;
  }

private:
  std::vector<path_glob> globs_;
};

/// Splits "/a/b/c" into {"a", "b", "c"}; "/" gives {}.
std::vector<std::string_view> path_segments(std::string_view path);

} // namespace pact
