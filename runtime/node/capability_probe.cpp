#include "runtime/node/capability_probe.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "runtime/common/files.hpp"
#include "runtime/node/capability_text.hpp"

namespace pact::node {

namespace fs = std::filesystem;

using text::fields;
using text::lines;
using text::parse_u64;
using text::trim;

std::string host_path(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/")
    return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}

namespace {

/// Names of the entries of a directory, sorted; none when it is missing.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec))
    out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool present(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec)) && !ec;
}

/// A small sysfs attribute, trimmed; empty when absent or unreadable (a
/// link that is down answers EINVAL for `speed`).
std::string attribute(const std::string& path) {
  auto v = files::read_all(path);
  return v ? std::string(trim(*v)) : std::string{};
}

/// "key : value" of a /proc/cpuinfo or /proc/meminfo line.
std::pair<std::string_view, std::string_view> key_value(std::string_view l) {
  auto colon = l.find(':');
  if (colon == std::string_view::npos)
    return {trim(l), {}};
  return {trim(l.substr(0, colon)), trim(l.substr(colon + 1))};
}

struct cpu_tally {
  std::string model, vendor;
  std::vector<std::string_view> flags;
  uint64_t threads = 0;
  std::set<std::string> sockets;
  std::set<std::pair<std::string, std::string>> cores;
};

void cpu_line(cpu_tally& t, std::string_view line, std::string& physical) {
  auto [k, v] = key_value(line);
  if (k == "processor") {
    ++t.threads;
    physical.clear();
  } else if (k == "physical id") {
    physical = std::string(v);
    t.sockets.insert(physical);
  } else if (k == "core id") {
    t.cores.emplace(physical, std::string(v));
  } else if ((k == "model name" || k == "Processor" || k == "cpu model")
             && t.model.empty()) {
    t.model = std::string(v);
  } else if (k == "vendor_id" && t.vendor.empty()) {
    t.vendor = std::string(v);
  } else if ((k == "flags" || k == "Features") && t.flags.empty()) {
    t.flags = fields(v);
  }
}

} // namespace

expected<nlohmann::json> probe_cpu(const std::string& root) {
  auto path = host_path(root, "/proc/cpuinfo");
  auto text = files::read_all(path);
  if (!text)
    return text.err();
  cpu_tally t;
  std::string physical;
  for (auto line : lines(*text))
    cpu_line(t, line, physical);
  if (t.threads == 0)
    return make_error(path + ": no processor entries");
  uint64_t sockets = t.sockets.empty() ? 1 : t.sockets.size();
  uint64_t cores = t.cores.empty() ? t.threads : t.cores.size();
  std::vector<std::string> flags(t.flags.begin(), t.flags.end());
  std::sort(flags.begin(), flags.end());
  return nlohmann::json{{"model", t.model.empty() ? "unknown" : t.model},
                        {"vendor", t.vendor},
                        {"sockets", sockets},
                        {"cores", cores},
                        {"threads", t.threads},
                        {"flags", flags}};
}

namespace {

/// A "NAME: N kB" line's value in bytes.
std::optional<uint64_t> kib_value(std::string_view v) {
  auto f = fields(v);
  if (f.empty())
    return std::nullopt;
  auto n = parse_u64(f[0]);
  if (!n)
    return std::nullopt;
  bool kib = f.size() > 1 && f[1] == "kB";
  return kib ? *n * 1024 : *n;
}

nlohmann::json numa_nodes(const std::string& root) {
  auto dir = host_path(root, "/sys/devices/system/node");
  auto out = nlohmann::json::array();
  for (const auto& name : entries(dir)) {
    if (name.rfind("node", 0) != 0)
      continue;
    auto id = parse_u64(std::string_view(name).substr(4));
    if (!id)
      continue;
    nlohmann::json n{{"id", *id},
                     {"cpus", attribute(dir + "/" + name + "/cpulist")},
                     {"memory_total_bytes", nullptr}};
    if (auto m = files::read_all(dir + "/" + name + "/meminfo"))
      for (auto line : lines(*m)) {
        // "Node 0 MemTotal:       263842384 kB"
        auto at = line.find("MemTotal:");
        if (at != std::string_view::npos)
          if (auto b = kib_value(line.substr(at + 9)))
            n["memory_total_bytes"] = *b;
      }
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a["id"].template get<uint64_t>() < b["id"].template get<uint64_t>();
  });
  return out;
}

nlohmann::json hugepage_pools(const std::string& root,
                              const std::map<std::string, uint64_t>& info) {
  auto dir = host_path(root, "/sys/kernel/mm/hugepages");
  auto out = nlohmann::json::array();
  for (const auto& name : entries(dir)) {
    // "hugepages-2048kB"
    if (name.rfind("hugepages-", 0) != 0 || name.size() < 13)
      continue;
    auto size = parse_u64(std::string_view(name).substr(10, name.size() - 12));
    auto total = parse_u64(attribute(dir + "/" + name + "/nr_hugepages"));
    auto free = parse_u64(attribute(dir + "/" + name + "/free_hugepages"));
    if (size && total)
      out.push_back({{"page_size_kib", *size},
                     {"total", *total},
                     {"free", free ? nlohmann::json(*free) : nullptr}});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a["page_size_kib"].template get<uint64_t>()
           < b["page_size_kib"].template get<uint64_t>();
  });
  auto size = info.find("Hugepagesize");
  auto total = info.find("HugePages_Total");
  if (out.empty() && size != info.end() && total != info.end()) {
    auto free = info.find("HugePages_Free");
    out.push_back(
      {{"page_size_kib", size->second / 1024},
       {"total", total->second},
       {"free", free == info.end() ? nlohmann::json(nullptr)
                                   : nlohmann::json(free->second)}});
  }
  return out;
}

} // namespace

expected<nlohmann::json> probe_memory(const std::string& root) {
  auto path = host_path(root, "/proc/meminfo");
  auto text = files::read_all(path);
  if (!text)
    return text.err();
  std::map<std::string, uint64_t> info;
  for (auto line : lines(*text)) {
    auto [k, v] = key_value(line);
    if (auto n = kib_value(v))
      info[std::string(k)] = *n;
  }
  auto total = info.find("MemTotal");
  if (total == info.end())
    return make_error(path + ": no MemTotal line");
  return nlohmann::json{{"total_bytes", total->second},
                        {"numa_nodes", numa_nodes(root)},
                        {"hugepages", hugepage_pools(root, info)}};
}

expected<nlohmann::json> probe_network(const std::string& root) {
  auto dir = host_path(root, "/sys/class/net");
  if (!present(dir))
    return make_error(dir + ": missing");
  auto out = nlohmann::json::array();
  for (const auto& name : entries(dir)) {
    auto base = dir + "/" + name;
    // Physical devices have a `device` link to their bus device; loopback
    // and virtual ones (bridge, bond, veth, tun, vlan) do not.
    if (!present(base + "/device"))
      continue;
    std::error_code ec;
    auto driver = fs::read_symlink(base + "/device/driver", ec);
    auto mtu = parse_u64(attribute(base + "/mtu"));
    auto speed = parse_u64(attribute(base + "/speed"));
    out.push_back({{"name", name},
                   {"mac", attribute(base + "/address")},
                   {"mtu", mtu ? nlohmann::json(*mtu) : nullptr},
                   {"state", attribute(base + "/operstate")},
                   {"speed_mbps", speed ? nlohmann::json(*speed) : nullptr},
                   {"driver", ec ? "" : driver.filename().string()}});
  }
  return out;
}

namespace {

/// Kernel filesystems that describe the kernel, not storage.
bool pseudo_fs(std::string_view type) {
  static const std::set<std::string_view> pseudo{
    "autofs",   "binfmt_misc", "bpf",        "cgroup",    "cgroup2",
    "configfs", "debugfs",     "devpts",     "devtmpfs",  "efivarfs",
    "fusectl",  "hugetlbfs",   "mqueue",     "nsfs",      "proc",
    "pstore",   "rpc_pipefs",  "securityfs", "selinuxfs", "sysfs",
    "tracefs",  "ramfs"};
  return pseudo.count(type) > 0;
}

/// /proc/mounts escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3'
        && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0'
        && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8
                               + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

nlohmann::json block_devices(const std::string& root) {
  auto dir = host_path(root, "/sys/block");
  auto out = nlohmann::json::array();
  for (const auto& name : entries(dir)) {
    auto base = dir + "/" + name;
    if (!present(base + "/device"))
      continue;
    auto sectors = parse_u64(attribute(base + "/size"));
    auto rotational = attribute(base + "/queue/rotational");
    out.push_back(
      {{"name", name},
       {"model", attribute(base + "/device/model")},
       {"size_bytes", sectors ? nlohmann::json(*sectors * 512) : nullptr},
       {"rotational", rotational.empty() ? nlohmann::json(nullptr)
                                         : nlohmann::json(rotational == "1")}});
  }
  return out;
}

} // namespace

expected<nlohmann::json> probe_storage(const std::string& root) {
  auto path = host_path(root, "/proc/mounts");
  auto text = files::read_all(path);
  if (!text)
    return text.err();
  auto mounts = nlohmann::json::array();
  for (auto line : lines(*text)) {
    auto f = fields(line);
    if (f.size() < 4 || pseudo_fs(f[2]))
      continue;
    mounts.push_back({{"source", unescape(f[0])},
                      {"target", unescape(f[1])},
                      {"type", std::string(f[2])},
                      {"options", std::string(f[3])}});
  }
  return nlohmann::json{{"block_devices", block_devices(root)},
                        {"mounts", std::move(mounts)}};
}

expected<nlohmann::json> probe_modules(const std::string& root) {
  auto path = host_path(root, "/proc/modules");
  auto text = files::read_all(path);
  if (!text)
    return text.err();
  auto out = nlohmann::json::array();
  for (auto line : lines(*text)) {
    // "nvidia_uvm 1441792 2 - Live 0x0000000000000000 (POE)"
    auto f = fields(line);
    if (f.size() < 4)
      continue;
    auto size = parse_u64(f[1]);
    std::vector<std::string> users;
    for (auto u : text::split(f[3], ','))
      if (!u.empty() && u != "-")
        users.emplace_back(u);
    out.push_back({{"name", std::string(f[0])},
                   {"size_bytes", size ? nlohmann::json(*size) : nullptr},
                   {"used_by", users}});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a["name"].template get<std::string>()
           < b["name"].template get<std::string>();
  });
  return out;
}

nlohmann::json probe_host(const std::string& root) {
  nlohmann::json out;
  auto errors = nlohmann::json::array();
  using probe = expected<nlohmann::json> (*)(const std::string&);
  const std::pair<const char*, probe> probes[] = {
    {"cpu", probe_cpu},         {"memory", probe_memory},
    {"network", probe_network}, {"storage", probe_storage},
    {"modules", probe_modules},
  };
  for (const auto& [name, fn] : probes) {
    auto r = fn(root);
    if (r) {
      out[name] = std::move(*r);
    } else {
      out[name] = nullptr;
      errors.push_back(std::string(name) + ": " + r.err().message);
    }
  }
  out["probe_errors"] = std::move(errors);
  return out;
}

} // namespace pact::node
