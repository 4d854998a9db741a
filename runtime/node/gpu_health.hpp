#pragma once

/// Health changes between two GPU polls (issue 11 item 5): a pure function
/// of the previous and the current inventory, so the poller actor only
/// turns its result into a journal record.
///
/// Devices are matched by gpu_device::identity() (UUID, else PCI bus id,
/// else index). A change is reported when
///   - a device disappears (named with the tool's problem line for its bus
///     id when the tool gave one, e.g. "GPU is lost"),
///   - a device appears,
///   - a volatile ECC counter rises (corrected or uncorrected; a counter
///     that falls was reset by a driver reload and is not a fault),
///   - the set of health throttle reasons (is_health_throttle: thermal and
///     power-brake slowdowns) changes: throttling starts, stops or changes
///     cause. Idle clocks and the ordinary software power cap are not
///     health changes.
///   - the tool stops answering (ok -> error) or answers again.
/// Temperatures and other readings that move all the time are not changes.

#include <string>
#include <vector>

#include "runtime/node/gpu_inventory.hpp"

namespace pact::node {

/// One poll's outcome as the poller keeps it.
struct gpu_poll {
  /// The tool that answered: "nvidia-smi", "rocm-smi", or "" (none found).
  std::string tool;
  /// "ok", "no GPU tool", or "error: …" (the tool failed; `report` then
  /// holds the last good poll's devices).
  std::string status = "no GPU tool";
  gpu_report report;
  bool ok() const {
    return status == "ok";
  }
};

enum class gpu_change_kind {
  appeared,
  disappeared,
  ecc_rising,
  throttling,
  tool_failed,
  tool_recovered,
};

/// One health change; `key`, `value` and `previous` are its journal delta
/// item (category gpu, docs/capabilities.md "capability-change entries").
struct gpu_change {
  gpu_change_kind kind;
  /// Human-readable, e.g. "GPU 1 (GPU-8a…, NVIDIA A100) disappeared: GPU is
  /// lost".
  std::string summary;
  std::string key;
  /// Action: "add", "remove" or "modify".
  std::string action;
  std::string value;
  std::string previous;
};

/// The changes from `before` to `after`, in a stable order (by kind, then
/// identity). Empty when nothing that matters changed.
std::vector<gpu_change> diff_gpu_polls(const gpu_poll& before,
                                       const gpu_poll& after);

/// "; "-joined summaries, for the entry's message and the log.
std::string summarize(const std::vector<gpu_change>& changes);

} // namespace pact::node
