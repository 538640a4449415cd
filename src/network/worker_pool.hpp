// Threads that serve one connection or query each, kept for the next one once done: starting a
// thread (its stack mapped, faulted in, unmapped again) cost a connection more than deciding it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace aarm::network::detail {

class WorkerPool {
 public:
  // At most `max_threads` at once; a thread idle for `idle_timeout` ends.
  WorkerPool(size_t max_threads, std::chrono::milliseconds idle_timeout);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();

  // Runs `work` on an idle thread, or on a new one; false when `max_threads` are busy or the
  // pool is stopping.
  bool Run(std::function<void()> work);

  // Takes no more work and waits for every thread: the work under way must end by itself.
  void Stop();

 private:
  struct Thread {
    std::thread thread;
    bool finished = false;
  };

  void Serve(std::list<Thread>::iterator self, std::function<void()> work);
  void JoinFinished(std::unique_lock<std::mutex>& lock);

  const size_t max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<std::function<void()>> queued_;
  std::list<Thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace aarm::network::detail
