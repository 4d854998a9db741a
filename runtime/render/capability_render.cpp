#include "runtime/render/capability_render.hpp"

#include <cstdio>
#include <sstream>
#include <vector>

#include "runtime/common/terminal_text.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::render {

namespace {

using nlohmann::json;

const json& member(const json& j, const char* key) {
  static const json null_json;
  if (!j.is_object())
    return null_json;
  auto it = j.find(key);
  return it == j.end() ? null_json : *it;
}

std::string str(const json& j, const char* key, const char* missing = "?") {
  const auto& v = member(j, key);
  return v.is_string() ? terminal_safe(v.get<std::string>()) : missing;
}

/// A whole number member as text, or `missing`.
std::string num(const json& j, const char* key, const char* missing = "?") {
  const auto& v = member(j, key);
  if (v.is_number_unsigned())
    return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer())
    return std::to_string(v.get<int64_t>());
  return missing;
}

std::string bytes_member(const json& j, const char* key) {
  const auto& v = member(j, key);
  return v.is_number_unsigned() ? bytes_text(v.get<uint64_t>()) : "?";
}

const json& list(const json& j, const char* key) {
  static const json empty = json::array();
  const auto& v = member(j, key);
  return v.is_array() ? v : empty;
}

std::string joined(const json& arr, const char* sep) {
  std::string out;
  for (const auto& x : arr)
    if (x.is_string())
      out += (out.empty() ? "" : sep) + terminal_safe(x.get<std::string>());
  return out;
}

std::string age_of(const json& j, const char* key, int64_t now_ms) {
  const auto& v = member(j, key);
  if (!v.is_number_integer() || v.get<int64_t>() <= 0)
    return "at an unknown time";
  return age_text(now_ms - v.get<int64_t>());
}

void cpu_section(std::ostringstream& out, const json& cpu) {
  if (!cpu.is_object()) {
    out << "CPU      unknown (see probe errors)\n";
    return;
  }
  out << "CPU      " << str(cpu, "model") << ": " << num(cpu, "sockets")
      << " socket(s), " << num(cpu, "cores") << " cores, "
      << num(cpu, "threads") << " threads\n";
  const auto& flags = list(cpu, "flags");
  if (!flags.empty())
    out << "         flags (" << flags.size() << "): " << joined(flags, " ")
        << "\n";
}

void memory_section(std::ostringstream& out, const json& mem) {
  if (!mem.is_object()) {
    out << "Memory   unknown (see probe errors)\n";
    return;
  }
  out << "Memory   " << bytes_member(mem, "total_bytes") << " total\n";
  for (const auto& n : list(mem, "numa_nodes"))
    out << "         NUMA node " << num(n, "id") << ": "
        << bytes_member(n, "memory_total_bytes") << ", cpus " << str(n, "cpus")
        << "\n";
  for (const auto& p : list(mem, "hugepages"))
    out << "         hugepages " << num(p, "page_size_kib")
        << " KiB: " << num(p, "total") << " (" << num(p, "free") << " free)\n";
}

std::string gpu_health(const json& d) {
  std::vector<std::string> flags;
  const auto& unc = member(d, "ecc_uncorrected");
  const auto& cor = member(d, "ecc_corrected");
  if ((unc.is_number_unsigned() && unc.get<uint64_t>() > 0)
      || (cor.is_number_unsigned() && cor.get<uint64_t>() > 0))
    flags.push_back("ECC errors " + num(d, "ecc_corrected", "-") + "/"
                    + num(d, "ecc_uncorrected", "-"));
  auto reasons = joined(list(d, "throttle_reasons"), ",");
  if (!reasons.empty())
    flags.push_back("throttle: " + reasons);
  std::string s;
  for (const auto& f : flags)
    s += (s.empty() ? "" : "; ") + f;
  return s.empty() ? "ok" : s;
}

void gpu_section(std::ostringstream& out, const json& gpus, int64_t now_ms) {
  out << "GPUs     " << num(gpus, "count", "0");
  auto tool = str(gpus, "tool", "");
  if (!tool.empty())
    out << " via " << tool;
  out << " (" << str(gpus, "status") << ", polled "
      << age_of(gpus, "polled_unix_ms", now_ms) << ")\n";
  std::vector<std::vector<std::string>> rows;
  if (!list(gpus, "devices").empty())
    rows.push_back({"INDEX", "NAME", "UUID", "PCI", "MEMORY", "TEMP",
                    "ECC (corr/uncorr)", "HEALTH"});
  for (const auto& d : list(gpus, "devices")) {
    const auto& mem = member(d, "memory_total_mib");
    rows.push_back(
      {num(d, "index"), str(d, "name"), str(d, "uuid"), str(d, "pci_bus_id"),
       mem.is_number_unsigned() ? bytes_text(mem.get<uint64_t>() << 20) : "?",
       num(d, "temperature_c", "-") + " C",
       num(d, "ecc_corrected", "-") + "/" + num(d, "ecc_uncorrected", "-"),
       gpu_health(d)});
  }
  out << render_table(rows);
  for (const auto& p : list(gpus, "problems"))
    if (p.is_string())
      out << "  problem: " << terminal_safe(p.get<std::string>()) << "\n";
}

void network_section(std::ostringstream& out, const json& net) {
  if (!net.is_array()) {
    out << "Network  unknown (see probe errors)\n";
    return;
  }
  out << "Network  " << net.size() << " interface(s)\n";
  std::vector<std::vector<std::string>> rows;
  if (net.is_array() && !net.empty())
    rows.push_back({"NAME", "STATE", "SPEED", "MTU", "DRIVER", "MAC"});
  if (net.is_array())
    for (const auto& n : net)
      rows.push_back({str(n, "name"), str(n, "state"),
                      num(n, "speed_mbps", "-") + " Mb/s", num(n, "mtu", "-"),
                      str(n, "driver", "-"), str(n, "mac")});
  out << render_table(rows);
}

void storage_section(std::ostringstream& out, const json& st) {
  if (!st.is_object()) {
    out << "Storage  unknown (see probe errors)\n";
    return;
  }
  const auto& disks = list(st, "block_devices");
  const auto& mounts = list(st, "mounts");
  out << "Storage  " << disks.size() << " disk(s), " << mounts.size()
      << " mount(s)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : disks) {
    const auto& rot = member(d, "rotational");
    rows.push_back({str(d, "name"), bytes_member(d, "size_bytes"),
                    rot.is_boolean() ? (rot.get<bool>() ? "HDD" : "SSD") : "?",
                    str(d, "model", "")});
  }
  for (const auto& m : mounts)
    rows.push_back(
      {str(m, "target"), str(m, "type"), str(m, "source"), str(m, "options")});
  out << render_table(rows);
}

} // namespace

std::string bytes_text(uint64_t bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B",
                  static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string render_capability_text(const json& m, int64_t now_ms) {
  std::ostringstream out;
  out << "Node     " << str(m, "node") << " (manifest generated "
      << age_of(m, "generated_unix_ms", now_ms) << ")\n";
  cpu_section(out, member(m, "cpu"));
  memory_section(out, member(m, "memory"));
  gpu_section(out, member(m, "gpus"), now_ms);
  network_section(out, member(m, "network"));
  storage_section(out, member(m, "storage"));
  const auto& mods = member(m, "modules");
  std::string names;
  if (mods.is_array())
    for (const auto& x : mods)
      names += (names.empty() ? "" : " ") + str(x, "name");
  if (mods.is_array())
    out << "Modules  " << mods.size() << " loaded"
        << (names.empty() ? "" : ": " + names) << "\n";
  else
    out << "Modules  unknown (see probe errors)\n";
  for (const auto& e : list(m, "probe_errors"))
    if (e.is_string())
      out << "probe error: " << terminal_safe(e.get<std::string>()) << "\n";
  return out.str();
}

} // namespace pact::render
