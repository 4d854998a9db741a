#pragma once

/// A file written in pieces that appears under its name only when whole
/// (`pact log --export FILE`): the pieces go to PATH.tmp, created
/// exclusively so that two writers cannot interleave; commit() fsyncs it,
/// links it to PATH without ever replacing an existing file (link(2) fails
/// with EEXIST), removes PATH.tmp and fsyncs the directory. Destroyed
/// without a successful commit(), it removes PATH.tmp: a failed export
/// leaves nothing behind. Errors name the path (exit 1).

#include <memory>
#include <string>
#include <string_view>

#include "runtime/common/error.hpp"

namespace pact::files {

class staged_file {
public:
  /// Fails when PATH exists, when PATH.tmp exists (another writer, or
  /// one that crashed: the message says to remove it), or when it cannot
  /// be created.
  static expected<std::unique_ptr<staged_file>> create(const std::string& path,
                                                       unsigned mode = 0644);
  ~staged_file();
  staged_file(const staged_file&) = delete;
  staged_file& operator=(const staged_file&) = delete;

  /// Appends `data` (buffered; written in large pieces).
  status write(std::string_view data);
  /// Flushes, fsyncs and puts the file in place. After a failure nothing
  /// is in place and PATH.tmp is gone.
  status commit();

  const std::string& path() const {
    return path_;
  }

private:
  staged_file(std::string path, int fd);
  status flush();
  void discard();

  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  std::string buf_;
  bool committed_ = false;
};

} // namespace pact::files
