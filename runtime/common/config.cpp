#include "runtime/common/config.hpp"
#include "runtime/common/files.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "runtime/common/assert.hpp"
#include "runtime/common/toml_syntax.hpp"

namespace pact::config {

// -- schema -------------------------------------------------------------------

const key_spec* schema::find(std::string_view path) const {
  for (auto& k : keys)
    if (k.path == path)
      return &k;
  return nullptr;
}

const key_spec* schema::find_flag(std::string_view flag) const {
  for (auto& k : keys)
    if (!k.flag.empty() && k.flag == flag)
      return &k;
  return nullptr;
}

bool schema::is_table(std::string_view path) const {
  for (auto& k : keys)
    if (k.path.size() > path.size() && k.path.compare(0, path.size(), path) == 0
        && k.path[path.size()] == '.')
      return true;
  return false;
}

// -- values -------------------------------------------------------------------

const values::slot& values::at(std::string_view path) const {
  auto i = slots_.find(path);
  PACT_ASSERT(i != slots_.end(), "configuration key not in schema");
  return i->second;
}

const std::string& values::get_string(std::string_view path) const {
  return std::get<std::string>(at(path).v);
}

int64_t values::get_int(std::string_view path) const {
  return std::get<int64_t>(at(path).v);
}

bool values::get_bool(std::string_view path) const {
  return std::get<bool>(at(path).v);
}

const std::vector<std::string>& values::get_list(std::string_view path) const {
  return std::get<std::vector<std::string>>(at(path).v);
}

const origin& values::origin_of(std::string_view path) const {
  return at(path).o;
}

void values::set(const std::string& path, value v, origin o) {
  slots_[path] = slot{std::move(v), std::move(o)};
}

bool values::contains(std::string_view path) const {
  return slots_.find(path) != slots_.end();
}

env_lookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name))
      return std::string(v);
    return std::nullopt;
  };
}

std::string expand_home(const std::string& path, const env_lookup& env) {
  if (path.rfind("~/", 0) != 0)
    return path;
  auto home = env ? env("HOME") : std::nullopt;
  return (home ? *home : std::string()) + path.substr(1);
}

// -- conversions --------------------------------------------------------------

namespace {

const char* kind_name(value_kind k) {
  switch (k) {
    case value_kind::string:
      return "a string";
    case value_kind::integer:
      return "an integer";
    case value_kind::boolean:
      return "a boolean";
    case value_kind::string_list:
      return "a string or an array of strings";
  }
  return "a value";
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

} // namespace

std::string to_toml(const value& v) {
  if (auto s = std::get_if<std::string>(&v))
    return "\"" + *s + "\"";
  if (auto i = std::get_if<int64_t>(&v))
    return std::to_string(*i);
  if (auto b = std::get_if<bool>(&v))
    return *b ? "true" : "false";
  std::string out = "[";
  for (auto& s : std::get<std::vector<std::string>>(v))
    out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
  return out + "]";
}

std::string check_value(const key_spec& spec, const value& v) {
  if (auto s = std::get_if<std::string>(&v); s && !spec.choices.empty()) {
    for (auto& c : spec.choices)
      if (c == *s)
        return {};
    std::string allowed;
    for (auto& c : spec.choices)
      allowed += (allowed.empty() ? "" : ", ") + c;
    return "invalid value \"" + *s + "\" (allowed: " + allowed + ")";
  }
  if (auto i = std::get_if<int64_t>(&v)) {
    if (*i < spec.min || *i > spec.max) {
      std::ostringstream os;
      os << "value " << *i << " is out of range";
      if (spec.min != std::numeric_limits<int64_t>::min())
        os << " (minimum " << spec.min;
      if (spec.max != std::numeric_limits<int64_t>::max())
        os << (spec.min != std::numeric_limits<int64_t>::min() ? ", " : " (")
           << "maximum " << spec.max;
      os << ")";
      return os.str();
    }
  }
  return {};
}

expected<value> parse_text(const key_spec& spec, std::string_view text,
                           std::string_view where) {
  auto fail = [&](const std::string& why) {
    return make_error(std::string(where) + ": " + why);
  };
  switch (spec.kind) {
    case value_kind::string:
      return value{std::string(text)};
    case value_kind::integer: {
      auto t = trim(text);
      char* end = nullptr;
      errno = 0;
      long long n = std::strtoll(t.c_str(), &end, 10);
      if (t.empty() || *end != '\0' || errno == ERANGE)
        return fail("expected an integer, got \"" + std::string(text) + "\"");
      return value{static_cast<int64_t>(n)};
    }
    case value_kind::boolean: {
      auto t = trim(text);
      if (t == "true" || t == "1" || t == "yes" || t == "on")
        return value{true};
      if (t == "false" || t == "0" || t == "no" || t == "off")
        return value{false};
      return fail("expected true or false, got \"" + std::string(text) + "\"");
    }
    case value_kind::string_list: {
      // An empty element ("URL," or "a,,b") is a stray comma or a missing
      // value, never meant: refused rather than dropped (tester, issue 11:
      // `--journal 'URL,'` was accepted silently). Blank text as a whole is
      // the empty list.
      std::vector<std::string> items;
      if (trim(text).empty())
        return value{std::move(items)};
      std::string_view rest = text;
      for (;;) {
        auto comma = rest.find(',');
        auto item = trim(rest.substr(0, comma));
        if (item.empty())
          return fail("key '" + spec.path + "': empty element in \""
                      + std::string(text)
                      + "\" (a stray comma?); give each element once, "
                        "separated by commas");
        items.push_back(item);
        if (comma == std::string_view::npos)
          break;
        rest.remove_prefix(comma + 1);
      }
      return value{std::move(items)};
    }
  }
  return fail("unsupported value kind");
}

// -- file layer ---------------------------------------------------------------

namespace {

std::string file_where(const std::string& file, const toml::node& n) {
  return file + ":" + std::to_string(n.source().begin.line);
}

expected<value> from_node(const key_spec& spec, const toml::node& n,
                          const std::string& where) {
  auto wrong = [&]() {
    return make_error(where + ": key '" + spec.path + "' must be "
                      + kind_name(spec.kind));
  };
  switch (spec.kind) {
    case value_kind::string:
      if (auto s = n.as_string())
        return value{s->get()};
      return wrong();
    case value_kind::integer:
      if (auto i = n.as_integer())
        return value{i->get()};
      return wrong();
    case value_kind::boolean:
      if (auto b = n.as_boolean())
        return value{b->get()};
      return wrong();
    case value_kind::string_list: {
      // A single string is a list of one (or comma-separated) items, as
      // on the command line: `endpoint = "http://j1:9443"` stays valid.
      if (auto s = n.as_string())
        return parse_text(spec, s->get(), where);
      auto arr = n.as_array();
      if (!arr)
        return wrong();
      std::vector<std::string> items;
      for (auto& e : *arr) {
        auto s = e.as_string();
        if (!s)
          return make_error(file_where(where.substr(0, where.rfind(':')), e)
                            + ": key '" + spec.path
                            + "' must be an array of strings");
        if (trim(s->get()).empty())
          return make_error(file_where(where.substr(0, where.rfind(':')), e)
                            + ": key '" + spec.path + "' has an empty element");
        items.push_back(s->get());
      }
      return value{std::move(items)};
    }
  }
  return wrong();
}

struct file_walker {
  const schema& keys;
  const std::string& file;
  std::map<std::string, std::pair<value, origin>> found;

  status walk(const toml::table& tbl, const std::string& prefix) {
    for (auto& [k, node] : tbl) {
      std::string path = prefix.empty() ? std::string(k.str())
                                        : prefix + "." + std::string(k.str());
      auto where = file_where(file, node);
      if (auto spec = keys.find(path)) {
        auto v = from_node(*spec, node, where);
        if (!v)
          return v.err();
        if (auto why = check_value(*spec, *v); !why.empty())
          return make_error(where + ": key '" + path + "': " + why);
        found[path] = {std::move(*v), origin{origin::kind::file, where}};
      } else if (keys.is_table(path) && node.is_table()) {
        if (auto st = walk(*node.as_table(), path); !st)
          return st;
      } else {
        return make_error(where + ": unknown key '" + path + "' in " + keys.name
                          + " configuration");
      }
    }
    return {};
  }
};

expected<std::map<std::string, std::pair<value, origin>>>
read_file_layer(const schema& keys, const std::string& path, bool required) {
  if (auto st = files::not_a_directory(path); !st)
    return st.err();
  std::ifstream probe(path);
  if (!probe) {
    if (required)
      return make_error(path + ": cannot open configuration file");
    return std::map<std::string, std::pair<value, origin>>{};
  }
  std::stringstream buf;
  buf << probe.rdbuf();
  toml::table root;
  try {
    root = toml::parse(buf.str(), path);
  } catch (const toml::parse_error& e) {
    return make_error(
      toml_syntax_message(path, buf.str(), e.source().begin.line,
                          e.source().begin.column, e.description()));
  }
  file_walker w{keys, path, {}};
  if (auto st = w.walk(root, ""); !st)
    return st.err();
  return std::move(w.found);
}

} // namespace

// -- layering -----------------------------------------------------------------

expected<values> load(const load_request& req) {
  PACT_ASSERT(req.keys != nullptr, "load() needs a schema");
  const schema& keys = *req.keys;
  values out;
  for (auto& k : keys.keys)
    out.set(k.path, k.default_value, origin{});
  if (!req.file_path.empty()) {
    auto file = read_file_layer(keys, req.file_path, req.file_required);
    if (!file)
      return file.err();
    for (auto& [path, vo] : *file)
      out.set(path, vo.first, vo.second);
  }
  for (auto& k : keys.keys) {
    if (k.env.empty() || !req.env)
      continue;
    if (auto text = req.env(k.env.c_str())) {
      auto v = parse_text(k, *text, k.env);
      if (!v)
        return v.err();
      if (auto why = check_value(k, *v); !why.empty())
        return make_error(k.env + ": " + why);
      out.set(k.path, std::move(*v), origin{origin::kind::env, k.env});
    }
  }
  for (auto& [flag, text] : req.flags) {
    auto spec = keys.find_flag(flag);
    if (!spec)
      return make_error("--" + flag + ": unknown option");
    auto v = parse_text(*spec, text, "--" + flag);
    if (!v)
      return v.err();
    if (auto why = check_value(*spec, *v); !why.empty())
      return make_error("--" + flag + ": " + why);
    out.set(spec->path, std::move(*v), origin{origin::kind::flag, "--" + flag});
  }
  return out;
}

} // namespace pact::config
