#include "runtime/node/file_baseline.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

#include <dtl/dtl.hpp>
#include <openssl/evp.h>

#include "runtime/journal/journal_export.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/node/apply_backends.hpp"
#include "runtime/node/root_fs.hpp"

namespace pact::node {

namespace {

error read_error(const std::string& path, int err) {
  return make_error("cannot read '" + path + "': " + std::strerror(err));
}

struct fd_closer {
  int fd;
  ~fd_closer() {
    ::close(fd);
  }
};

/// Streams the file: content while it fits, and its SHA-256 throughout.
/// `at`: the directory `path` is relative to (AT_FDCWD: the process's).
expected<item_value> read_regular(int at, const std::string& name,
                                  const std::string& path, size_t keep) {
  int fd = ::openat(at, name.c_str(),
                    O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ELOOP
             ? expected<item_value>(item_value{})
             : read_error(path, errno);
  fd_closer closer{fd};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(),
                                                             EVP_MD_CTX_free);
  PACT_ASSERT(md && EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) == 1,
              "OpenSSL provides SHA-256");
  std::string content;
  size_t total = 0;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return read_error(path, errno);
    if (n == 0)
      break;
    auto len = static_cast<size_t>(n);
    EVP_DigestUpdate(md.get(), buf.data(), len);
    if (total + len <= keep)
      content.append(buf.data(), len);
    total += len;
  }
  if (total <= keep)
    return item_value::of(std::move(content));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_DigestFinal_ex(md.get(), digest, &digest_len);
  return item_value::of(sha256_prefix
                        + journal::to_hex(std::string(
                          reinterpret_cast<char*>(digest), digest_len)));
}

bool is_hash(const item_value& v) {
  return v.value.rfind(sha256_prefix, 0) == 0;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

} // namespace

namespace {

/// `name` in directory `at` (AT_FDCWD: a path of the process's), never
/// followed; `shown` names it in errors.
expected<item_value> read_at(int at, const std::string& name,
                             const std::string& shown, size_t keep) {
  struct stat st {};
  if (::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT || errno == ENOTDIR
             ? expected<item_value>(item_value{})
             : read_error(shown, errno);
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> target(4096);
    auto n = ::readlinkat(at, name.c_str(), target.data(), target.size());
    if (n < 0)
      return errno == ENOENT ? expected<item_value>(item_value{})
                             : read_error(shown, errno);
    return item_value::of(symlink_prefix
                          + std::string(target.data(), static_cast<size_t>(n)));
  }
  if (!S_ISREG(st.st_mode))
    return item_value{};
  return read_regular(at, name, shown, keep);
}

} // namespace

expected<item_value> read_file_value(const std::string& host_path,
                                     size_t keep_content_up_to) {
  return read_at(AT_FDCWD, host_path, host_path, keep_content_up_to);
}

expected<node_file> read_node_file(const std::string& root,
                                   const std::string& node_path,
                                   size_t keep_content_up_to) {
  auto parent = find_parent_in_root(root, node_path);
  if (!parent)
    return parent.err();
  node_file out;
  if (parent->dir.get() < 0)
    return out; // a directory on the way is missing: so is the file
  out.resolved = parent->node_path();
  auto v = read_at(parent->dir.get(), parent->name,
                   under_root(root, out.resolved), keep_content_up_to);
  if (!v)
    return v.err();
  out.value = std::move(*v);
  return out;
}

bool is_text_value(const item_value& value) {
  return value.present && !is_hash(value)
         && value.value.rfind(symlink_prefix, 0) != 0
         && value.value.find('\0') == std::string::npos;
}

namespace {

/// A header label as git writes one: as is when plain, else in double
/// quotes with C escapes, so that a file name holding a newline cannot end
/// the header line and read as diff lines of its own.
std::string header_label(const std::string& label) {
  bool plain = std::all_of(label.begin(), label.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f && c != '"' && c != '\\';
  });
  if (plain)
    return label;
  std::string out = "\"";
  for (char c : label) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\%03o", u);
          out += buf;
        } else {
          out += c; // UTF-8 and the rest are made safe where it is shown
        }
    }
  }
  return out + "\"";
}

} // namespace

std::string unified_diff(const item_value& from, const item_value& to,
                         const std::string& label_from,
                         const std::string& label_to, size_t max_bytes) {
  // An absent side diffs as empty text (a new or deleted file), as diff -N.
  auto text = [](const item_value& v) {
    return v.present ? v.value : std::string();
  };
  auto usable = [&](const item_value& v) {
    return !v.present || (is_text_value(v) && v.value.size() <= max_bytes);
  };
  if (!usable(from) || !usable(to) || text(from) == text(to))
    return {};
  auto a = lines_of(text(from));
  auto b = lines_of(text(to));
  dtl::Diff<std::string, std::vector<std::string>> d(a, b);
  d.onHuge();
  d.compose();
  d.composeUnifiedHunks();
  std::ostringstream out;
  out << "--- " << header_label(label_from) << "\n+++ "
      << header_label(label_to) << "\n";
  d.printUnifiedFormat(out);
  return out.str();
}

namespace {

using digest_t = std::array<unsigned char, 32>;

/// The SHA-256 a value stands for: parsed from a "sha256:HEX" value, else
/// computed over the value (a file's content or a symlink's value), so a
/// file kept as content and the same file read as a hash agree.
std::optional<digest_t> digest_of(const item_value& v) {
  digest_t d{};
  if (is_hash(v)) {
    auto raw = journal::hash_from_hex(
      std::string_view(v.value).substr(std::strlen(sha256_prefix)));
    if (!raw)
      return std::nullopt;
    std::memcpy(d.data(), raw->data(), d.size());
    return d;
  }
  auto h = journal::sha256(v.value);
  std::memcpy(d.data(), h.data(), d.size());
  return d;
}

} // namespace

file_baseline::file_baseline(baseline_limits l,
                             std::shared_ptr<content_store> contents)
  : limits_(l),
    contents_(contents
                ? std::move(contents)
                : std::shared_ptr<content_store>(memory_content_store())) {
}

size_t file_baseline::content_allowance() const {
  return content_bytes_ >= limits_.max_total_bytes ? 0 : limits_.max_file_bytes;
}

void file_baseline::record(const std::string& node_path,
                           const item_value& value) {
  auto it = files_.find(node_path);
  if (it != files_.end()) {
    if (it->second.kept) {
      content_bytes_ -= it->second.ref.size;
      contents_->release(it->second.ref);
    }
    files_.erase(it);
    maybe_compact();
  }
  if (!value.present)
    return;
  auto digest = digest_of(value);
  if (!digest)
    return; // a malformed hash names no content: nothing to compare with
  entry e;
  e.digest = *digest;
  if (!is_hash(value) && value.value.size() <= content_allowance())
    if (auto ref = contents_->put(value.value)) {
      e.kept = true;
      e.ref = *ref;
      content_bytes_ += ref->size;
    }
  files_.emplace(node_path, e);
}

void file_baseline::maybe_compact() {
  // A file committed or restored again and again leaves its old contents
  // behind; bound the store to about twice what it holds (and leave small
  // stores alone: a rewrite costs more than the bytes).
  constexpr uint64_t min_dead = uint64_t{1} << 20;
  auto dead = contents_->dead_bytes();
  if (dead < min_dead || dead < content_bytes_)
    return;
  std::vector<content_ref> live;
  for (const auto& [path, e] : files_)
    if (e.kept)
      live.push_back(e.ref);
  auto moved = contents_->compact(live);
  if (!moved)
    return; // the old store still serves; try again on the next release
  size_t i = 0;
  for (auto& [path, e] : files_)
    if (e.kept)
      e.ref = (*moved)[i++];
}

std::optional<file_baseline::entry>
file_baseline::entry_of(const std::string& node_path) const {
  auto it = files_.find(node_path);
  if (it == files_.end())
    return std::nullopt;
  return it->second;
}

std::optional<item_value>
file_baseline::find(const std::string& node_path) const {
  auto e = entry_of(node_path);
  if (!e)
    return std::nullopt;
  if (e->kept)
    if (auto content = contents_->get(e->ref))
      return item_value::of(std::move(*content));
  std::string raw(reinterpret_cast<const char*>(e->digest.data()),
                  e->digest.size());
  return item_value::of(sha256_prefix + journal::to_hex(raw));
}

bool file_baseline::holds(const std::string& node_path,
                          const item_value& actual) const {
  auto e = entry_of(node_path);
  if (!e || !actual.present)
    return false;
  auto d = digest_of(actual);
  return d && *d == e->digest;
}

std::vector<std::string>
file_baseline::paths_under(const std::string& dir) const {
  std::string prefix = dir == "/" ? "/" : dir + "/";
  std::vector<std::string> out;
  for (auto it = files_.lower_bound(dir); it != files_.end(); ++it) {
    if (it->first != dir && it->first.compare(0, prefix.size(), prefix) != 0)
      break;
    out.push_back(it->first);
  }
  return out;
}

bool file_baseline::restorable(const std::string& node_path) const {
  auto e = entry_of(node_path);
  return e && e->kept;
}

} // namespace pact::node
