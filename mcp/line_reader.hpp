#pragma once

/// Reads the stdio transport's messages: one per line (MCP "stdio":
/// messages are delimited by newlines and contain none). A line longer than
/// the bound is skipped up to its newline without being kept in memory, so
/// a client cannot make the bridge buffer without limit.

#include <cstddef>
#include <istream>
#include <string>

namespace pact::mcp {

class line_reader {
public:
  enum class status {
    line,     ///< `out` holds the next line (without "\n" or "\r\n").
    too_long, ///< the line was longer than the bound and was discarded.
    end,      ///< input is exhausted.
  };

  line_reader(std::istream& in, std::size_t max_bytes)
    : in_(in), max_(max_bytes) {
  }

  /// The next line; a last line without a newline still counts.
  status next(std::string& out);

private:
  std::istream& in_;
  std::size_t max_;
};

} // namespace pact::mcp
