#include "slow_calls.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <system_error>

namespace aarm::supervisor {

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
