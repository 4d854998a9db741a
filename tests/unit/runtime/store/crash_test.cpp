// Crash safety of lmdb_store: a child process writes a seeded workload
// (appends, conflicting suffixes, received snapshots, snapshot creation,
// compaction) and acknowledges each step through a pipe only after the
// write returned success; the parent SIGKILLs it at a seeded random moment,
// reopens the store and requires it to equal the in-memory twin after
// exactly the acknowledged steps, or after one more (the step in flight may
// have committed before its acknowledgement was written). That proves every
// acknowledged batch is present, the log is contiguous, and no batch is
// partially visible. SIGKILL loses no page cache, so this checks atomicity
// at any instant; durability across power loss rests on LMDB syncing each
// commit (no MDB_NOSYNC, see docs/storage.md).

#include "tests/unit/runtime/store/fixtures.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/raft/random.hpp"

using namespace pact;
using namespace pact::store;
using namespace pact::store::test;

namespace {

/// The seeded workload. Decisions depend only on the seed, the step number
/// and the store's state, so the child's LMDB store and the parent's twin
/// take identical steps as long as they agree.
class workload {
public:
  explicit workload(std::uint64_t seed) : rng_{seed} {
  }

  pact::status step(raft_store& s, std::uint64_t n) {
    auto r = rng_() % 20;
    auto snap = s.snapshot_metadata().value().last_included_index;
    if (r == 0 && s.last_index() > snap)
      return s.create_snapshot(s.last_index(), bootstrap_conf, payload(n));
    if (r == 1 && snap >= s.first_index())
      return s.compact(
        snap - rng_() % std::min<std::uint64_t>(3, snap - s.first_index() + 1));
    raft::hard_state hs{term_, n % 3 + 1, n}; // commit_index tags the step
    write_batch b;
    b.hard_state = &hs;
    std::vector<raft::entry> ents;
    raft::snapshot received;
    auto next = s.last_index() + 1;
    if (r == 2) {
      // A snapshot from a new leader beyond our log, then its next entries.
      ++term_;
      received.meta = {s.last_index() + 1 + rng_() % 5, term_, bootstrap_conf};
      received.data = payload(n);
      b.snapshot = &received;
      next = received.meta.last_included_index + 1;
    } else if (r <= 6 && s.last_index() >= s.first_index() + 1) {
      // A new leader overwrites a suffix (§5.3).
      ++term_;
      next = s.last_index() - rng_() % 2;
    }
    hs.current_term = term_;
    auto count = 1 + rng_() % 4;
    for (std::uint64_t k = 0; k < count; ++k) {
      raft::entry e;
      e.index = next + k;
      e.term = term_;
      e.data = "step" + std::to_string(n) + payload(n).substr(0, rng_() % 600);
      ents.push_back(std::move(e));
    }
    b.entries = &ents;
    return s.save(b);
  }

private:
  std::string payload(std::uint64_t n) {
    std::string out = "image" + std::to_string(n) + ":";
    auto len = rng_() % 3000;
    while (out.size() < len)
      out += static_cast<char>('a' + rng_() % 26);
    return out;
  }

  raft::splitmix64 rng_;
  raft::term_t term_ = 1;
};

/// Child: open, run the workload forever, acknowledge each step. Exits
/// only on error (the parent treats any exit as a failure).
[[noreturn]] void run_child(const lmdb_options& o, std::uint64_t seed,
                            int ack_fd) {
  auto s = lmdb_store::open(o);
  if (!s)
    ::_exit(3);
  workload w{seed};
  for (std::uint64_t n = 1;; ++n) {
    if (!w.step(**s, n))
      ::_exit(4);
    if (::write(ack_fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n))
      ::_exit(5);
  }
}

/// Reads acknowledgements until `target` arrived (or EOF); returns the last.
std::uint64_t read_acks(int fd, std::uint64_t target) {
  std::uint64_t last = 0;
  std::uint64_t n = 0;
  while (last < target) {
    auto got = ::read(fd, &n, sizeof n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got != static_cast<ssize_t>(sizeof n))
      break; // EOF: the child is gone
    last = n;
  }
  return last;
}

void crash_and_check(std::uint64_t seed) {
  CAPTURE(seed);
  temp_dir dir;
  lmdb_options o;
  o.dir = dir.path() + "/journal";
  o.map_size_bytes = std::size_t{256} << 20;
  o.bootstrap = bootstrap_conf;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    run_child(o, seed, fds[1]);
  }
  ::close(fds[1]);
  raft::splitmix64 when{seed ^ 0x5eedULL};
  auto target = 1 + when() % 150;
  auto acked = read_acks(fds[0], target);
  timespec delay{0, static_cast<long>(when() % 3000) * 1000};
  ::nanosleep(&delay, nullptr); // land anywhere inside the next step
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  REQUIRE_MESSAGE(WIFSIGNALED(wstatus),
                  "child exited by itself: code " << WEXITSTATUS(wstatus));
  // Acknowledgements written before the kill still count.
  auto rest = read_acks(fds[0], UINT64_MAX);
  acked = std::max(acked, rest);
  ::close(fds[0]);
  REQUIRE(acked >= target);

  auto reopened = lmdb_store::open(o);
  REQUIRE_MESSAGE(reopened.has_value(),
                  (reopened ? "" : reopened.err().message));
  auto got = dump(**reopened);
  memory_store twin{bootstrap_conf};
  workload w{seed};
  for (std::uint64_t n = 1; n <= acked; ++n)
    REQUIRE(w.step(twin, n));
  auto after_acked = dump(twin);
  if (got == after_acked)
    return;
  REQUIRE(w.step(twin, acked + 1));
  INFO("acknowledged steps: " << acked);
  CHECK(got == dump(twin)); // the in-flight step committed, unacknowledged
}

} // namespace

TEST_CASE("lmdb_store: SIGKILL at a random moment loses no acknowledged "
          "batch and exposes no partial one") {
  for (std::uint64_t seed = 1; seed <= 10; ++seed)
    crash_and_check(seed);
}

TEST_CASE("workload: the twin replays deterministically") {
  // Sanity of the oracle itself: two replays agree step by step.
  memory_store a{bootstrap_conf};
  memory_store b{bootstrap_conf};
  workload wa{42};
  workload wb{42};
  for (std::uint64_t n = 1; n <= 300; ++n) {
    REQUIRE(wa.step(a, n));
    REQUIRE(wb.step(b, n));
  }
  CHECK(dump(a) == dump(b));
  CHECK(a.last_index() > 100);
}
