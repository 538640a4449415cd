// The rest of calls that may block for long — a connect to a remote host, a send waiting for
// room in a socket's buffer — runs on short-lived threads of its own, so that an agent cannot
// hold the workers that answer everyone else's calls.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace aarm::supervisor {

class SlowCalls {
 public:
  explicit SlowCalls(size_t limit) : limit_(limit) {}
  SlowCalls(const SlowCalls&) = delete;
  SlowCalls& operator=(const SlowCalls&) = delete;
  ~SlowCalls();

  // Runs `work` on a thread of its own. False when `limit` of them are running, when no thread
  // can be created or once stopping: the caller then runs it itself.
  bool Start(const std::function<void()>& work);

  // Interrupts the running ones with `signal` (whose handler has no SA_RESTART, so a blocking
  // connect or send returns EINTR) until each has finished, and waits for them.
  void Stop(int signal);

 private:
  struct Slot {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void ReapFinished();

  std::mutex mutex_;
  std::list<Slot> running_;  // a list: a thread keeps a pointer to its slot
  size_t limit_;
  bool stopping_ = false;
};

}  // namespace aarm::supervisor
