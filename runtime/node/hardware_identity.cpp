#include "runtime/node/hardware_identity.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

#include "runtime/node/capability_probe.hpp"

namespace pact::node {

namespace fs = std::filesystem;

namespace {

/// The first line of a sysfs attribute, without surrounding blanks; empty
/// when it cannot be read (a missing DMI table, a permission).
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    return {};
  auto begin = line.find_first_not_of(" \t\r");
  auto end = line.find_last_not_of(" \t\r");
  return begin == std::string::npos ? std::string()
                                    : line.substr(begin, end - begin + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool hex_digits(const std::string& s, std::size_t from, std::size_t n) {
  for (std::size_t i = from; i < from + n; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i])))
      return false;
  return true;
}

/// "aa:bb:cc:dd:ee:ff", not all zeros.
bool usable_mac(const std::string& mac) {
  if (mac.size() != 17)
    return false;
  for (std::size_t i = 0; i < 17; i += 3)
    if (!hex_digits(mac, i, 2) || (i + 2 < 17 && mac[i + 2] != ':'))
      return false;
  return mac != "00:00:00:00:00:00";
}

} // namespace

bool usable_uuid(const std::string& text) {
  auto u = lower(text);
  if (u.size() != 36)
    return false;
  for (auto dash : {8u, 13u, 18u, 23u})
    if (u[dash] != '-')
      return false;
  if (!hex_digits(u, 0, 8) || !hex_digits(u, 9, 4) || !hex_digits(u, 14, 4)
      || !hex_digits(u, 19, 4) || !hex_digits(u, 24, 12))
    return false;
  // Firmware that never had a UUID set reports one of these on every
  // machine of the model: binding to it would bind to nothing.
  return u != "00000000-0000-0000-0000-000000000000"
         && u != "ffffffff-ffff-ffff-ffff-ffffffffffff"
         && u != "03000200-0400-0500-0006-000700080009";
}

expected<std::string> hardware_identity(const std::string& root) {
  auto uuid_path = host_path(root, "/sys/class/dmi/id/product_uuid");
  if (auto uuid = first_line(uuid_path); usable_uuid(uuid))
    return "uuid:" + lower(uuid);
  auto net = host_path(root, "/sys/class/net");
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(net, ec), end; !ec && it != end;
       it.increment(ec))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto base = net + "/" + name;
    // Physical devices have a `device` link to their bus device.
    if (!fs::exists(base + "/device", ec))
      continue;
    if (auto mac = lower(first_line(base + "/address")); usable_mac(mac))
      return "mac:" + mac;
  }
  return make_error("no hardware identity: " + uuid_path
                    + " holds no usable SMBIOS UUID and " + net
                    + " has no physical interface with a MAC address");
}

} // namespace pact::node
