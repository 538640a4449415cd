#include "aarm/base/unique_fd.hpp"

#include <unistd.h>

#include <cerrno>

namespace aarm {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0 && fd_ != fd) {
    int saved = errno;
    ::close(fd_);
    errno = saved;
  }
  fd_ = fd;
}

}  // namespace aarm
