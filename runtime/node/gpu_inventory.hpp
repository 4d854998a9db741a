#pragma once

/// The GPUs of a node as its vendor tool reports them, and the parsers for
/// that tool's machine-readable output (issue 11 item 5; the manifest
/// schema is docs/capabilities.md).
///
/// NVIDIA: `nvidia-smi --query-gpu=FIELDS --format=csv,noheader,nounits`
/// prints one line per GPU, the fields of nvidia_query_fields() in that
/// order, separated by ", "; a value the device does not support prints as
/// "[N/A]" or "N/A" (ECC counters on a board with ECC off, for instance).
/// AMD: `rocm-smi --showid --showuniqueid --showproductname --showbus
/// --showmeminfo vram --showtemp --json` prints one JSON object with a
/// member "cardN" per GPU whose values are strings. rocm-smi's JSON does
/// not carry ECC counters or throttle reasons in a form that is stable
/// across ROCm releases, so those stay unknown for AMD GPUs (documented).
///
/// Parsers never throw: malformed output is an error naming the line (or
/// the card) and the problem, and the caller keeps its last inventory.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "runtime/common/error.hpp"

namespace pact::node {

/// One GPU.
struct gpu_device {
  /// The tool's index (nvidia-smi `index`, rocm-smi "cardN").
  uint32_t index = 0;
  /// Stable identity: NVIDIA "GPU-…" UUID, AMD "Unique ID". Empty when the
  /// tool has none; the PCI bus id then identifies the device.
  std::string uuid;
  std::string name;
  /// "0000:17:00.0" style PCI address.
  std::string pci_bus_id;
  /// "nvidia" or "amd".
  std::string vendor;
  std::string driver_version;
  /// 0 when the tool could not tell ("[Unknown Error]", "[N/A]").
  uint64_t memory_total_mib = 0;
  std::optional<int64_t> temperature_c;
  /// Volatile ECC error counts (since the driver loaded); absent when ECC
  /// is off or the tool does not report them.
  std::optional<uint64_t> ecc_corrected;
  std::optional<uint64_t> ecc_uncorrected;
  /// Active clock throttle reasons by name (nvidia-smi
  /// clocks_throttle_reasons.active, decoded by decode_throttle_reasons).
  std::vector<std::string> throttle_reasons;

  /// The key that matches a device across two polls: uuid, else PCI bus
  /// id, else "index:N".
  std::string identity() const;
};

/// What one run of the tool said: the devices it could query, and what it
/// said about devices it could not (nvidia-smi prints "Unable to determine
/// the device handle for GPU 0000:3B:00.0: GPU is lost. …" for a GPU that
/// fell off the bus, and carries on with the others).
struct gpu_report {
  std::vector<gpu_device> devices;
  /// One line per device problem, as the tool wrote it (trimmed).
  std::vector<std::string> problems;
};

/// The nvidia-smi query fields, in the order parse_nvidia_csv expects.
const std::vector<std::string>& nvidia_query_fields();
/// The argument vector (after argv[0]) for nvidia-smi.
std::vector<std::string> nvidia_smi_args();
/// The argument vector (after argv[0]) for rocm-smi.
std::vector<std::string> rocm_smi_args();

/// Parses nvidia-smi's CSV. Empty output means no GPUs. A line that starts
/// "Unable to determine the device handle" becomes a problem. Errors: any
/// other line with too few fields, a non-numeric index, memory size,
/// temperature, ECC count or throttle mask ("line 2: memory.total 'x' is not
/// a number"). A GPU name containing ", " is kept whole (the fields after
/// the name are counted from the end).
expected<gpu_report> parse_nvidia_csv(std::string_view text);

/// Parses rocm-smi's JSON. Errors: not JSON, not an object, a card without
/// a "cardN" name or with a non-string value where a string is expected.
/// Members that are not "cardN" (rocm-smi adds "system") are ignored.
expected<gpu_report> parse_rocm_json(std::string_view text);

/// Names the bits of NVML's clocks-throttle-reasons mask (nvml.h
/// nvmlClocksThrottleReason*): gpu_idle, applications_clocks_setting,
/// sw_power_cap, hw_slowdown, sync_boost, sw_thermal_slowdown,
/// hw_thermal_slowdown, hw_power_brake_slowdown, display_clock_setting;
/// unknown bits as "bit_N".
std::vector<std::string> decode_throttle_reasons(uint64_t mask);

/// The reasons that mean the hardware is in trouble (thermal or power-brake
/// slowdown), as opposed to idle clocks or an ordinary power cap under load.
bool is_health_throttle(const std::string& reason);

/// The manifest form of a device (docs/capabilities.md, "gpus.devices").
nlohmann::json to_json(const gpu_device& d);
/// Reads it back (the agent's previous manifest); errors name the member.
expected<gpu_device> gpu_from_json(const nlohmann::json& j);

} // namespace pact::node
