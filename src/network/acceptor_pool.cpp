#include "acceptor_pool.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

#include "address.hpp"
#include "socket_io.hpp"

namespace aarm::network::detail {
namespace {

constexpr uint64_t kStopToken = UINT64_MAX;
// A pause after accept(2) fails for want of descriptors, so the threads do not spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

bool OutOfResources(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace

AcceptorPool::AcceptorPool(size_t max_threads, std::chrono::milliseconds idle_timeout)
    : idle_timeout_(idle_timeout), threads_(max_threads, idle_timeout) {}

AcceptorPool::~AcceptorPool() { Stop(); }

Result<void> AcceptorPool::Start(std::vector<Listener> listeners, int stop_fd) {
  listeners_ = std::move(listeners);
  stop_fd_ = stop_fd;
  epoll_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return FailErrno("cannot create the service's epoll set");
  for (size_t i = 0; i < listeners_.size(); ++i) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.u64 = i;
    if (::epoll_ctl(epoll_.Get(), EPOLL_CTL_ADD, listeners_[i].fd, &event) != 0) {
      return FailErrno("cannot watch a listening socket");
    }
  }
  // Level-triggered and never disarmed: once readable, it wakes every waiter in turn.
  epoll_event stop{};
  stop.events = EPOLLIN;
  stop.data.u64 = kStopToken;
  if (::epoll_ctl(epoll_.Get(), EPOLL_CTL_ADD, stop_fd_, &stop) != 0) {
    return FailErrno("cannot watch the service's stop signal");
  }
  std::lock_guard lock(mutex_);
  ++waiting_;
  if (!threads_.Run([this] { AcceptAndServe(); })) {
    --waiting_;
    return Fail("cannot start the service's first thread");
  }
  return {};
}

void AcceptorPool::Stop() { threads_.Stop(); }

// Counted in `waiting_` from the moment it is started, so that no other thread starts one more
// before it gets to wait.
void AcceptorPool::AcceptAndServe() {
  const int timeout_ms = static_cast<int>(idle_timeout_.count());
  for (bool counted = true;; counted = false) {
    if (!counted) {
      std::lock_guard lock(mutex_);
      ++waiting_;
    }
    epoll_event event{};
    const int ready = ::epoll_wait(epoll_.Get(), &event, 1, timeout_ms);
    std::unique_lock lock(mutex_);
    --waiting_;
    if (ready < 0 && errno == EINTR) continue;
    // Idle: ends if another thread still waits (one serving a long connection does not count).
    const bool idle = ready == 0 && waiting_ > 0;
    if (ready < 0 || idle || (ready == 1 && event.data.u64 == kStopToken)) return;
    if (ready == 0) continue;
    lock.unlock();

    const size_t index = event.data.u64;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    UniqueFd connection(::accept4(listeners_[index].fd, reinterpret_cast<sockaddr*>(&peer),
                                  &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
    const int accept_errno = errno;
    if (!connection && OutOfResources(accept_errno)) {
      SleepUnlessStopped(kAcceptBackoff, stop_fd_);
    }
    Rearm(index);
    if (!connection) continue;
    uint16_t port = 0;
    AddressOf(peer, &port);
    KeepOneWaiting();
    listeners_[index].serve(std::move(connection), port);
  }
}

void AcceptorPool::Rearm(size_t index) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLONESHOT;
  event.data.u64 = index;
  ::epoll_ctl(epoll_.Get(), EPOLL_CTL_MOD, listeners_[index].fd, &event);
}

void AcceptorPool::KeepOneWaiting() {
  std::lock_guard lock(mutex_);
  if (waiting_ > 0) return;
  ++waiting_;
  if (!threads_.Run([this] { AcceptAndServe(); })) --waiting_;  // all busy: the backlog waits
}

}  // namespace aarm::network::detail
