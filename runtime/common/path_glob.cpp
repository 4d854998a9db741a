#include "runtime/common/path_glob.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace pact {

namespace {

bool is_globstar(const std::string& s) {
  return s == "**";
}

/// Why `segment` is not a usable fnmatch pattern, or empty when it is.
/// fnmatch(3) itself treats an unclosed `[` as a literal and never reports
/// it, which would silently turn an operator's typo into a pattern that
/// matches nothing; so the bracket syntax is checked here.
std::string segment_problem(const std::string& segment) {
  if (segment.empty())
    return "has an empty path segment ('//')";
  if (segment == "." || segment == "..")
    return "has a '" + segment + "' segment (patterns are normalized paths)";
  if (segment != "**" && segment.find("**") != std::string::npos)
    return "uses '**' inside a segment ('" + segment
           + "'); '**' must be a whole segment, as in /var/log/**";
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '\\') {
      if (i + 1 == segment.size())
        return "ends a segment with a lone backslash";
      ++i;
    } else if (segment[i] == '[') {
      size_t j = i + 1;
      if (j < segment.size() && (segment[j] == '!' || segment[j] == '^'))
        ++j;
      if (j < segment.size() && segment[j] == ']')
        ++j; // a ']' first in the set is a literal
      auto close = segment.find(']', j);
      if (close == std::string::npos)
        return "has an unclosed '[' in segment '" + segment + "'";
      i = close;
    }
  }
  return {};
}

using segs = std::vector<std::string>;
using path_segs = std::vector<std::string_view>;

bool segment_matches(const std::string& pattern, std::string_view name) {
  std::string n(name); // fnmatch needs a terminated string
  return ::fnmatch(pattern.c_str(), n.c_str(), 0) == 0;
}

/// Full match of path[si..] against pattern[pi..]. Backtracks over `**`;
/// patterns are short and have few `**`, so this stays cheap.
bool match_from(const segs& p, size_t pi, const path_segs& s, size_t si) {
  if (pi == p.size())
    return si == s.size();
  if (is_globstar(p[pi]))
    return match_from(p, pi + 1, s, si)
           || (si < s.size() && match_from(p, pi, s, si + 1));
  if (si == s.size())
    return false;
  return segment_matches(p[pi], s[si]) && match_from(p, pi + 1, s, si + 1);
}

/// Whether every path that extends path[si..] matches pattern[pi..]: the
/// path is used up while only `**` segments (at least one) remain.
bool covers_from(const segs& p, size_t pi, const path_segs& s, size_t si) {
  if (si == s.size())
    return pi < p.size() && std::all_of(p.begin() + pi, p.end(), is_globstar);
  if (pi == p.size())
    return false;
  if (is_globstar(p[pi]))
    return covers_from(p, pi + 1, s, si) || covers_from(p, pi, s, si + 1);
  return segment_matches(p[pi], s[si]) && covers_from(p, pi + 1, s, si + 1);
}

} // namespace

std::vector<std::string_view> path_segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto end = path.find('/', i);
    if (end == std::string_view::npos)
      end = path.size();
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

expected<path_glob> path_glob::compile(const std::string& pattern) {
  auto bad = [&](const std::string& why) {
    return make_error("blacklist pattern '" + pattern + "' " + why);
  };
  if (pattern.empty())
    return make_error("blacklist pattern is empty");
  if (pattern[0] != '/')
    return bad("is not an absolute path (it must start with '/')");
  path_glob g;
  g.text_ = pattern;
  // "/" alone and a trailing "/" (as in "/var/cache/") end without a
  // segment; anything else empty between slashes is a typo.
  std::string body = pattern.substr(1);
  if (!body.empty() && body.back() == '/')
    body.pop_back();
  size_t i = 0;
  while (!body.empty() && i <= body.size()) {
    auto end = body.find('/', i);
    if (end == std::string::npos)
      end = body.size();
    auto segment = body.substr(i, end - i);
    if (auto why = segment_problem(segment); !why.empty())
      return bad(why);
    g.segments_.push_back(std::move(segment));
    i = end + 1;
  }
  return g;
}

bool path_glob::matches(std::string_view path) const {
  return match_from(segments_, 0, path_segments(path), 0);
}

bool path_glob::covers_subtree(std::string_view dir) const {
  return covers_from(segments_, 0, path_segments(dir), 0);
}

expected<blacklist> blacklist::compile(const std::vector<std::string>& ps) {
  blacklist b;
  for (const auto& p : ps) {
    auto g = path_glob::compile(p);
    if (!g)
      return g.err();
    b.globs_.push_back(std::move(*g));
  }
  return b;
}

bool blacklist::excludes(std::string_view path) const {
  return std::any_of(globs_.begin(), globs_.end(),
                     [&](const path_glob& g) { return g.matches(path); });
}

bool blacklist::excludes_subtree(std::string_view dir) const {
  return std::any_of(globs_.begin(), globs_.end(),
                     [&](const path_glob& g) { return g.covers_subtree(dir); });
}

void blacklist::exclude_tree(const std::string& dir) {
  // The directory is a literal path: escape what fnmatch would read as a
  // pattern ("/tmp/run[1]" must not become a bracket set).
  std::string p;
  for (char c : dir) {
    if (c == '/' && !p.empty() && p.back() == '/')
      continue;
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
      p += '\\';
    p += c;
  }
  while (p.size() > 1 && p.back() == '/')
    p.pop_back();
  auto g = path_glob::compile(p == "/" ? "/**" : p + "/**");
  PACT_ASSERT(g.has_value(), "an always-excluded directory is a plain path");
  globs_.push_back(std::move(*g));
}

} // namespace pact
