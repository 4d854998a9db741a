#include "runtime/node/apply_backends.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/files.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/node/file_baseline.hpp"
#include "runtime/node/gpu_tool.hpp"
#include "runtime/node/root_fs.hpp"
#include "runtime/node/scanners.hpp"

namespace pact::node {

using protocol::DeltaCategory;
using json = nlohmann::json;
using kind = apply_outcome::kind;

std::string to_string(apply_outcome::kind k) {
  switch (k) {
    case kind::applied:
      return "applied";
    case kind::recorded:
      return "recorded";
    case kind::handed_off:
      return "handed-off";
    case kind::failed:
      return "failed";
  }
  return "failed";
}

namespace {

apply_outcome failed(std::string why) {
  return {kind::failed, std::move(why)};
}

/// User and group ids by name, each name looked up once. getpwnam_r and
/// getgrnam_r, not getpwnam: several links (and restores) may apply at
/// once on different threads, and getpwnam returns a static buffer.
class account_cache {
public:
  std::optional<uid_t> uid(const std::string& name) {
    return cached(uids_, name, [](const std::string& n) {
      passwd pw{};
      return lookup(::getpwnam_r, n, pw) ? std::optional<uid_t>(pw.pw_uid)
                                         : std::nullopt;
    });
  }
  std::optional<gid_t> gid(const std::string& name) {
    return cached(gids_, name, [](const std::string& n) {
      group gr{};
      return lookup(::getgrnam_r, n, gr) ? std::optional<gid_t>(gr.gr_gid)
                                         : std::nullopt;
    });
  }

private:
  template <class Id, class Fn>
  static std::optional<Id> cached(std::map<std::string, std::optional<Id>>& m,
                                  const std::string& name, Fn find) {
    auto it = m.find(name);
    if (it == m.end())
      it = m.emplace(name, find(name)).first;
    return it->second;
  }
  /// Calls a get*nam_r, growing its buffer while it says ERANGE (a group
  /// with many members); the ids are read before the buffer goes.
  template <class Entry, class Fn>
  static bool lookup(Fn fn, const std::string& name, Entry& out) {
    std::vector<char> buf(4096);
    for (;;) {
      Entry* found = nullptr;
      int rc = fn(name.c_str(), &out, buf.data(), buf.size(), &found);
      if (rc == ERANGE && buf.size() < (size_t{1} << 24)) {
        buf.resize(buf.size() * 2);
        continue;
      }
      return rc == 0 && found != nullptr;
    }
  }
  std::map<std::string, std::optional<uid_t>> uids_;
  std::map<std::string, std::optional<gid_t>> gids_;
};

expected<json> parse_object(const std::string& value, const char* what) {
  auto j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(std::string("the declared ") + what
                      + " is not a JSON object");
  return j;
}

std::string string_field(const json& j, const char* key,
                         const std::string& fallback = {}) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

class sysctl_backend : public item_backend {
public:
  explicit sysctl_backend(std::string root) : root_(std::move(root)) {
  }
  apply_outcome apply(const std::string& key,
                      const std::string& value) override {
    auto node_path = sysctl_path("/", key);
    if (!node_path)
      return failed(node_path.err().message);
    // The real /proc/sys has every parameter the kernel knows; a missing
    // one is a typo, not something to create. Under another root its
    // folders are made, and a symlink planted there is never written
    // through (root_fs.hpp).
    if (auto st = overwrite_in_root(root_, *node_path, value + "\n",
                                    root_ != "/");
        !st)
      return failed(st.err().message);
    return {kind::applied, under_root(root_, *node_path)};
  }

private:
  std::string root_;
};

/// Where node file `key` is on the host once its parent directories are
/// resolved inside the root as the write resolves them (root_fs.hpp):
/// through a symlinked directory, the file's real place, not a path the
/// host would resolve elsewhere.
std::string written_at(const std::string& root, const std::string& key) {
  auto p = find_parent_in_root(root, key);
  if (!p || p->node_path().empty())
    return under_root(root, key);
  return under_root(root, p->node_path());
}

class file_backend : public item_backend {
public:
  file_backend(std::string root, bool privileged)
    : root_(std::move(root)), privileged_(privileged) {
  }
  apply_outcome apply(const std::string& key,
                      const std::string& value) override {
    if (auto why = journal::key_shape_error(protocol::DELTA_CATEGORY_FILES,
                                            key);
        !why.empty())
      return failed(why);
    auto j = parse_object(value, "file");
    if (!j)
      return failed(j.err().message);
    auto mode_text = string_field(*j, "mode", "0644");
    char* end = nullptr;
    auto mode = std::strtoul(mode_text.c_str(), &end, 8);
    if (end == mode_text.c_str() || *end != 0 || mode > 07777)
      return failed("file mode '" + mode_text + "' is not octal");
    auto owner = string_field(*j, "owner", "root");
    auto group = string_field(*j, "group", "root");
    // Owner first: an unknown one writes nothing.
    std::optional<file_owner> ids;
    if (privileged_) {
      auto o = owner_ids(owner, group);
      if (!o)
        return failed(key + ": " + o.err().message);
      ids = *o;
    }
    if (auto st = write_in_root(root_, key, string_field(*j, "content"),
                                static_cast<unsigned>(mode), ids);
        !st)
      return failed(st.err().message);
    auto path = written_at(root_, key);
    if (!privileged_)
      return {kind::applied, path + " (mode " + mode_text + "; owner " + owner
                               + ":" + group
                               + " left as is: the agent is not root)"};
    return {kind::applied, path};
  }

  apply_outcome restore(const std::string& key,
                        const std::string& value) override {
    if (auto why = journal::key_shape_error(protocol::DELTA_CATEGORY_FILES,
                                            key);
        !why.empty())
      return failed(why);
    auto path = written_at(root_, key);
    if (value.rfind(symlink_prefix, 0) == 0) {
      auto target = value.substr(std::strlen(symlink_prefix));
      if (auto st = link_in_root(root_, key, target); !st)
        return failed(st.err().message);
      return {kind::applied, "linked " + path + " -> " + target};
    }
    // The baseline holds content only: mode and owner stay as they are.
    auto had = stat_in_root(root_, key);
    if (had && !S_ISREG(had->st_mode))
      had.reset();
    unsigned mode = had ? had->st_mode & 07777 : 0644;
    std::optional<file_owner> ids;
    if (had && privileged_)
      ids = file_owner{had->st_uid, had->st_gid};
    if (auto st = write_in_root(root_, key, value, mode, ids); !st)
      return failed(st.err().message);
    return {kind::applied, "wrote " + path};
  }
  apply_outcome remove(const std::string& key) override {
    if (auto why = journal::key_shape_error(protocol::DELTA_CATEGORY_FILES,
                                            key);
        !why.empty())
      return failed(why);
    if (auto st = remove_in_root(root_, key); !st)
      return failed(st.err().message);
    return {kind::applied, "removed " + written_at(root_, key)};
  }

private:
  expected<file_owner> owner_ids(const std::string& owner,
                                 const std::string& group) {
    auto uid = ids_.uid(owner);
    if (!uid)
      return make_error("unknown user '" + owner + "'");
    auto gid = ids_.gid(group);
    if (!gid)
      return make_error("unknown group '" + group + "'");
    return file_owner{*uid, *gid};
  }

  std::string root_;
  bool privileged_;
  /// Names looked up once per apply (a boot applies many files as root).
  account_cache ids_;
};

class network_backend : public item_backend {
public:
  explicit network_backend(std::string root) : root_(std::move(root)) {
  }
  apply_outcome apply(const std::string& key,
                      const std::string& value) override {
    auto j = json::parse(value, nullptr, false);
    if (j.is_discarded())
      return failed("network setting '" + key + "' is not JSON");
    settings_[key] = std::move(j);
    return {kind::applied, "into " + file()};
  }
  apply_outcome finish() override {
    if (auto st = write_in_root(root_, "/run/pact/network.json",
                                settings_.dump(2) + "\n", 0644);
        !st)
      return failed(st.err().message);
    // A backend kept by the drift watcher writes again from scratch.
    settings_ = json::object();
    return {kind::applied, file()};
  }

private:
  std::string file() const {
    return under_root(root_, "/run/pact/network.json");
  }
  std::string root_;
  json settings_ = json::object();
};

/// Runs a command built from the item, or only says what it would run.
class command_backend : public item_backend {
public:
  using build = std::function<expected<std::vector<std::string>>(
    const std::string& key, const std::string& value)>;
  using describe = std::function<std::string(const std::string& key,
                                             const std::string& value)>;

  command_backend(build b, describe d, command_runner run, bool real,
                  build undo = {}, std::string undo_verb = {})
    : build_(std::move(b)), describe_(std::move(d)), run_(std::move(run)),
      real_(real), undo_(std::move(undo)), undo_verb_(std::move(undo_verb)) {
  }
  apply_outcome apply(const std::string& key,
                      const std::string& value) override {
    auto argv = build_(key, value);
    if (!argv)
      return failed(argv.err().message);
    return run(*argv, describe_(key, value));
  }
  /// The undo command (unmount), when this dimension has one.
  apply_outcome remove(const std::string& key) override {
    if (!undo_)
      return item_backend::remove(key);
    auto argv = undo_(key, {});
    if (!argv)
      return failed(argv.err().message);
    return run(*argv, undo_verb_ + " " + key);
  }

private:
  apply_outcome run(const std::vector<std::string>& argv,
                    const std::string& what) {
    if (!real_)
      return {kind::recorded, "would " + what};
    if (auto st = run_(argv); !st)
      return failed(what + ": " + st.err().message);
    return {kind::applied, what};
  }

  build build_;
  describe describe_;
  command_runner run_;
  bool real_;
  build undo_;
  std::string undo_verb_;
};

std::string describe_mount(const std::string& target,
                           const std::string& value) {
  auto j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return "mount " + target;
  std::string out = "mount " + string_field(j, "type") + " "
                    + string_field(j, "source") + " on " + target;
  bool ro = j.value("read_only", false);
  auto opts = string_field(j, "options");
  out += ro ? " read-only" : " read-write";
  if (!opts.empty())
    out += " (options " + opts + ")";
  return out;
}

std::string package_version(const std::string& value) {
  auto j = json::parse(value, nullptr, false);
  if (j.is_string()) {
    auto v = j.get<std::string>();
    return v == "latest" || v == "*" ? std::string() : v;
  }
  return {};
}

std::string first_package_manager() {
  for (const char* m : {"apt-get", "dnf", "yum"})
    if (::access((std::string("/usr/bin/") + m).c_str(), X_OK) == 0)
      return m;
  return "apt-get";
}

} // namespace

apply_outcome item_backend::remove(const std::string& key) {
  return failed("'" + key + "' cannot be removed by this dimension's backend");
}

std::string under_root(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/")
    return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}

expected<std::vector<std::string>> mount_argv(const std::string& target,
                                              const std::string& value) {
  if (auto why = journal::key_shape_error(protocol::DELTA_CATEGORY_MOUNTS,
                                          target);
      !why.empty())
    return make_error(why);
  auto j = parse_object(value, "mount");
  if (!j)
    return j.err();
  auto type = string_field(*j, "type");
  auto source = string_field(*j, "source");
  if (type.empty() || source.empty())
    return make_error("mount " + target + " declares no type or source");
  std::vector<std::string> argv{"mount", "-t", type};
  auto opts = string_field(*j, "options");
  if (j->value("read_only", false))
    opts = opts.empty() ? "ro" : opts + ",ro";
  if (!opts.empty()) {
    argv.push_back("-o");
    argv.push_back(opts);
  }
  argv.push_back(source);
  argv.push_back(target);
  return argv;
}

expected<std::vector<std::string>> package_argv(const std::string& manager,
                                                const std::string& name,
                                                const std::string& value) {
  if (name.empty() || name.front() == '-'
      || name.find_first_of(" \t\n=") != std::string::npos)
    return make_error("package name '" + name + "' is not a package name");
  auto version = package_version(value);
  if (manager == "apt-get")
    return std::vector<std::string>{
      "apt-get", "install", "-y", "--no-install-recommends",
      version.empty() ? name : name + "=" + version};
  return std::vector<std::string>{
    manager, "install", "-y", version.empty() ? name : name + "-" + version};
}

bool acts_on_host(const host_settings& h) {
  return h.root == "/" && h.privileged;
}

std::map<DeltaCategory, std::unique_ptr<item_backend>>
make_backends(const host_settings& h) {
  std::map<DeltaCategory, std::unique_ptr<item_backend>> out;
  out[protocol::DELTA_CATEGORY_KERNEL]
    = std::make_unique<sysctl_backend>(h.root);
  out[protocol::DELTA_CATEGORY_FILES]
    = std::make_unique<file_backend>(h.root, h.privileged);
  out[protocol::DELTA_CATEGORY_NETWORK]
    = std::make_unique<network_backend>(h.root);
  bool real = acts_on_host(h);
  auto run = h.run;
  out[protocol::DELTA_CATEGORY_MOUNTS] = std::make_unique<command_backend>(
    mount_argv, describe_mount,
    [run](const std::vector<std::string>& argv) -> status {
      if (argv.front() == "mount")
        if (auto st = files::make_dirs(argv.back()); !st)
          return st;
      return run(argv);
    },
    real,
    [](const std::string& target,
       const std::string&) -> expected<std::vector<std::string>> {
      if (auto why = journal::key_shape_error(protocol::DELTA_CATEGORY_MOUNTS,
                                              target);
          !why.empty())
        return make_error(why);
      return std::vector<std::string>{"umount", target};
    },
    "unmount");
  auto manager = h.package_manager.empty() ? first_package_manager()
                                           : h.package_manager;
  out[protocol::DELTA_CATEGORY_PACKAGES] = std::make_unique<command_backend>(
    [manager](const std::string& name, const std::string& value) {
      return package_argv(manager, name, value);
    },
    [](const std::string& name, const std::string& value) {
      auto v = package_version(value);
      return "install package " + name + (v.empty() ? "" : " " + v);
    },
    run, real);
  return out;
}

command_runner spawn_runner() {
  // One way to run a program on the node (gpu_tool.hpp run_program): no
  // shell, stdin from /dev/null, its own process group, and the agent's
  // blocked shutdown signals and ignored SIGPIPE reset, which a bare
  // posix_spawn would hand to mount or apt-get.
  return [](const std::vector<std::string>& argv) -> status {
    const char* path = std::getenv("PATH");
    auto exe = find_on_path(argv.at(0),
                            path != nullptr ? path : "/usr/bin:/bin");
    if (!exe)
      return make_error("cannot run " + argv[0] + ": not found on PATH");
    run_limits limits;
    limits.timeout = std::chrono::minutes(15); // a package install is slow
    auto r = run_program(*exe, {argv.begin() + 1, argv.end()}, limits);
    if (!r)
      return r.err();
    if (r->exit_code == 0)
      return {};
    auto err = r->err.substr(0, 512);
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r'))
      err.pop_back();
    return make_error(argv[0] + " exited with status "
                      + std::to_string(r->exit_code)
                      + (err.empty() ? "" : ": " + err));
  };
}

} // namespace pact::node
