#include "socket_io.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "address.hpp"

namespace aarm::network::detail {
namespace {

int PollTimeout(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

}  // namespace

WaitResult WaitFor(int fd, short events, Clock::time_point deadline, int stop_fd) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    const int n = ::poll(fds, 2, PollTimeout(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (fds[1].revents) return WaitResult::kStopped;
    if (n > 0 && fds[0].revents) return WaitResult::kReady;
    if (Clock::now() >= deadline) return WaitResult::kTimeout;
  }
}

bool SleepUnlessStopped(Clock::duration duration, int stop_fd) {
  const Clock::time_point deadline = Clock::now() + duration;
  for (;;) {
    pollfd fd = {stop_fd, POLLIN, 0};
    const int n = ::poll(&fd, 1, PollTimeout(deadline));
    if (n > 0) return true;
    if (Clock::now() >= deadline) return false;
  }
}

Result<size_t> ReadSome(int fd, std::span<char> buffer, Clock::time_point deadline, int stop_fd) {
  for (;;) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return FailErrno("cannot read from the peer");
    switch (WaitFor(fd, POLLIN, deadline, stop_fd)) {
      case WaitResult::kReady: break;
      case WaitResult::kTimeout: return FailErrno("the peer sent nothing in time", ETIMEDOUT);
      case WaitResult::kStopped: return FailErrno("the network service stopped", kStoppedErrno);
    }
  }
}

Result<void> WriteAll(int fd, std::string_view data, Clock::time_point deadline, int stop_fd) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return FailErrno("cannot write to the peer");
    }
    switch (WaitFor(fd, POLLOUT, deadline, stop_fd)) {
      case WaitResult::kReady: break;
      case WaitResult::kTimeout: return FailErrno("the peer took nothing in time", ETIMEDOUT);
      case WaitResult::kStopped: return FailErrno("the network service stopped", kStoppedErrno);
    }
  }
  return {};
}

Result<UniqueFd> Dial(const std::string& address, uint16_t port, Clock::time_point deadline,
                      int stop_fd) {
  sockaddr_storage storage;
  socklen_t length = 0;
  if (!MakeSockaddr(address, port, storage, length)) {
    return FailErrno("not a numeric address: " + address, EINVAL);
  }
  const std::string where = JoinHostPort(address, port);
  UniqueFd fd(::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return FailErrno("cannot create a socket for " + where);
  if (::connect(fd.Get(), reinterpret_cast<const sockaddr*>(&storage), length) < 0) {
    if (errno != EINPROGRESS && errno != EINTR) return FailErrno("cannot connect to " + where);
    switch (WaitFor(fd.Get(), POLLOUT, deadline, stop_fd)) {
      case WaitResult::kReady: break;
      case WaitResult::kTimeout:
        return FailErrno("cannot connect to " + where, ETIMEDOUT);
      case WaitResult::kStopped:
        return FailErrno("the network service stopped", kStoppedErrno);
    }
    int err = 0;
    socklen_t err_length = sizeof(err);
    if (::getsockopt(fd.Get(), SOL_SOCKET, SO_ERROR, &err, &err_length) < 0) err = errno;
    if (err != 0) return FailErrno("cannot connect to " + where, err);
  }
  SetNoDelay(fd.Get());
  return fd;
}

void SetNoDelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Result<void> PrepareListener(const UniqueFd& fd, const char* what) {
  if (!fd) return {};
  const int flags = ::fcntl(fd.Get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.Get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return FailErrno(std::string("cannot set up the ") + what + " socket");
  }
  int type = 0;
  socklen_t length = sizeof(type);
  if (::getsockopt(fd.Get(), SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) {
    return {};
  }
  SetNoDelay(fd.Get());
  static constexpr char kReno[] = "reno";
  ::setsockopt(fd.Get(), IPPROTO_TCP, TCP_CONGESTION, kReno, sizeof(kReno) - 1);
  return {};
}

void CloseWithReset(UniqueFd fd) {
  if (!fd) return;
  const linger reset = {1, 0};
  ::setsockopt(fd.Get(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
}

Result<Signal> Signal::Create() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) return FailErrno("cannot create an eventfd");
  return Signal(std::move(fd));
}

void Signal::Raise() const {
  raised_->store(true, std::memory_order_release);
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_.Get(), &one, sizeof(one));
}


}  // namespace aarm::network::detail
