#pragma once

/// Schema-driven configuration for every pact binary (DESIGN.md §6).
///
/// A `schema` lists every key a config file may hold, with its type, default,
/// command-line flag, environment variable and documentation. `load()` layers
/// the sources with the precedence flag > env > file > default. Unknown keys,
/// wrong types and out-of-range values are errors naming the file, line and
/// key (or the flag / variable), and nothing is partially applied.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::config {

enum class value_kind { string, integer, boolean, string_list };

using value
  = std::variant<std::string, int64_t, bool, std::vector<std::string>>;

/// One documented configuration key.
struct key_spec {
  /// Dotted TOML path, e.g. "journal.raft.snapshot_interval".
  std::string path;
  value_kind kind = value_kind::string;
  value default_value;
  /// Long flag name without dashes ("data-dir"); empty if none.
  std::string flag;
  /// Environment variable ("PACT_LOG"); empty if none.
  std::string env;
  /// One-line documentation, shown in --help and docs/configuration.md.
  std::string help;
  /// Allowed values of a string key; empty means any.
  std::vector<std::string> choices;
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};

/// The keys of one configuration file.
struct schema {
  /// File kind for messages, e.g. "journal".
  std::string name;
  std::vector<key_spec> keys;

  const key_spec* find(std::string_view path) const;
  const key_spec* find_flag(std::string_view flag) const;
  /// True if `path` names a table that contains schema keys.
  bool is_table(std::string_view path) const;
};

/// Where a value came from.
struct origin {
  enum class kind {
    default_value,
    file,
    env,
    flag
  } source
    = kind::default_value;
  /// "journal.toml:12", "PACT_LOG" or "--log-level"; empty for defaults.
  std::string where;
};

/// The effective configuration: one value per schema key.
class values {
public:
  /// Accessors. Precondition: `path` is in the schema with that kind (a
  /// programmer error otherwise, asserted).
  const std::string& get_string(std::string_view path) const;
  int64_t get_int(std::string_view path) const;
  bool get_bool(std::string_view path) const;
  const std::vector<std::string>& get_list(std::string_view path) const;
  const origin& origin_of(std::string_view path) const;

  void set(const std::string& path, value v, origin o);
  bool contains(std::string_view path) const;

private:
  struct slot {
    value v;
    origin o;
  };
  const slot& at(std::string_view path) const;
  std::map<std::string, slot, std::less<>> slots_;
};

/// Looks up an environment variable; std::nullopt if unset.
using env_lookup = std::function<std::optional<std::string>(const char*)>;

/// Reads the real process environment.
env_lookup process_env();

struct load_request {
  const schema* keys = nullptr;
  /// Config file to read; empty for none.
  std::string file_path;
  /// When false a missing file is silently skipped (the default path).
  bool file_required = false;
  env_lookup env;
  /// Raw flag values by flag name (without dashes).
  std::map<std::string, std::string> flags;
};

/// Builds the effective configuration. Errors name the source precisely:
/// "journal.toml:7: unknown key 'journal.raft.membrs'".
expected<values> load(const load_request& req);

/// Converts flag/env text to a typed value for `spec` (lists are
/// comma-separated; booleans accept true/false/1/0/yes/no).
expected<value> parse_text(const key_spec& spec, std::string_view text,
                           std::string_view where);

/// Checks choices and ranges; returns an error message or empty.
std::string check_value(const key_spec& spec, const value& v);

/// Renders a value the way it would be written in TOML.
std::string to_toml(const value& v);

/// Expands a leading "~/" using $HOME.
std::string expand_home(const std::string& path, const env_lookup& env);

} // namespace pact::config
