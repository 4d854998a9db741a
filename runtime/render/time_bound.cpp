#include "runtime/render/time_bound.hpp"

#include <optional>
#include <utility>

namespace pact::render {

namespace {

/// `n` decimal digits of `s` at `pos` as a number, or nullopt.
std::optional<int64_t> digits(const std::string& s, std::size_t pos,
                              std::size_t n) {
  if (pos + n > s.size())
    return std::nullopt;
  int64_t v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (Howard
/// Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t days_in_month(int64_t y, int64_t m) {
  static const int64_t days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

/// The offset part of an RFC 3339 time at `pos` in minutes east of UTC
/// (consuming all of `s`), or nullopt.
std::optional<int64_t> offset_minutes(const std::string& s, std::size_t pos) {
  if (pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z'))
    return 0;
  if (pos + 6 != s.size() || (s[pos] != '+' && s[pos] != '-')
      || s[pos + 3] != ':')
    return std::nullopt;
  auto h = digits(s, pos + 1, 2);
  auto m = digits(s, pos + 4, 2);
  if (!h || !m || *h > 23 || *m > 59)
    return std::nullopt;
  return (s[pos] == '-' ? -1 : 1) * (*h * 60 + *m);
}

/// An RFC 3339 time as parsed: its first millisecond and the last
/// millisecond of the precision it was written to (the whole second
/// without a fraction, .1 covers .100 .. .199; digits past the third
/// select single milliseconds). `leap` when it names a leap second (:60).
struct rfc3339_time {
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  bool leap = false;
};

std::optional<rfc3339_time> parse_rfc3339(const std::string& s) {
  auto y = digits(s, 0, 4);
  auto mo = digits(s, 5, 2);
  auto d = digits(s, 8, 2);
  auto h = digits(s, 11, 2);
  auto mi = digits(s, 14, 2);
  auto sec = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-'
      || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':'
      || s[16] != ':')
    return std::nullopt;
  // RFC 3339 §5.6 allows a second of 60 (a leap second, §5.7).
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo) || *h > 23
      || *mi > 59 || *sec > 60)
    return std::nullopt;
  std::size_t pos = 19;
  int64_t ms = 0;
  int64_t span = 1000; // Milliseconds the written precision covers.
  if (pos < s.size() && s[pos] == '.') {
    std::size_t n = 0;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++n)
      if (n < 3) {
        ms = ms * 10 + (s[pos] - '0');
        span /= 10;
      }
    if (n == 0)
      return std::nullopt;
    for (; n < 3; ++n)
      ms *= 10;
  }
  auto off = offset_minutes(s, pos);
  if (!off)
    return std::nullopt;
  int64_t secs = days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60
                 + *sec - *off * 60;
  return rfc3339_time{secs * 1000 + ms, secs * 1000 + ms + span - 1,
                      *sec == 60};
}

/// A duration such as 30m: its count and its unit in milliseconds, or
/// nullopt.
std::optional<std::pair<int64_t, int64_t>>
parse_duration(const std::string& s) {
  if (s.size() < 2 || s.size() > 12)
    return std::nullopt;
  int64_t unit = 0;
  switch (s.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60 * 1000;
      break;
    case 'h':
      unit = 3600 * 1000;
      break;
    case 'd':
      unit = 86400 * 1000;
      break;
    case 'w':
      unit = 7 * int64_t{86400} * 1000;
      break;
    default:
      return std::nullopt;
  }
  auto n = digits(s, 0, s.size() - 1);
  if (!n || *n == 0)
    return std::nullopt;
  return std::pair{*n, unit};
}

error bad_form(const std::string& flag, const std::string& text) {
  return make_error(flag + " '" + text
                    + "': expected an RFC 3339 time such as "
                      "2026-11-29T10:00:00Z, or a duration before now such "
                      "as 30m, 2h or 7d (units s, m, h, d, w)");
}

} // namespace

expected<int64_t> parse_time_bound(const std::string& flag,
                                   const std::string& text, int64_t now_unix_ms,
                                   bound_side side) {
  int64_t t = 0;
  if (auto d = parse_duration(text)) {
    // Up to 11 digits times a week's milliseconds overflows int64: compare
    // before multiplying. Durations are relative and stay exact.
    auto [n, unit] = *d;
    t = n > now_unix_ms / unit ? -1 : now_unix_ms - n * unit;
  } else if (auto r = parse_rfc3339(text)) {
    if (r->leap)
      return make_error(flag + " '" + text
                        + "': leap seconds (:60) are not accepted; entries "
                          "are stamped in Unix time, which has none (use "
                          ":59)");
    t = side == bound_side::end ? r->last_ms : r->first_ms;
  } else {
    return bad_form(flag, text);
  }
  // 0 means "no bound" on the wire: an end bound at the epoch itself would
  // turn into none, and no entry is stamped there.
  if (t < 0 || (t == 0 && side == bound_side::end))
    return make_error(flag + " '" + text
                      + "': before the journal's range (entries are "
                        "stamped in Unix time, after 1970-01-01T00:00:00Z)");
  return t;
}

} // namespace pact::render
