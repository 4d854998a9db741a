#pragma once

/// Where the `pact` CLI's output goes, and how its failure is noticed.
///
/// `std::cout` and `std::cerr` are pointed at `fd_output` buffers for the
/// whole run. They write with write(2), so the first error (ENOSPC on
/// /dev/full, EPIPE on a closed pipe, EIO) is kept with its errno rather
/// than lost in stdio, and in text mode they pass every line through
/// `terminal_safe(…, line_mode::multi)` (runtime/common/terminal_text.hpp),
/// so that no byte printed in text mode reaches the terminal as a control
/// sequence, whatever path it came by. JSON output is not filtered: it is
/// exact, and RFC 8259 escaping already keeps control characters out.
///
/// Exit path (docs/cli.md "Output"): `finish` flushes stdout; if any part
/// of it could not be written, the CLI says "pact: cannot write output:
/// REASON" on stderr and exits 1 (or the command's own non-zero code). A
/// closed pipe (EPIPE; SIGPIPE is ignored so that it is seen) is reported
/// by exit code only, as a reader that stopped early (`pact log | head`)
/// is not an error worth a message.

#include <streambuf>
#include <string>

namespace pact::cli {

class fd_output : public std::streambuf {
public:
  /// Writes to file descriptor `fd`; `neutralise` filters as above.
  fd_output(int fd, bool neutralise);
  ~fd_output() override;

  fd_output(const fd_output&) = delete;
  fd_output& operator=(const fd_output&) = delete;

  /// Filters from now on (or not).
  void set_neutralise(bool on) {
    neutralise_ = on;
  }

  /// Writes out everything pending, an unfinished character included;
  /// false if a write failed (now or before).
  bool close();

  /// The errno of the first failed write; 0 while every write succeeded.
  int error() const {
    return error_;
  }

protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

private:
  enum class drain_mode {
    /// Complete lines (everything once a line outgrows the bound).
    lines,
    /// Everything but an unfinished UTF-8 character at the end (a flush).
    partial,
    /// Everything (the end of the run).
    everything,
  };
  bool drain(drain_mode mode);
  bool write_all(const std::string& bytes);

  int fd_;
  bool neutralise_;
  int error_ = 0;
  std::string pending_;
};

/// Owns the buffers behind std::cout and std::cerr for one run and puts
/// the original ones back when destroyed.
class output_guard {
public:
  output_guard();
  ~output_guard();
  output_guard(const output_guard&) = delete;
  output_guard& operator=(const output_guard&) = delete;

  /// Text mode filters stdout; stderr is always filtered.
  void set_text_mode(bool text) {
    out_.set_neutralise(text);
  }

  /// Flushes stdout and turns a write failure into the exit code described
  /// above; `rc` is what the command returned.
  int finish(int rc);

private:
  fd_output out_;
  fd_output err_;
  std::streambuf* old_out_;
  std::streambuf* old_err_;
};

} // namespace pact::cli
