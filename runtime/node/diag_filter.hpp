#pragma once

/// What `pact diag` may ask and how its lines are filtered (issue 12 item
/// 6; docs/agent.md, "Diag"), free of CAF and of I/O so that the CLI checks
/// a request with the same rules the agent applies, before anything is
/// sent:
///
///   * the request: a line count of 1..10,000 (0 = 200), a source (dmesg,
///     syslog, service, all), a service name that cannot name a path, and
///     a pattern that compiles;
///   * the pattern is RE2 (linear in the length of the text, no
///     backreferences or lookaround), so no pattern an operator types can
///     make an agent spin on a line: `(a+)+$` costs what `a` costs;
///   * the newest N matching lines are kept, in order, and the block is
///     marked truncated when older ones were left out.
///
/// Errors are operator text in pact's words (RE2's own messages are not
/// passed on), exit code 1.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace re2 {
class RE2;
} // namespace re2

namespace pact::node {

/// Lines per source when the caller gives none, and the most it may ask.
inline constexpr uint32_t diag_default_lines = 200;
inline constexpr uint32_t diag_max_lines = 10'000;
/// The longest pattern accepted (a bound on compile time and memory).
inline constexpr size_t diag_max_pattern_bytes = 1024;
/// Lines longer than this are cut (the rest dropped), so that N lines
/// never hold more than N times this.
inline constexpr size_t diag_max_line_bytes = 4096;

enum class diag_source { all, dmesg, syslog, service };

/// "dmesg", "syslog", "service", "all"; "" is all. nullopt otherwise.
std::optional<diag_source> parse_diag_source(std::string_view text);
const char* diag_source_name(diag_source s);

/// Empty status when `name` is a service name as the spec allows one
/// (1-255 of [A-Za-z0-9._@:+-], not starting with '.' or '-'), so that it
/// can never name a path: '/' and ".." are refused. Else an error naming
/// it.
status check_service_name(const std::string& name);

/// Matches lines against an RE2 pattern; an empty pattern matches every
/// line. Copies share the compiled pattern; matching is thread-safe.
class line_filter {
public:
  /// Every line.
  line_filter() = default;
  /// Compiles `pattern` (UTF-8, RE2 syntax, at most
  /// diag_max_pattern_bytes). Errors: "--grep: ..." naming the pattern
  /// and what is wrong with it.
  static expected<line_filter> compile(const std::string& pattern);
  /// Whether a match of the pattern occurs anywhere in `line`.
  bool matches(std::string_view line) const;

private:
  std::shared_ptr<const re2::RE2> re_;
};

/// A DiagRequest as the agent serves it.
struct diag_query {
  uint32_t lines = diag_default_lines;
  diag_source source = diag_source::all;
  /// Empty: every supervised service.
  std::string service;
  line_filter filter;
};

/// Checks the fields of a DiagRequest (`lines` 0 = the default). Errors
/// (exit 1) name the field: "--lines 0 is outside 1..10000", "--source
/// 'x' is not one of dmesg, syslog, service, all", a service name, a
/// pattern; "--service is for the service source" when a service is named
/// with source dmesg or syslog.
expected<diag_query> check_diag_query(uint32_t lines, const std::string& source,
                                      const std::string& service,
                                      const std::string& grep);

/// Keeps the newest `keep` lines pushed to it (each cut to
/// diag_max_line_bytes); remembers whether any was pushed out.
class line_tail {
public:
  explicit line_tail(size_t keep) : keep_(keep) {
  }
  void push(std::string line);
  /// An older line was dropped to keep `keep`.
  bool truncated() const {
    return truncated_;
  }
  /// The kept lines, oldest first; empties the tail.
  std::vector<std::string> take();

private:
  size_t keep_;
  std::deque<std::string> lines_;
  bool truncated_ = false;
};

/// The newest `keep` lines of `lines` that `f` matches, oldest first, and
/// whether older matching ones were left out.
std::pair<std::vector<std::string>, bool>
filter_tail(const std::vector<std::string>& lines, const line_filter& f,
            size_t keep);

} // namespace pact::node
