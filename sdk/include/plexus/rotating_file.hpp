// RotatingFile: appends to a file that never grows past `maxSize` bytes; when the
// next write would, the file becomes `<path>.1` (`.1` becomes `.2`, and so on),
// the oldest beyond `maxFiles` kept files is removed, and a fresh `<path>` is
// started. With maxFiles 0 the file is emptied instead. A write that fits in an
// empty file is kept whole in the next one; a longer one is split across files.
//
// Used by the daemons' --log_dir files (logging.hpp) and by the
// container_logger_rotate module's logger process. Not thread-safe: one writer,
// or a lock around it. Blocking (write, rename); errors name the file.
//
//   auto file = plexus::RotatingFile::open("/var/log/x.log", 10 << 20, 5);
//   if (file) (void)file->write("a line\n");
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <plexus/error.hpp>
#include <plexus/export.hpp>

namespace plexus {

class PLEXUS_API RotatingFile {
 public:
  // Opens (appending to) `path`; its current size counts against maxSize.
  [[nodiscard]] static Result<RotatingFile> open(std::string path, std::uint64_t maxSize,
                                                 std::uint32_t maxFiles);
  RotatingFile(RotatingFile&& other) noexcept;
  RotatingFile& operator=(RotatingFile&&) = delete;
  ~RotatingFile();

  [[nodiscard]] Result<void> write(std::string_view bytes);

  std::uint64_t size() const { return size_; }

 private:
  RotatingFile(std::string path, std::uint64_t maxSize, std::uint32_t maxFiles, int fd,
               std::uint64_t size);
  [[nodiscard]] Result<void> rotate();

  std::string path_;
  std::uint64_t maxSize_;
  std::uint32_t maxFiles_;
  int fd_;
  std::uint64_t size_;
};

}  // namespace plexus
