#include "slow_calls.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace aarm::supervisor {
namespace {

// A timer that sends InterruptSignal() to the thread that made it.
class ThreadTimer {
 public:
  ThreadTimer() {
    sigevent event{};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = InterruptSignal();
    event._sigev_un._tid = gettid();
    made_ = timer_create(CLOCK_MONOTONIC, &event, &timer_) == 0;
  }
  ~ThreadTimer() {
    if (made_) timer_delete(timer_);
  }
  ThreadTimer(const ThreadTimer&) = delete;
  ThreadTimer& operator=(const ThreadTimer&) = delete;

  bool Arm(std::chrono::microseconds after) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(after).count();
    itimerspec when{};
    when.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    when.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    return made_ && (when.it_value.tv_sec != 0 || when.it_value.tv_nsec != 0) &&
           timer_settime(timer_, 0, &when, nullptr) == 0;
  }
  void Disarm() {
    itimerspec never{};
    timer_settime(timer_, 0, &never, nullptr);
  }

 private:
  timer_t timer_{};
  bool made_ = false;
};

}  // namespace

int InterruptSignal() { return SIGRTMIN + 2; }

BoundedConnect ConnectWithin(int fd, const sockaddr* to, socklen_t length,
                             std::chrono::microseconds limit) {
  thread_local ThreadTimer timer;
  if (!timer.Arm(limit)) return {};
  const int rc = connect(fd, to, length);
  const int err = errno;
  // A signal the timer sends after the connect returned only runs the empty handler.
  timer.Disarm();
  if (rc == 0) return {BoundedConnect::State::kDone, 0};
  if (err == EINTR) return {BoundedConnect::State::kCutShort, 0};
  return {BoundedConnect::State::kDone, err};
}

int FinishConnect(int fd, const sockaddr* to, socklen_t length) {
  if (connect(fd, to, length) == 0) return 0;
  // A second connect(2) of a socket still connecting waits as the first would, but answers
  // EALREADY where the first answered EINPROGRESS: its send timeout passed.
  return errno == EALREADY ? EINPROGRESS : errno;
}

SlowCalls::~SlowCalls() {
  std::lock_guard lock(mutex_);
  for (auto& slot : running_) {
    if (slot.thread.joinable()) slot.thread.join();
  }
}

void SlowCalls::ReapFinished() {
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->done.load()) {
      it->thread.join();
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

bool SlowCalls::Start(const std::function<void()>& work) {
  std::lock_guard lock(mutex_);
  ReapFinished();
  if (stopping_ || running_.size() >= limit_) return false;
  Slot& slot = running_.emplace_back();
  try {
    slot.thread = std::thread([&slot, work] {
      work();
      slot.done.store(true);
    });
  } catch (const std::system_error&) {
    running_.pop_back();
    return false;
  }
  return true;
}

void SlowCalls::Stop(int signal) {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& slot : running_) {
    // A thread may not have entered its blocking call when the signal comes: signal again
    // until it has finished.
    while (!slot.done.load()) {
      pthread_kill(slot.thread.native_handle(), signal);
      usleep(1000);
    }
    slot.thread.join();
  }
  running_.clear();
}

}  // namespace aarm::supervisor
