#include "worker_pool.hpp"

#include <system_error>
#include <utility>

namespace aarm::network::detail {

WorkerPool::WorkerPool(size_t max_threads, std::chrono::milliseconds idle_timeout)
    : max_threads_(max_threads), idle_timeout_(idle_timeout) {}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::Run(std::function<void()> work) {
  std::unique_lock lock(mutex_);
  JoinFinished(lock);
  if (stopping_) return false;
  if (idle_ > queued_.size()) {
    queued_.push_back(std::move(work));
    work_ready_.notify_one();
    return true;
  }
  if (threads_.size() >= max_threads_) return false;
  auto self = threads_.emplace(threads_.end());
  try {
    self->thread = std::thread(&WorkerPool::Serve, this, self, std::move(work));
  } catch (const std::system_error&) {
    threads_.erase(self);
    return false;
  }
  return true;
}

void WorkerPool::Serve(std::list<Thread>::iterator self, std::function<void()> work) {
  for (;;) {
    work();
    work = nullptr;
    std::unique_lock lock(mutex_);
    ++idle_;
    work_ready_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !queued_.empty(); });
    --idle_;
    if (queued_.empty()) {
      // Idle too long, or stopping: the next Run or Stop joins this thread.
      self->finished = true;
      return;
    }
    work = std::move(queued_.front());
    queued_.pop_front();
  }
}

void WorkerPool::JoinFinished(std::unique_lock<std::mutex>& lock) {
  std::list<Thread> finished;
  for (auto it = threads_.begin(); it != threads_.end();) {
    auto next = std::next(it);
    if (it->finished) finished.splice(finished.end(), threads_, it);
    it = next;
  }
  if (finished.empty()) return;
  lock.unlock();  // a finished thread may still be on its way out of the lock
  for (Thread& thread : finished) thread.thread.join();
  lock.lock();
}

void WorkerPool::Stop() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  work_ready_.notify_all();
  std::list<Thread> all;
  all.swap(threads_);
  lock.unlock();
  for (Thread& thread : all) thread.thread.join();
}

}  // namespace aarm::network::detail
