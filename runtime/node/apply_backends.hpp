#pragma once

/// How the agent applies declared items to the host (issue 11 item 1): one
/// small backend per dimension, each given the item's key and canonical
/// value (docs/spec.md, "Item encoding"). Every host path is taken under
/// the agent's `--root`, so tests run unprivileged under a temporary root.
///
///   kernel   <root>/proc/sys/<key with . as />: the value and a newline.
///            Under `--root /` the file must exist (an unknown parameter is
///            an error); under another root its folders are created.
///   files    <root><path>, written atomically with the declared mode; the
///            owner and group only when the agent runs as root. Never
///            outside --root: symlinks on the way resolve inside it, and
///            what stands in the file's place is replaced (root_fs.hpp).
///   network  <root>/run/pact/network.json: the declared settings as one
///            JSON object (written at finish(), which starts the next
///            round afresh), for the image's network setup to read (pact does
///            not configure interfaces itself).
///   mounts   `mount -t TYPE [-o OPTIONS[,ro]] SOURCE <path>` and
///   packages the host's package manager (apt-get, dnf or yum): real only
///            under `--root /` with root privileges; otherwise a recording
///            backend says what it would do and does nothing.
///
/// A backend never throws; a failure is an outcome naming the item.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/common/error.hpp"

namespace pact::node {

/// What happened to one item.
struct apply_outcome {
  enum class kind {
    /// Changed on the host (or already as declared).
    applied,
    /// Not applied: this agent may not (not root, or --root is not /);
    /// `detail` says what it would have done.
    recorded,
    /// Not this backend's business (services go to the supervisor; GPU
    /// settings to the GPU poller).
    handed_off,
    /// Tried and failed; `detail` says why.
    failed,
  };
  kind k = kind::applied;
  std::string detail;
};

/// "applied", "recorded", "handed-off", "failed".
std::string to_string(apply_outcome::kind k);

/// Applies items of one dimension.
class item_backend {
public:
  virtual ~item_backend() = default;
  /// Applies `key` = `value` (canonical item value).
  virtual apply_outcome apply(const std::string& key, const std::string& value)
    = 0;
  /// Called once after the last item of this dimension (the network
  /// backend writes its file here). Default: nothing.
  virtual apply_outcome finish() {
    return {apply_outcome::kind::applied, {}};
  }
  /// Converging (runtime/node/converge.hpp): puts back what a node held,
  /// as the drift core holds it (runtime/node/drift.hpp: a file's content
  /// or "symlink:TARGET"; a kernel value as read) rather than a declared
  /// item. Files keep their current mode and owner (0644 root:root when
  /// new). Default: the value is applied as an item.
  virtual apply_outcome restore(const std::string& key,
                                const std::string& value) {
    return apply(key, value);
  }
  /// Restoring (restore_core.hpp): makes `key` absent — a file is
  /// removed (never through a symlink), a mount unmounted (real or
  /// recorded as mounting is). Default: failed, this dimension cannot
  /// remove an item.
  virtual apply_outcome remove(const std::string& key);
};

/// Runs a program and waits for it: the seam for mount and package
/// managers. Returns an error naming the program and its exit status.
using command_runner = std::function<status(const std::vector<std::string>&)>;

/// posix_spawnp + waitpid; output goes to the agent's own stdout/stderr.
command_runner spawn_runner();

/// Where and how the backends act.
struct host_settings {
  /// The agent's --root ("/" on a real node).
  std::string root = "/";
  /// Whether the agent runs as root (geteuid() == 0).
  bool privileged = false;
  /// Runs mount and the package manager (real backends only).
  command_runner run;
  /// Which package manager the real package backend uses: "apt-get",
  /// "dnf" or "yum"; empty = the first found under /usr/bin.
  std::string package_manager;
};

/// Whether mounts and packages are real: --root / and privileged.
bool acts_on_host(const host_settings& h);

/// The backend of every dimension that has one (kernel, files, network,
/// mounts, packages), real or recording as `h` allows.
std::map<protocol::DeltaCategory, std::unique_ptr<item_backend>>
make_backends(const host_settings& h);

// Exposed for tests: the commands the real backends run.

/// argv of `mount` for a canonical mount value at `target`; an error when
/// the value is not a mount object.
expected<std::vector<std::string>> mount_argv(const std::string& target,
                                              const std::string& value);

/// argv of the package manager installing `name` at the canonical value's
/// version (a JSON string; "latest", "*" or `true` mean any version).
expected<std::vector<std::string>> package_argv(const std::string& manager,
                                                const std::string& name,
                                                const std::string& value);

/// (sysctl_path, the file of a sysctl key under the root, is in
/// runtime/node/scanners.hpp, shared with the drift scanners.)

/// `path` (absolute) under `root`, without a doubled slash.
std::string under_root(const std::string& root, const std::string& path);

} // namespace pact::node
