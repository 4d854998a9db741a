#include "runtime/node/gpu_health.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

namespace pact::node {

namespace {

using device_map = std::map<std::string, const gpu_device*>;

device_map by_identity(const std::vector<gpu_device>& devices) {
  device_map m;
  for (const auto& d : devices)
    m.emplace(d.identity(), &d);
  return m;
}

std::string describe(const gpu_device& d) {
  std::string s = "GPU " + std::to_string(d.index) + " (" + d.identity();
  if (!d.name.empty())
    s += ", " + d.name;
  return s + ")";
}

std::string brief_json(const gpu_device& d) {
  return nlohmann::json{
    {"index", d.index}, {"name", d.name}, {"pci_bus_id", d.pci_bus_id}}
    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The tool's own line about a device it lost, matched by PCI bus id
/// (nvidia-smi writes it in upper case, with a shorter domain sometimes).
std::string problem_for(const gpu_device& d,
                        const std::vector<std::string>& problems) {
  auto upper = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    return s;
  };
  auto bus = upper(d.pci_bus_id);
  // "00000000:3B:00.0" vs "0000:3B:00.0": compare from the bus number on.
  auto tail = bus.size() > 7 ? bus.substr(bus.size() - 7) : bus;
  for (const auto& p : problems) {
    auto at = tail.empty() ? std::string::npos : upper(p).find(tail);
    if (at == std::string::npos)
      continue;
    auto colon = p.find(": ", at);
    return colon == std::string::npos ? p : p.substr(colon + 2);
  }
  return {};
}

std::string ecc_text(const gpu_device& d) {
  auto n = [](const std::optional<uint64_t>& v) {
    return v ? std::to_string(*v) : std::string("n/a");
  };
  return "corrected=" + n(d.ecc_corrected)
         + " uncorrected=" + n(d.ecc_uncorrected);
}

bool rose(const std::optional<uint64_t>& a, const std::optional<uint64_t>& b) {
  return b && *b > a.value_or(0);
}

std::vector<std::string> health_throttles(const gpu_device& d) {
  std::vector<std::string> out;
  for (const auto& r : d.throttle_reasons)
    if (is_health_throttle(r))
      out.push_back(r);
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "none" : s;
}

void compare_device(const gpu_device& a, const gpu_device& b,
                    std::vector<gpu_change>& out) {
  auto id = b.identity();
  if (rose(a.ecc_corrected, b.ecc_corrected)
      || rose(a.ecc_uncorrected, b.ecc_uncorrected))
    out.push_back({gpu_change_kind::ecc_rising,
                   describe(b) + " ECC errors rising: " + ecc_text(a) + " -> "
                     + ecc_text(b),
                   "gpu/" + id + "/ecc", "modify", ecc_text(b), ecc_text(a)});
  auto ta = health_throttles(a);
  auto tb = health_throttles(b);
  if (ta != tb)
    out.push_back(
      {gpu_change_kind::throttling,
       describe(b)
         + (tb.empty() ? " stopped throttling (was " + join(ta) + ")"
                       : " throttling: " + join(tb)),
       "gpu/" + id + "/throttle", "modify", join(tb), join(ta)});
}

void compare_tool(const gpu_poll& before, const gpu_poll& after,
                  std::vector<gpu_change>& out) {
  if (before.ok() && !after.ok())
    out.push_back(
      {gpu_change_kind::tool_failed,
       "GPU tool " + before.tool + " stopped answering: " + after.status,
       "gpu/tool", "modify", after.status, before.status});
  bool was_error = before.status.rfind("error:", 0) == 0;
  if (was_error && after.ok())
    out.push_back({gpu_change_kind::tool_recovered,
                   "GPU tool " + after.tool + " answers again", "gpu/tool",
                   "modify", after.status, before.status});
}

} // namespace

std::vector<gpu_change> diff_gpu_polls(const gpu_poll& before,
                                       const gpu_poll& after) {
  std::vector<gpu_change> out;
  compare_tool(before, after, out);
  // Without an answer now, nothing is known about the devices: keep quiet
  // about them rather than report every GPU lost.
  if (!after.ok())
    return out;
  auto a = by_identity(before.report.devices);
  auto b = by_identity(after.report.devices);
  for (const auto& [id, dev] : a) {
    if (b.count(id))
      continue;
    auto why = problem_for(*dev, after.report.problems);
    out.push_back(
      {gpu_change_kind::disappeared,
       describe(*dev) + " disappeared" + (why.empty() ? "" : ": " + why),
       "gpu/" + id, "remove", "", brief_json(*dev)});
  }
  for (const auto& [id, dev] : b) {
    auto old = a.find(id);
    if (old == a.end())
      out.push_back({gpu_change_kind::appeared, describe(*dev) + " appeared",
                     "gpu/" + id, "add", brief_json(*dev), ""});
    else
      compare_device(*old->second, *dev, out);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const gpu_change& x, const gpu_change& y) {
                     return x.kind < y.kind;
                   });
  return out;
}

std::string summarize(const std::vector<gpu_change>& changes) {
  std::string s;
  for (const auto& c : changes)
    s += (s.empty() ? "" : "; ") + c.summary;
  return s;
}

} // namespace pact::node
