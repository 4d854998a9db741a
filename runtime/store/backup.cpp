#include "runtime/store/backup.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include "runtime/store/codec.hpp"
#include "runtime/store/lmdb_txn.hpp"

namespace pact::store {

namespace fs = std::filesystem;

namespace {

struct env_closer {
  void operator()(MDB_env* e) const {
    mdb_env_close(e);
  }
};
using env_ptr = std::unique_ptr<MDB_env, env_closer>;

/// LMDB codes as words an operator acts on (LMDB's own text never
/// reaches them, helper rules).
std::string why(int rc) {
  switch (rc) {
    case ENOSPC:
    case EDQUOT:
      return "no room left on the backup's volume";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOENT:
      return "no such file or directory";
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return "not an LMDB environment of this version";
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
      return "the store is corrupted";
    case MDB_READERS_FULL:
      return "LMDB's reader table is full (too many readers)";
    default:
      return "error " + std::to_string(rc);
  }
}

expected<env_ptr> open_read_only(const std::string& dir, unsigned extra) {
  MDB_env* raw = nullptr;
  if (int rc = mdb_env_create(&raw); rc != 0)
    return make_error("cannot open " + dir + ": " + why(rc));
  env_ptr env{raw};
  // The replica's four named databases (docs/storage.md "Layout"); map
  // size 0 takes the size the replica last wrote to the file.
  int rc = mdb_env_set_maxdbs(env.get(), 4);
  if (rc == 0)
    rc = mdb_env_open(env.get(), dir.c_str(), MDB_RDONLY | MDB_NOTLS | extra,
                      0600);
  if (rc != 0)
    return make_error("cannot open the store in " + dir + ": " + why(rc));
  return env;
}

/// Reads the indexes from the finished copy, so they describe exactly what
/// the backup holds.
status read_indexes(const std::string& dir, backup_report& r) {
  // MDB_NOLOCK: nobody else uses the copy, and no lock.mdb is left in it.
  auto env = open_read_only(dir, MDB_NOLOCK);
  if (!env)
    return env.err();
  detail::txn t;
  MDB_dbi meta = 0, log = 0;
  int rc = t.begin(env->get(), MDB_RDONLY);
  if (rc == 0)
    rc = mdb_dbi_open(t.get(), "meta", 0, &meta);
  if (rc == 0)
    rc = mdb_dbi_open(t.get(), "log", 0, &log);
  std::string_view hs;
  if (rc == 0)
    rc = detail::get(t.get(), meta, "hard_state", hs);
  if (rc != 0)
    return make_error("the copy in " + dir + " cannot be read: " + why(rc));
  if (auto h = codec::decode_hard_state(hs)) {
    r.term = h->current_term;
    r.commit_index = h->commit_index;
  }
  detail::cursor c;
  MDB_val k{}, v{};
  if (c.open(t.get(), log) == 0
      && mdb_cursor_get(c.get(), &k, &v, MDB_LAST) == 0 && k.mv_size == 8) {
    // Keys are u64 big-endian (docs/storage.md "Layout").
    auto* p = static_cast<const unsigned char*>(k.mv_data);
    for (int i = 0; i < 8; ++i)
      r.last_index = (r.last_index << 8) | p[i];
  } else {
    r.last_index = r.commit_index; // compacted log: nothing past log_start
  }
  return {};
}

status sync_path(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY));
  if (fd < 0)
    return make_error("cannot sync " + path + ": " + why(errno));
  int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  if (rc != 0)
    return make_error("cannot sync " + path + ": " + why(rc));
  return {};
}

/// DATA_DIR/dev (--dev journals): the signing secret and tokens.
status copy_dev(const std::string& data_dir, const std::string& tmp,
                backup_report& r) {
  std::error_code ec;
  fs::path src = fs::path(data_dir) / "dev";
  if (!fs::is_directory(src, ec))
    return {};
  fs::create_directory(fs::path(tmp) / "dev", ec);
  if (!ec)
    fs::permissions(fs::path(tmp) / "dev", fs::perms::owner_all, ec);
  for (auto it = fs::directory_iterator(src, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file())
      continue;
    auto to = fs::path(tmp) / "dev" / it->path().filename();
    fs::copy_file(it->path(), to, ec);
    if (ec)
      break;
    fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, ec);
    if (auto st = sync_path(to.string(), false); !st)
      return st;
    r.bytes += fs::file_size(to, ec);
    r.files.push_back("dev/" + it->path().filename().string());
  }
  if (ec)
    return make_error("cannot copy " + src.string() + ": " + why(ec.value()));
  return {};
}

status make_copy(const std::string& data_dir, const std::string& tmp,
                 backup_report& r) {
  std::error_code ec;
  if (!fs::create_directory(tmp, ec) || ec)
    return make_error("cannot create " + tmp + ": " + why(ec.value()));
  fs::permissions(tmp, fs::perms::owner_all, ec);
  std::string raft_dst = tmp + "/raft";
  fs::create_directory(raft_dst, ec);
  if (!ec)
    fs::permissions(raft_dst, fs::perms::owner_all, ec);
  if (ec)
    return make_error("cannot create " + raft_dst + ": " + why(ec.value()));
  auto env = open_read_only(data_dir + "/raft", 0);
  if (!env)
    return env.err();
  // One read transaction for the whole copy: a consistent snapshot while
  // the replica keeps writing; compaction leaves out free pages.
  int rc = mdb_env_copy2(env->get(), raft_dst.c_str(), MDB_CP_COMPACT);
  // The replica grew its map since this open (docs/storage.md "Map
  // size"): adopt the new size and copy again (the failed copy wrote
  // nothing that a new one does not replace).
  for (int tries = 0; rc == MDB_MAP_RESIZED && tries < 3; ++tries) {
    fs::remove(raft_dst + "/data.mdb", ec);
    rc = mdb_env_set_mapsize(env->get(), 0);
    if (rc == 0)
      rc = mdb_env_copy2(env->get(), raft_dst.c_str(), MDB_CP_COMPACT);
  }
  if (rc != 0)
    return make_error("cannot copy " + data_dir + "/raft to " + raft_dst + ": "
                      + why(rc));
  env->reset();
  std::string db = raft_dst + "/data.mdb";
  // mdb_env_copy2 creates the file with the umask's mode; the store holds
  // the whole journal, so only its owner reads it (as data_dir's 0600).
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write, ec);
  if (auto st = sync_path(db, false); !st)
    return st;
  r.bytes += fs::file_size(db, ec);
  r.files.push_back("raft/data.mdb");
  if (auto st = read_indexes(raft_dst, r); !st)
    return st;
  if (auto st = copy_dev(data_dir, tmp, r); !st)
    return st;
  for (const std::string& d : {raft_dst, tmp})
    if (auto st = sync_path(d, true); !st)
      return st;
  return {};
}

} // namespace

expected<backup_report> backup_data_dir(const std::string& data_dir,
                                        const std::string& dest) {
  std::error_code ec;
  if (!fs::exists(data_dir + "/raft/data.mdb", ec))
    return make_error(data_dir
                      + " holds no journal (no raft/data.mdb): check "
                        "--data-dir or journal.data_dir");
  fs::path d = fs::path(dest).lexically_normal();
  if (d.has_filename() == false)
    d = d.parent_path();
  bool dest_exists = fs::exists(d, ec);
  if (dest_exists && !fs::is_directory(d, ec))
    return make_error(dest + " exists and is not a directory");
  if (dest_exists && !fs::is_empty(d, ec))
    return make_error(dest + " is not empty: back up into a new directory");
  std::string tmp = d.string() + ".tmp";
  if (fs::exists(tmp, ec))
    return make_error(tmp
                      + " exists (left by an interrupted backup?): "
                        "remove it and try again");
  backup_report r;
  r.dest = d.string();
  auto st = make_copy(data_dir, tmp, r);
  if (st && dest_exists)
    fs::remove(d, ec); // empty, checked above
  if (st) {
    fs::rename(tmp, d, ec);
    if (ec)
      st = make_error("cannot rename " + tmp + " to " + d.string() + ": "
                      + why(ec.value()));
  }
  if (st) {
    auto parent = d.has_parent_path() ? d.parent_path().string() : ".";
    st = sync_path(parent, true);
    if (st)
      return r;
    return st.err(); // renamed: the backup is whole but maybe not durable
  }
  fs::remove_all(tmp, ec); // ours: refused above if it existed before
  return st.err();
}

} // namespace pact::store
