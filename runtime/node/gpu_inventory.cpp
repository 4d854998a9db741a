#include "runtime/node/gpu_inventory.hpp"

#include <charconv>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "runtime/node/capability_text.hpp"

namespace pact::node {

std::string gpu_device::identity() const {
  if (!uuid.empty())
    return uuid;
  if (!pci_bus_id.empty())
    return pci_bus_id;
  return "index:" + std::to_string(index);
}

const std::vector<std::string>& nvidia_query_fields() {
  // Order matters: parse_nvidia_csv reads them by position. The name is the
  // only free-text field, so it sits where the fields around it can be
  // counted from both ends.
  static const std::vector<std::string> fields{
    "index",
    "uuid",
    "name",
    "pci.bus_id",
    "driver_version",
    "memory.total",
    "temperature.gpu",
    "ecc.errors.corrected.volatile.total",
    "ecc.errors.uncorrected.volatile.total",
    "clocks_throttle_reasons.active",
  };
  return fields;
}

std::vector<std::string> nvidia_smi_args() {
  std::string query = "--query-gpu=";
  for (const auto& f : nvidia_query_fields())
    query += (query.back() == '=' ? "" : ",") + f;
  return {query, "--format=csv,noheader,nounits"};
}

std::vector<std::string> rocm_smi_args() {
  return {"--showid",   "--showuniqueid",      "--showproductname",
          "--showbus",  "--showmeminfo",       "vram",
          "--showtemp", "--showdriverversion", "--json"};
}

namespace {

/// nvidia-smi's spellings of "this device has no such value".
bool not_available(std::string_view v) {
  return v.empty() || v == "N/A" || (v.front() == '[' && v.back() == ']');
}

using text::parse_u64;
using text::trim;

struct csv_line {
  size_t number;
  std::vector<std::string> fields;
};

error field_error(const csv_line& l, const std::string& field,
                  const std::string& value, const char* what) {
  return make_error("nvidia-smi output line " + std::to_string(l.number) + ": "
                    + field + " '" + value + "' " + what);
}

status read_optional_count(const csv_line& l, size_t i, const char* field,
                           std::optional<uint64_t>& out) {
  const auto& v = l.fields[i];
  if (not_available(v))
    return {};
  auto n = parse_u64(v);
  if (!n)
    return field_error(l, field, v, "is not a number");
  out = *n;
  return {};
}

status read_temperature(const csv_line& l, size_t i, gpu_device& d) {
  const auto& v = l.fields[i];
  if (not_available(v))
    return {};
  int64_t t = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), t);
  if (ec != std::errc{} || p != v.data() + v.size())
    return field_error(l, "temperature.gpu", v, "is not a number");
  d.temperature_c = t;
  return {};
}

status read_throttle(const csv_line& l, size_t i, gpu_device& d) {
  const auto& v = l.fields[i];
  if (not_available(v))
    return {};
  std::string_view hex = v;
  if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
    hex.remove_prefix(2);
  uint64_t mask = 0;
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), mask, 16);
  if (hex.empty() || ec != std::errc{} || p != hex.data() + hex.size())
    return field_error(l, "clocks_throttle_reasons.active", v,
                       "is not a hexadecimal mask");
  d.throttle_reasons = decode_throttle_reasons(mask);
  return {};
}

expected<gpu_device> nvidia_device(csv_line l) {
  const size_t want = nvidia_query_fields().size();
  if (l.fields.size() < want)
    return make_error("nvidia-smi output line " + std::to_string(l.number)
                      + ": " + std::to_string(l.fields.size())
                      + " fields, expected " + std::to_string(want));
  // A name with ", " in it split into several fields: join them back.
  size_t extra = l.fields.size() - want;
  for (size_t k = 0; k < extra; ++k)
    l.fields[2] += ", " + l.fields[3 + k];
  l.fields.erase(l.fields.begin() + 3,
                 l.fields.begin() + 3 + static_cast<std::ptrdiff_t>(extra));
  gpu_device d;
  d.vendor = "nvidia";
  auto index = parse_u64(l.fields[0]);
  if (!index || *index > UINT32_MAX)
    return field_error(l, "index", l.fields[0], "is not a number");
  d.index = static_cast<uint32_t>(*index);
  d.uuid = l.fields[1];
  d.name = l.fields[2];
  d.pci_bus_id = l.fields[3];
  d.driver_version = not_available(l.fields[4]) ? "" : l.fields[4];
  // A GPU in a bad state answers "[Unknown Error]" for some fields while the
  // others are fine: unknown memory is 0, not a failed poll.
  if (!not_available(l.fields[5])) {
    auto mem = parse_u64(l.fields[5]);
    if (!mem)
      return field_error(l, "memory.total", l.fields[5], "is not a number");
    d.memory_total_mib = *mem;
  }
  if (auto st = read_temperature(l, 6, d); !st)
    return st.err();
  if (auto st = read_optional_count(l, 7, "ecc.errors.corrected.volatile.total",
                                    d.ecc_corrected);
      !st)
    return st.err();
  if (auto st = read_optional_count(
        l, 8, "ecc.errors.uncorrected.volatile.total", d.ecc_uncorrected);
      !st)
    return st.err();
  if (auto st = read_throttle(l, 9, d); !st)
    return st.err();
  return d;
}

std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> out;
  for (auto f : text::split(line, ','))
    out.emplace_back(trim(f));
  return out;
}

} // namespace

expected<gpu_report> parse_nvidia_csv(std::string_view text) {
  gpu_report r;
  size_t number = 0;
  for (auto line : text::lines(text)) {
    ++number;
    auto t = trim(line);
    if (t.empty())
      continue;
    if (t.rfind("Unable to determine the device handle", 0) == 0) {
      r.problems.emplace_back(t);
      continue;
    }
    auto d = nvidia_device({number, split_csv(t)});
    if (!d)
      return d.err();
    r.devices.push_back(std::move(*d));
  }
  return r;
}

namespace {

/// A string member of a rocm-smi card, or "" when absent.
expected<std::string> card_string(const nlohmann::json& card,
                                  const std::string& card_name,
                                  std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = card.find(k);
    if (it == card.end())
      continue;
    if (!it->is_string())
      return make_error("rocm-smi output: " + card_name + " \"" + k
                        + "\" is not a string");
    return it->get<std::string>();
  }
  return std::string{};
}

expected<gpu_device> rocm_device(const std::string& card_name,
                                 const nlohmann::json& card) {
  if (!card.is_object())
    return make_error("rocm-smi output: " + card_name + " is not an object");
  gpu_device d;
  d.vendor = "amd";
  auto index = parse_u64(std::string_view(card_name).substr(4));
  if (!index || *index > UINT32_MAX)
    return make_error("rocm-smi output: '" + card_name
                      + "' is not a card name (cardN)");
  d.index = static_cast<uint32_t>(*index);
  auto get = [&](std::initializer_list<const char*> keys, std::string& out) {
    auto v = card_string(card, card_name, keys);
    if (v)
      out = std::move(*v);
    return v ? status{} : status{v.err()};
  };
  std::string mem_bytes, temp;
  for (auto st : {get({"Unique ID"}, d.uuid),
                  get({"Card Series", "Card series", "Device Name"}, d.name),
                  get({"PCI Bus"}, d.pci_bus_id),
                  get({"Driver version"}, d.driver_version),
                  get({"VRAM Total Memory (B)"}, mem_bytes),
                  get({"Temperature (Sensor edge) (C)",
                       "Temperature (Sensor junction) (C)"},
                      temp)})
    if (!st)
      return st.err();
  if (!mem_bytes.empty()) {
    auto b = parse_u64(mem_bytes);
    if (!b)
      return make_error("rocm-smi output: " + card_name
                        + " \"VRAM Total Memory (B)\" '" + mem_bytes
                        + "' is not a number");
    d.memory_total_mib = *b / (1024 * 1024);
  }
  if (!temp.empty()) {
    auto t = text::parse_decimal(temp);
    if (!t)
      return make_error("rocm-smi output: " + card_name + " temperature '"
                        + temp + "' is not a number");
    d.temperature_c = static_cast<int64_t>(*t);
  }
  return d;
}

} // namespace

expected<gpu_report> parse_rocm_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded())
    return make_error("rocm-smi output is not JSON");
  if (!j.is_object())
    return make_error("rocm-smi output is not a JSON object");
  gpu_report r;
  std::string driver;
  if (auto sys = j.find("system"); sys != j.end() && sys->is_object())
    if (auto v = card_string(*sys, "system", {"Driver version"}); v)
      driver = *v;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key().rfind("card", 0) != 0)
      continue;
    auto d = rocm_device(it.key(), it.value());
    if (!d)
      return d.err();
    if (d->driver_version.empty())
      d->driver_version = driver;
    r.devices.push_back(std::move(*d));
  }
  return r;
}

std::vector<std::string> decode_throttle_reasons(uint64_t mask) {
  // nvml.h, nvmlClocksThrottleReason* (bit values are NVML's ABI).
  static const char* const names[] = {
    "gpu_idle",
    "applications_clocks_setting",
    "sw_power_cap",
    "hw_slowdown",
    "sync_boost",
    "sw_thermal_slowdown",
    "hw_thermal_slowdown",
    "hw_power_brake_slowdown",
    "display_clock_setting",
  };
  std::vector<std::string> out;
  for (unsigned bit = 0; bit < 64; ++bit) {
    if ((mask & (uint64_t{1} << bit)) == 0)
      continue;
    out.push_back(bit < std::size(names) ? names[bit]
                                         : "bit_" + std::to_string(bit));
  }
  return out;
}

bool is_health_throttle(const std::string& reason) {
  return reason == "hw_slowdown" || reason == "sw_thermal_slowdown"
         || reason == "hw_thermal_slowdown"
         || reason == "hw_power_brake_slowdown";
}

} // namespace pact::node

namespace pact::node {

namespace {

template <class T>
nlohmann::json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

} // namespace

nlohmann::json to_json(const gpu_device& d) {
  return {
    {"index", d.index},
    {"uuid", d.uuid},
    {"name", d.name},
    {"vendor", d.vendor},
    {"pci_bus_id", d.pci_bus_id},
    {"driver_version", d.driver_version},
    {"memory_total_mib", d.memory_total_mib},
    {"temperature_c", optional_json(d.temperature_c)},
    {"ecc_corrected", optional_json(d.ecc_corrected)},
    {"ecc_uncorrected", optional_json(d.ecc_uncorrected)},
    {"throttle_reasons", d.throttle_reasons},
  };
}

expected<gpu_device> gpu_from_json(const nlohmann::json& j) {
  // The manifest is ours, but it lives on a host path anyone with root can
  // edit: a wrong type is an error naming the member, never an exception.
  if (!j.is_object())
    return make_error("a GPU entry is not an object");
  gpu_device d;
  auto str = [&](const char* k, std::string& out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string())
      return false;
    out = it->get<std::string>();
    return true;
  };
  auto num = [&](const char* k, auto& out, bool required) {
    auto it = j.find(k);
    if (it == j.end() || it->is_null())
      return !required;
    using T = typename std::decay_t<decltype(out)>::value_type;
    if (std::is_unsigned_v<T> ? !it->is_number_unsigned()
                              : !it->is_number_integer())
      return false;
    out = it->get<T>();
    return true;
  };
  std::optional<uint64_t> index, mem;
  for (auto [ok, name] :
       {std::pair{num("index", index, true), "index"},
        {str("uuid", d.uuid), "uuid"},
        {str("name", d.name), "name"},
        {str("vendor", d.vendor), "vendor"},
        {str("pci_bus_id", d.pci_bus_id), "pci_bus_id"},
        {str("driver_version", d.driver_version), "driver_version"},
        {num("memory_total_mib", mem, true), "memory_total_mib"},
        {num("temperature_c", d.temperature_c, false), "temperature_c"},
        {num("ecc_corrected", d.ecc_corrected, false), "ecc_corrected"},
        {num("ecc_uncorrected", d.ecc_uncorrected, false), "ecc_uncorrected"}})
    if (!ok)
      return make_error(std::string("GPU entry: member \"") + name
                        + "\" is missing or has the wrong type");
  if (*index > UINT32_MAX)
    return make_error("GPU entry: \"index\" is out of range");
  d.index = static_cast<uint32_t>(*index);
  d.memory_total_mib = *mem;
  if (auto it = j.find("throttle_reasons"); it != j.end()) {
    if (!it->is_array())
      return make_error("GPU entry: \"throttle_reasons\" is not a list");
    for (const auto& r : *it) {
      if (!r.is_string())
        return make_error("GPU entry: a throttle reason is not a string");
      d.throttle_reasons.push_back(r.get<std::string>());
    }
  }
  return d;
}

} // namespace pact::node
