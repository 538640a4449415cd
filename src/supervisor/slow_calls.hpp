// The rest of calls that may block for long — a connect to a remote host, a send waiting for
// room in a socket's buffer — runs on short-lived threads of its own, so that an agent cannot
// hold the workers that answer everyone else's calls.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace aarm::supervisor {

// The signal that interrupts a supervisor thread's blocking call: its handler, installed by the
// notify loop, has no SA_RESTART, so the call returns EINTR.
int InterruptSignal();

// connect(2) of `fd` on the calling thread for at most `limit`. For a connect that completes
// within the call as a rule — a loopback handshake — but may wait for long: a listener whose
// queue is full drops the handshake until its retransmission.
struct BoundedConnect {
  enum class State {
    kDone,      // `err`: 0, or the connect's errno
    kCutShort,  // the handshake goes on in the kernel: FinishConnect waits for it
    kNotTried,  // no timer could bound it
  } state = State::kNotTried;
  int err = 0;
};
BoundedConnect ConnectWithin(int fd, const sockaddr* to, socklen_t length,
                             std::chrono::microseconds limit);

// The end of a connect ConnectWithin cut short, as that connect(2) would have answered it: 0 or
// its errno (EINPROGRESS when the socket's send timeout passes first).
int FinishConnect(int fd, const sockaddr* to, socklen_t length);

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
