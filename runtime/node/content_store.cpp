#include "runtime/node/content_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pact::node {

namespace {

class memory_store final : public content_store {
public:
  std::optional<content_ref> put(const std::string& content) override {
    content_ref ref{blob_.size(), static_cast<uint32_t>(content.size())};
    blob_ += content;
    return ref;
  }

  std::optional<std::string> get(content_ref ref) const override {
    if (ref.offset + ref.size > blob_.size())
      return std::nullopt;
    return blob_.substr(ref.offset, ref.size);
  }

  std::optional<std::vector<content_ref>>
  compact(const std::vector<content_ref>& live) override {
    std::string next;
    std::vector<content_ref> out;
    for (const auto& r : live) {
      out.push_back({next.size(), r.size});
      next.append(blob_, r.offset, r.size);
    }
    blob_ = std::move(next);
    dead_bytes_ = 0;
    return out;
  }

private:
  std::string blob_;
};

/// Writes all of `data` at `offset`; false on an error (errno set).
bool write_at(int fd, const char* data, size_t size, uint64_t offset) {
  while (size > 0) {
    auto n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

bool read_at(int fd, char* data, size_t size, uint64_t offset) {
  while (size > 0) {
    auto n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false; // an error, or the file is shorter than the ref
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

int open_truncated(const std::string& path) {
  return ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

class file_store final : public content_store {
public:
  file_store(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
  }
  ~file_store() override {
    ::close(fd_);
  }
  file_store(const file_store&) = delete;
  file_store& operator=(const file_store&) = delete;

  std::optional<content_ref> put(const std::string& content) override {
    if (!write_at(fd_, content.data(), content.size(), end_))
      return std::nullopt; // the bytes past end_ are overwritten next time
    content_ref ref{end_, static_cast<uint32_t>(content.size())};
    end_ += content.size();
    return ref;
  }

  std::optional<std::string> get(content_ref ref) const override {
    std::string out(ref.size, '\0');
    if (!read_at(fd_, out.data(), out.size(), ref.offset))
      return std::nullopt;
    return out;
  }

  std::optional<std::vector<content_ref>>
  compact(const std::vector<content_ref>& live) override {
    auto tmp = path_ + ".compact";
    int fd = open_truncated(tmp);
    if (fd < 0)
      return std::nullopt;
    std::vector<content_ref> out;
    uint64_t end = 0;
    for (const auto& r : live) {
      auto bytes = get(r);
      if (!bytes || !write_at(fd, bytes->data(), bytes->size(), end)) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return std::nullopt;
      }
      out.push_back({end, r.size});
      end += r.size;
    }
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return std::nullopt;
    }
    ::close(fd_);
    fd_ = fd;
    end_ = end;
    dead_bytes_ = 0;
    return out;
  }

private:
  std::string path_;
  int fd_;
  uint64_t end_ = 0;
};

} // namespace

std::unique_ptr<content_store> memory_content_store() {
  return std::make_unique<memory_store>();
}

expected<std::unique_ptr<content_store>>
file_content_store(const std::string& path) {
  int fd = open_truncated(path);
  if (fd < 0)
    return make_error("cannot create the drift baseline's store '" + path
                      + "': " + std::strerror(errno));
  return std::unique_ptr<content_store>(new file_store(path, fd));
}

} // namespace pact::node
