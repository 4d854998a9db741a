#include "runtime/node/service_cgroup.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace pact::node {

namespace {

bool slice_name_ok(const std::string& s) {
  if (s.empty() || s.size() > 255 || s == "." || s == "..")
    return false;
  for (unsigned char c : s)
    if (!std::isalnum(c)
        && std::string("._@:+-").find(static_cast<char>(c))
             == std::string::npos)
      return false;
  return true;
}

/// Writes `text` to an existing cgroup file (a cgroup file is written, not
/// replaced: no temporary and rename).
std::string write_knob(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::out | std::ios::trunc);
  if (!f)
    return "cannot open " + path + ": " + std::strerror(errno);
  f << text;
  f.flush();
  if (!f)
    return "cannot write " + path + ": " + std::strerror(errno);
  return {};
}

std::string make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST)
    return {};
  return "cannot create " + path + ": " + std::strerror(errno);
}

} // namespace

expected<std::string> memory_max_bytes(const std::string& declared) {
  if (declared == "max")
    return declared;
  size_t i = 0;
  while (i < declared.size()
         && std::isdigit(static_cast<unsigned char>(declared[i])))
    ++i;
  auto bad = make_error("cgroup_memory_max '" + declared.substr(0, 40)
                        + "' is not bytes, a number with K, M, G or T, or "
                          "max");
  if (i == 0 || i > 15 || declared.size() - i > 1)
    return bad;
  unsigned long long n = std::stoull(declared.substr(0, i));
  if (i < declared.size()) {
    auto pos = std::string("KMGT").find(
      static_cast<char>(std::toupper(static_cast<unsigned char>(declared[i]))));
    if (pos == std::string::npos)
      return bad;
    for (size_t k = 0; k <= pos; ++k)
      n *= 1024;
  }
  return std::to_string(n);
}

expected<std::string> cgroup_dir(const std::string& root,
                                 const service_spec& spec) {
  if (spec.cgroup_slice.empty() && spec.cgroup_memory_max.empty())
    return std::string();
  auto slice = spec.cgroup_slice.empty() ? std::string("pact.slice")
                                         : spec.cgroup_slice;
  if (!slice_name_ok(slice))
    return make_error("cgroup_slice '" + slice.substr(0, 80)
                      + "' is not a slice name (one path component of "
                        "[A-Za-z0-9._@:+-])");
  auto base = (root == "/" ? std::string() : root) + "/sys/fs/cgroup";
  return base + "/" + slice + "/" + spec.name + ".service";
}

std::string place_in_cgroup(const std::string& root, const service_spec& spec,
                            pid_t pid) {
  auto dir = cgroup_dir(root, spec);
  if (!dir)
    return dir.err().message;
  if (dir->empty())
    return {};
  auto base = (root == "/" ? std::string() : root) + "/sys/fs/cgroup";
  struct stat st {};
  if (::stat((base + "/cgroup.controllers").c_str(), &st) != 0)
    return "no cgroup v2 hierarchy at " + base
           + " (no cgroup.controllers); running without cgroup limits";
  auto slice_dir = dir->substr(0, dir->rfind('/'));
  for (const auto& d : {slice_dir, *dir})
    if (auto why = make_dir(d); !why.empty())
      return why + "; running without cgroup limits";
  if (!spec.cgroup_memory_max.empty()) {
    auto bytes = memory_max_bytes(spec.cgroup_memory_max);
    if (!bytes)
      return bytes.err().message + "; running without a memory limit";
    if (auto why = write_knob(*dir + "/memory.max", *bytes); !why.empty())
      return why + "; running without a memory limit";
  }
  if (auto why = write_knob(*dir + "/cgroup.procs", std::to_string(pid));
      !why.empty())
    return why + "; the service runs outside its cgroup";
  return {};
}

} // namespace pact::node
