#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include <plexus/rotating_file.hpp>

namespace plexus {

namespace {

Error systemError(const std::string& what, const std::string& path) {
  return Error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<RotatingFile> RotatingFile::open(std::string path, std::uint64_t maxSize,
                                        std::uint32_t maxFiles) {
  if (maxSize == 0) return fail("the largest size of " + path + " must be positive");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return fail(systemError("cannot open", path));
  struct stat st {};
  std::uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return RotatingFile(std::move(path), maxSize, maxFiles, fd, size);
}

RotatingFile::RotatingFile(std::string path, std::uint64_t maxSize, std::uint32_t maxFiles, int fd,
                           std::uint64_t size)
    : path_(std::move(path)), maxSize_(maxSize), maxFiles_(maxFiles), fd_(fd), size_(size) {}

RotatingFile::RotatingFile(RotatingFile&& other) noexcept
    : path_(std::move(other.path_)),
      maxSize_(other.maxSize_),
      maxFiles_(other.maxFiles_),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_) {}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> RotatingFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    if (size_ >= maxSize_) PLEXUS_TRY(rotate());
    std::size_t room = static_cast<std::size_t>(maxSize_ - size_);
    std::size_t chunk = std::min(room, bytes.size());
    // Keep a line whole in the next file when it fits there and not here.
    if (chunk < bytes.size() && size_ > 0 && bytes.size() <= maxSize_) {
      PLEXUS_TRY(rotate());
      continue;
    }
    ssize_t written = ::write(fd_, bytes.data(), chunk);
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(systemError("cannot write", path_));
    }
    size_ += static_cast<std::uint64_t>(written);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

Result<void> RotatingFile::rotate() {
  if (maxFiles_ == 0) {
    if (::ftruncate(fd_, 0) != 0) return fail(systemError("cannot truncate", path_));
    size_ = 0;
    return {};
  }
  auto numbered = [this](std::uint32_t n) { return path_ + "." + std::to_string(n); };
  ::unlink(numbered(maxFiles_).c_str());
  for (std::uint32_t n = maxFiles_ - 1; n >= 1; --n)
    ::rename(numbered(n).c_str(), numbered(n + 1).c_str());  // missing ones are skipped
  if (::rename(path_.c_str(), numbered(1).c_str()) != 0)
    return fail(systemError("cannot rotate", path_));
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return fail(systemError("cannot open", path_));
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
  return {};
}

}  // namespace plexus
