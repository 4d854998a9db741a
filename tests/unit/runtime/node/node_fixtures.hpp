#pragma once

// Temporary roots for the node cores' tests: a directory standing in for
// the node's "/" (the agent's --root), with helpers to write files in it.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

namespace pact::test {

class temp_root {
public:
  /// Under `base`; tests that create thousands of files pass a tmpfs
  /// ("/dev/shm") where there is one, as a disk-backed /tmp is slow there.
  explicit temp_root(const std::string& base = "/tmp") {
    std::string tmpl = base + "/pact-node-test-XXXXXX";
    auto* p = ::mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~temp_root() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_root(const temp_root&) = delete;
  temp_root& operator=(const temp_root&) = delete;

  const std::string& path() const {
    return path_;
  }
  /// Host path of node path `p` ("/etc/motd").
  std::string host(const std::string& p) const {
    return path_ + p;
  }
  /// Writes `content` at node path `p`, creating parent directories.
  void write(const std::string& p, const std::string& content) const {
    std::filesystem::create_directories(
      std::filesystem::path(host(p)).parent_path());
    std::ofstream out(host(p), std::ios::binary | std::ios::trunc);
    out << content;
    REQUIRE(out.good());
  }
  void mkdir(const std::string& p) const {
    std::filesystem::create_directories(host(p));
  }

private:
  std::string path_;
};

} // namespace pact::test
