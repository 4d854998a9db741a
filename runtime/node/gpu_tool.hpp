#pragma once

/// Running the GPU vendor tool (issue 11 item 5): found on PATH, started
/// with posix_spawn (no shell: nothing in the arguments is interpreted),
/// stdin from /dev/null, stdout and stderr captured up to a cap, killed
/// (its whole process group) when it outlives its timeout. This is
/// blocking I/O: the GPU poller runs it on a thread of its own, never on
/// an actor's mailbox thread (actors/agent/gpu_poller.hpp says why).
///
/// run_program is generic; the exec issue may lift it into a shared
/// process_* file.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/node/gpu_health.hpp"

namespace pact::node {

struct run_limits {
  std::chrono::milliseconds timeout{10000};
  /// Bytes kept per stream; a program that writes more is killed and the
  /// run is an error ("wrote more than N bytes").
  size_t max_output_bytes = size_t{4} << 20;
};

struct run_result {
  /// Exit status, or 128 + signal number when a signal ended it.
  int exit_code = 0;
  std::string out;
  std::string err;
};

/// The first executable regular file named `program` in the ':'-separated
/// directories of `path_env` (empty entries mean the current directory, as
/// in execvp). `program` containing '/' is returned as it is when
/// executable.
std::optional<std::string> find_on_path(const std::string& program,
                                        const std::string& path_env);

/// Runs `exe` with `args` (argv[0] is `exe`'s file name) in the caller's
/// environment. Errors: it could not be started, it timed out ("PROGRAM did
/// not finish within N ms"), it wrote more than the cap. A non-zero exit is
/// not an error here (run_result::exit_code).
expected<run_result> run_program(const std::string& exe,
                                 const std::vector<std::string>& args,
                                 const run_limits& limits);

struct gpu_tool_config {
  /// "auto" (nvidia-smi if on PATH, else rocm-smi), "nvidia", "amd" or
  /// "none" (agent.capability.gpu_backend).
  std::string backend = "auto";
  /// The PATH to search (the agent passes its environment's).
  std::string path_env;
  run_limits limits;
};

/// One poll: finds the tool, runs it, parses its output. Never fails: no
/// tool is status "no GPU tool" with no devices; a tool that fails (start,
/// timeout, exit status without usable output, malformed output) is status
/// "error: …" carrying `last`'s devices (the last good poll). nvidia-smi
/// exits non-zero when one GPU is lost but still lists the others: output
/// that parses is used whatever the exit status.
gpu_poll poll_gpus(const gpu_tool_config& cfg, const gpu_poll& last);

} // namespace pact::node
