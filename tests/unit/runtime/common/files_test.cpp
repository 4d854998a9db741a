#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "runtime/common/files.hpp"

using namespace pact;

TEST_CASE("a write cut short on a volume with no room is a full volume") {
  // Issue 10, a tester's finding: a journal on a filled tmpfs reported
  // "LMDB error: Input/output error", because LMDB turns a short pwrite
  // into EIO; the operator should read "no space left".
  CHECK(files::full_volume_errno(EIO, 0) == ENOSPC);
  CHECK(files::full_volume_errno(EIO, 4096) == ENOSPC);
  CHECK(files::full_volume_errno(EIO, files::full_volume_bytes - 1) == ENOSPC);
}

TEST_CASE("an I/O error with room left, or room unknown, stays an I/O "
          "error") {
  CHECK(files::full_volume_errno(EIO, files::full_volume_bytes) == EIO);
  CHECK(files::full_volume_errno(EIO, std::uint64_t{1} << 40) == EIO);
  CHECK(files::full_volume_errno(EIO, std::nullopt) == EIO);
}

TEST_CASE("other errors are returned as they are") {
  CHECK(files::full_volume_errno(ENOSPC, 1 << 30) == ENOSPC);
  CHECK(files::full_volume_errno(EACCES, 0) == EACCES);
  CHECK(files::full_volume_errno(0, 0) == 0);
}

TEST_CASE("free_bytes reads the volume holding a folder, not a missing one") {
  auto here = files::free_bytes(".");
  REQUIRE(here.has_value());
  CHECK(*here > 0);
  CHECK_FALSE(files::free_bytes("/nonexistent/pact/dir").has_value());
}
