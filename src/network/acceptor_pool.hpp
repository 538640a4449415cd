// The threads that take the agent's connections off the service's listening sockets. Each one
// waiting in the same epoll set, the kernel wakes one per connection (its waiters are
// exclusive, and each listening socket is armed one-shot until that thread has accepted), and
// the thread that accepted serves the connection to its close: a connection costs one wake-up,
// not a listening thread's and then a worker's.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"
#include "worker_pool.hpp"

namespace aarm::network::detail {

class AcceptorPool {
 public:
  using Serve = std::function<void(UniqueFd connection, uint16_t peer_port)>;
  struct Listener {
    int fd;  // listening, non-blocking; must outlive the pool's threads
    Serve serve;
  };

  // At most `max_threads` serve or wait at once; beyond, connections wait in the listening
  // sockets' backlog. A thread that waited `idle_timeout` for nothing ends while another waits.
  AcceptorPool(size_t max_threads, std::chrono::milliseconds idle_timeout);
  AcceptorPool(const AcceptorPool&) = delete;
  AcceptorPool& operator=(const AcceptorPool&) = delete;
  ~AcceptorPool();

  // Starts a first thread waiting on `listeners`. Once `stop_fd` is readable, every thread ends
  // when its connection is done.
  Result<void> Start(std::vector<Listener> listeners, int stop_fd);
  // Waits for every thread; `stop_fd` must be readable.
  void Stop();

 private:
  // One thread's life: wait, accept, make sure another waits, serve, wait again.
  void AcceptAndServe();
  // Re-arms the one-shot listener `index` for the next connection.
  void Rearm(size_t index);
  // With none left waiting, starts another thread to wait while this one serves.
  void KeepOneWaiting();

  const std::chrono::milliseconds idle_timeout_;
  UniqueFd epoll_;
  int stop_fd_ = -1;
  std::vector<Listener> listeners_;
  std::mutex mutex_;
  size_t waiting_ = 0;  // threads in epoll_wait, or started to be
  WorkerPool threads_;
};

}  // namespace aarm::network::detail
