// `pact log --export FILE [--since T] [--until T] [--stale]`: the journal
// as a verifiable archive (runtime/journal/journal_export.hpp), paged so
// that a journal of millions of entries needs memory for one page only,
// written through a staged file so that a failed or interrupted (SIGINT,
// SIGTERM, SIGHUP) export leaves nothing. And
// `pact log --verify --file FILE`: the offline check of such a file.

#include "cli/log_export.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/interrupt_cleanup.hpp"
#include "runtime/common/files.hpp"
#include "runtime/common/staged_file.hpp"
#include "runtime/journal/journal_export.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::cli {

namespace {

/// Entries asked for per page (the journal also bounds a page's bytes).
constexpr uint32_t page_entries = 1000;

/// What a finished export or verification reports; `stale` when a page
/// came from a replica's last applied state (the text form's warning is
/// on stderr already, from open_session).
void print_summary(const context& ctx, const char* verb,
                   const std::string& file, const journal::export_summary& s,
                   bool stale = false) {
  if (ctx.json) {
    nlohmann::json j{{"file", file},
                     {"entries", s.entries},
                     {"first_sequence", s.first_sequence},
                     {"last_sequence", s.last_sequence},
                     {"anchor_hash", journal::to_hex(s.anchor_hash)},
                     {"last_hash", journal::to_hex(s.last_hash)}};
    if (stale)
      j["stale"] = true;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << verb << " " << file << ": " << s.entries << " entries, "
            << "sequences " << s.first_sequence << ".." << s.last_sequence
            << ", last hash " << journal::to_hex(s.last_hash) << "\n";
}

/// Writes one line to the file and checks it as a verifier reading the
/// file later would, so that a chain that does not verify is never
/// archived.
status put_line(files::staged_file& f, journal::export_verifier& check,
                const std::string& line) {
  if (!check.feed(line))
    return make_error("log --export: the journal's chain does not verify at "
                      + check.problem()->message() + "; nothing written");
  return f.write(line + "\n");
}

/// What write_pages wrote, and whether any page was possibly stale.
struct written {
  journal::export_summary summary;
  bool stale = false;
};

/// Fetches the pages and writes them; the summary of what was written.
expected<written> write_pages(journal_session& s, files::staged_file& f,
                              const log_window& w, bool stale) {
  journal::export_verifier check;
  client::log_page_query q;
  q.limit = page_entries;
  q.stale = stale;
  q.since_unix_ms = w.since_unix_ms;
  q.until_unix_ms = w.until_unix_ms;
  protocol::ConfigEntry last;
  uint64_t count = 0;
  bool any_stale = false;
  for (bool more = true; more;) {
    auto page = s.log_page(q);
    if (!page)
      return page.err();
    any_stale = any_stale || page->stale();
    for (const auto& e : page->entries()) {
      if (count == 0)
        if (auto st = put_line(f, check, journal::export_header_line(e)); !st)
          return st.err();
      if (auto st = put_line(f, check, journal::export_entry_line(e)); !st)
        return st.err();
      last = e;
      ++count;
    }
    more = page->more() && page->entries_size() > 0;
    // Later pages continue the run: only its start depends on --since.
    q.since_unix_ms = 0;
    q.from_sequence = last.sequence() + 1;
  }
  if (count == 0)
    return make_error("log --export: no entries to export"
                      + std::string(w.since_unix_ms || w.until_unix_ms
                                      ? " in that time window"
                                      : "")
                      + "; nothing written");
  if (auto st = put_line(f, check, journal::export_trailer_line(count, last));
      !st)
    return st.err();
  check.finish();
  return written{check.summary(), any_stale};
}

/// Refuses an export path that is a symbolic link, dangling or not,
/// before anything is fetched: link(2) would not follow it and fail only
/// at the end (staged_file's "appeared while exporting").
status not_a_symlink(const std::string& file) {
  struct stat st;
  if (::lstat(file.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    return make_error(file
                      + ": exists as a symbolic link; an export never "
                        "replaces a file (remove it or choose another name)");
  return {};
}

} // namespace

int run_log_export(context& ctx, const log_window& w) {
  const auto file = ctx.vm["export"].as<std::string>();
  if (auto st = not_a_symlink(file); !st)
    return report(st.err());
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  // Declared before the staged file so that it is disarmed only after
  // ~staged_file has removed FILE.tmp.
  unlink_on_signal interrupted;
  auto f = files::staged_file::create(file);
  if (!f)
    return report(f.err());
  // FILE.tmp is the staged file's name for its pieces (staged_file.hpp).
  interrupted.arm(file + ".tmp");
  auto out = write_pages(**s, **f, w, ctx.vm.count("stale") > 0);
  if (!out)
    return report(out.err()); // ~staged_file removes FILE.tmp
  if (auto st = (*f)->commit(); !st)
    return report(st.err());
  print_summary(ctx, "exported to", file, out->summary, out->stale);
  return 0;
}

int run_log_verify_file(context& ctx) {
  // check_log_flags (log_command.cpp) refused every other flag.
  const auto file = ctx.vm["file"].as<std::string>();
  if (auto st = files::not_a_directory(file); !st)
    return report(st.err());
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return report(make_error(file + ": cannot open: " + std::strerror(errno)));
  journal::export_verdict v;
  try {
    v = journal::verify_export(in);
  } catch (const std::ios_base::failure&) {
    // libstdc++'s filebuf throws on a failed read(2) whatever the
    // stream's exception mask (an I/O error on the medium).
    return report(make_error(file + ": read error"));
  }
  if (in.bad())
    return report(make_error(file + ": read error"));
  if (v.problem)
    return report(
      make_error(file + ": does not verify: " + v.problem->message()));
  print_summary(ctx, "verified", file, v.summary);
  return 0;
}

} // namespace pact::cli
