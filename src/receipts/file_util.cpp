#include "file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "aarm/base/unique_fd.hpp"

namespace aarm::receipts::detail {

Result<void> MakeDirectories(const std::string& dir, mode_t mode) {
  if (dir.empty()) return {};
  struct stat status {};
  if (stat(dir.c_str(), &status) == 0) {
    if (S_ISDIR(status.st_mode)) return {};
    return Fail(dir + " exists and is not a directory");
  }
  if (errno != ENOENT) return FailErrno("cannot access " + dir);
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto parent = MakeDirectories(dir.substr(0, slash), mode); !parent) return parent;
  }
  if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return FailErrno("cannot create directory " + dir);
  }
  return {};
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return FailErrno("cannot read " + path);
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd.Get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("cannot read " + path);
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > max_bytes)
      return Fail(path + " is too large (more than " + std::to_string(max_bytes) + " bytes)");
  }
  return content;
}

Result<void> WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("cannot write " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace aarm::receipts::detail
