#include "runtime/node/diag_filter.hpp"

#include <re2/re2.h>

#include "runtime/common/terminal_text.hpp"

namespace pact::node {

namespace {

/// What is wrong with a pattern RE2 refused, in pact's words (RE2's own
/// messages stay in the library).
std::string what_is_wrong(const re2::RE2& re) {
  switch (re.error_code()) {
    case re2::RE2::ErrorBadEscape:
      return "a bad escape sequence";
    case re2::RE2::ErrorBadCharClass:
      return "a bad character class";
    case re2::RE2::ErrorBadCharRange:
      return "a bad character range";
    case re2::RE2::ErrorMissingBracket:
      return "a '[' without its ']'";
    case re2::RE2::ErrorMissingParen:
      return "a '(' without its ')'";
    case re2::RE2::ErrorUnexpectedParen:
      return "a ')' without its '('";
    case re2::RE2::ErrorTrailingBackslash:
      return "a '\\' at its end";
    case re2::RE2::ErrorRepeatArgument:
      return "a repetition (*, +, ?) with nothing to repeat";
    case re2::RE2::ErrorRepeatSize:
      return "a repetition count over 1000 (nested counts multiply) or "
             "out of order";
    case re2::RE2::ErrorRepeatOp:
      return "a repetition of a repetition";
    case re2::RE2::ErrorBadPerlOp:
      return "a construct RE2 does not have (lookaround, backreference)";
    case re2::RE2::ErrorBadUTF8:
      return "bytes that are not UTF-8";
    case re2::RE2::ErrorBadNamedCapture:
      return "a bad named group";
    case re2::RE2::ErrorPatternTooLarge:
      return "a compiled size over the limit (fewer or smaller repetitions)";
    default:
      return "a form RE2 does not accept";
  }
}

} // namespace

std::optional<diag_source> parse_diag_source(std::string_view text) {
  if (text.empty() || text == "all")
    return diag_source::all;
  if (text == "dmesg")
    return diag_source::dmesg;
  if (text == "syslog")
    return diag_source::syslog;
  if (text == "service")
    return diag_source::service;
  return std::nullopt;
}

const char* diag_source_name(diag_source s) {
  switch (s) {
    case diag_source::dmesg:
      return "dmesg";
    case diag_source::syslog:
      return "syslog";
    case diag_source::service:
      return "service";
    case diag_source::all:
      break;
  }
  return "all";
}

status check_service_name(const std::string& name) {
  static const std::string allowed = "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789._@:+-";
  // No '/' is allowed, and a name may not start with '.': neither "a/b",
  // "../x" nor ".." can name a path. ".." inside ("a..b") is refused too,
  // so that no reader ever has to think about it.
  if (name.empty() || name.size() > 255
      || name.find_first_not_of(allowed) != std::string::npos || name[0] == '.'
      || name[0] == '-' || name.find("..") != std::string::npos)
    return make_error("'" + terminal_safe(name.substr(0, 80))
                      + "' is not a service name (1-255 of [A-Za-z0-9._@:+-], "
                        "not starting with '.' or '-', no '..')");
  return {};
}

expected<line_filter> line_filter::compile(const std::string& pattern) {
  line_filter f;
  if (pattern.empty())
    return f;
  auto shown = "'" + terminal_safe(pattern.substr(0, 80))
               + (pattern.size() > 80 ? "...'" : "'");
  if (pattern.size() > diag_max_pattern_bytes)
    return make_error("--grep: the pattern is " + std::to_string(pattern.size())
                      + " bytes long; at most "
                      + std::to_string(diag_max_pattern_bytes)
                      + " are accepted");
  re2::RE2::Options opts;
  opts.set_log_errors(false); // the caller reports it, in pact's words
  auto re = std::make_shared<re2::RE2>(pattern, opts);
  if (!re->ok()) {
    auto where = re->error_arg().empty()
                   ? std::string()
                   : " at '" + terminal_safe(re->error_arg().substr(0, 40))
                       + "'";
    return make_error("--grep: " + shown + " is not an RE2 pattern: it has "
                      + what_is_wrong(*re) + where);
  }
  f.re_ = std::move(re);
  return f;
}

bool line_filter::matches(std::string_view line) const {
  if (!re_)
    return true;
  return re2::RE2::PartialMatch(re2::StringPiece(line.data(), line.size()),
                                *re_);
}

expected<diag_query> check_diag_query(uint32_t lines, const std::string& source,
                                      const std::string& service,
                                      const std::string& grep) {
  diag_query q;
  if (lines > diag_max_lines)
    return make_error("--lines " + std::to_string(lines) + " is outside 1.."
                      + std::to_string(diag_max_lines));
  q.lines = lines == 0 ? diag_default_lines : lines;
  auto s = parse_diag_source(source);
  if (!s)
    return make_error("--source '" + terminal_safe(source.substr(0, 40))
                      + "' is not one of dmesg, syslog, service, all");
  q.source = *s;
  if (!service.empty()) {
    if (auto st = check_service_name(service); !st)
      return make_error("--service: " + st.err().message);
    if (q.source == diag_source::dmesg || q.source == diag_source::syslog)
      return make_error("--service is for --source service or all, not "
                        + std::string(diag_source_name(q.source)));
    q.service = service;
  }
  auto f = line_filter::compile(grep);
  if (!f)
    return f.err();
  q.filter = std::move(*f);
  return q;
}

void line_tail::push(std::string line) {
  if (keep_ == 0) {
    truncated_ = true;
    return;
  }
  if (line.size() > diag_max_line_bytes)
    line.resize(diag_max_line_bytes);
  if (lines_.size() == keep_) {
    lines_.pop_front();
    truncated_ = true;
  }
  lines_.push_back(std::move(line));
}

std::vector<std::string> line_tail::take() {
  std::vector<std::string> out(std::make_move_iterator(lines_.begin()),
                               std::make_move_iterator(lines_.end()));
  lines_.clear();
  return out;
}

std::pair<std::vector<std::string>, bool>
filter_tail(const std::vector<std::string>& lines, const line_filter& f,
            size_t keep) {
  line_tail t(keep);
  for (const auto& l : lines)
    if (f.matches(l))
      t.push(l);
  bool cut = t.truncated();
  return {t.take(), cut};
}

} // namespace pact::node
