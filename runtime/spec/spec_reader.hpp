#pragma once

/// Internals of the spec parser: where an error is (file, line, dotted
/// key) and typed reads of TOML values with the messages of docs/spec.md.
/// Not part of the library's interface.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <pact/protocol/journal.pb.h>

#include "runtime/common/error.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/spec/toml_text.hpp"

namespace pact::spec::detail {

/// The line a node starts on (1 when toml++ recorded none).
uint32_t line_of(const toml::node& node);

/// "a string", "an integer", ... for messages.
const char* type_name(const toml::node& node);

/// The entries of `table` in the order they appear in the file, so the
/// first error reported is the first one a reader meets.
std::vector<std::pair<std::string, const toml::node*>>
in_file_order(const toml::table& table);

/// The file being read; builds the errors.
struct context {
  std::string file;

  /// "FILE:LINE: key 'PATH': WHY" at the line of `node`.
  error at(const toml::node& node, const std::string& path,
           const std::string& why) const;
  /// "FILE:LINE: key 'PATH': WHY".
  error at_line(uint32_t line, const std::string& path,
                const std::string& why) const;
  /// "FILE:LINE: unknown key 'PATH' (allowed: A, B, ...)".
  error unknown(const toml::node& node, const std::string& path,
                const std::vector<std::string_view>& allowed) const;
};

/// Reads the fields of one TOML table with a fixed set of keys. Optional
/// reads return nullopt for an absent key and an error for a present one
/// of the wrong type or range.
class table_reader {
public:
  table_reader(const context& ctx, const toml::table& table, std::string path)
    : ctx_(ctx), table_(table), path_(std::move(path)) {
    // nop
  }

  /// An error for the first key (in file order) not in `allowed`.
  status only(const std::vector<std::string_view>& allowed) const;

  /// The dotted path of `key` in this table.
  std::string path(std::string_view key) const {
    return join(key);
  }

  const std::string& path() const {
    return path_;
  }

  const toml::table& table() const {
    return table_;
  }

  /// The node of `key`, or null.
  const toml::node* find(std::string_view key) const {
    return table_.get(key);
  }

  /// An error about `key`, at its line when present, else the table's.
  error fail(std::string_view key, const std::string& why) const;

  /// An error about the table itself.
  error fail_table(const std::string& why) const;

  expected<std::optional<std::string>> string(std::string_view key) const;
  /// A present, non-empty string.
  expected<std::string> required_string(std::string_view key) const;
  /// A string that must be non-empty when present.
  expected<std::optional<std::string>>
  nonempty_string(std::string_view key) const;
  /// A string equal to one of `choices`.
  expected<std::optional<std::string>>
  choice(std::string_view key,
         std::initializer_list<std::string_view> choices) const;
  expected<std::optional<bool>> boolean(std::string_view key) const;
  expected<std::optional<int64_t>> integer(std::string_view key, int64_t min,
                                           int64_t max) const;
  expected<std::optional<std::vector<std::string>>>
  strings(std::string_view key) const;

private:
  std::string join(std::string_view key) const;

  const context& ctx_;
  const toml::table& table_;
  std::string path_;
};

/// The JSON form of a TOML value: strings, integers, finite floats,
/// booleans, arrays and tables; dates, times, NaN and infinities are
/// errors.
expected<nlohmann::json> to_json(const context& ctx, const toml::node& node,
                                 const std::string& path);

/// The canonical text of `value`: compact, object keys sorted.
std::string canonical(const nlohmann::json& value);

/// Items of one vCluster as they are collected.
using item_sink = journal::item_map;

/// Adds an item (action ADD) after checking the journal's size bounds, so
/// an oversized key or value is reported at its line.
status add_item(const context& ctx, const toml::node& node,
                const std::string& path, item_sink& items,
                protocol::DeltaCategory category, const std::string& key,
                std::string value);

/// The table readers of `[vcluster.X]`; `node` is the value of the key and
/// `path` its dotted path.
status parse_sysctl(const context& ctx, const toml::node& node,
                    const std::string& path, item_sink& items);
status parse_mounts(const context& ctx, const toml::node& node,
                    const std::string& path, item_sink& items);
status parse_files(const context& ctx, const toml::node& node,
                   const std::string& path, item_sink& items);
/// packages, network and gpu: key = TOML key, value = canonical JSON.
status parse_json_items(const context& ctx, const toml::node& node,
                        const std::string& path, item_sink& items,
                        protocol::DeltaCategory category);
status parse_services(const context& ctx, const toml::node& node,
                      const std::string& path, item_sink& items);

/// A policy table (`[vcluster.X.policy]`, `[policy]` or a whole policy
/// file when `path` is empty), validated and resolved.
expected<protocol::VClusterPolicy> parse_policy_table(const context& ctx,
                                                      const toml::node& node,
                                                      const std::string& path);

/// Parses `text` as TOML, or returns "FILE:LINE: DESCRIPTION".
expected<toml::table> parse_toml(const std::string& text,
                                 const std::string& source_name);

} // namespace pact::spec::detail
