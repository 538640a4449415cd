// The network service's threads: reused for the next connection, bounded, ended when idle or
// stopped.
#include <catch2/catch.hpp>
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "../../../src/network/worker_pool.hpp"

namespace aarm::network::detail {
namespace {

using namespace std::chrono_literals;

// Calls `done` until it says true, for up to two seconds; whether it did.
template <typename Predicate>
bool Eventually(Predicate done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

TEST_CASE("a pool runs work one after another on the same thread", "[network][pool]") {
  WorkerPool pool(1, 10s);
  // A count kept by the thread itself: a thread started afresh for each item would count one.
  static thread_local int items_on_this_thread = 0;
  std::atomic<int> most_on_one_thread{0};
  for (int i = 0; i < 20; ++i) {
    // Refused while the one thread is still busy with the previous item.
    REQUIRE(Eventually([&] {
      return pool.Run([&] { most_on_one_thread = ++items_on_this_thread; });
    }));
  }
  CHECK(Eventually([&] { return most_on_one_thread.load() == 20; }));
}

TEST_CASE("a pool refuses work beyond its threads and takes it again once one is free",
          "[network][pool]") {
  WorkerPool pool(2, 10s);
  std::mutex mutex;
  std::condition_variable released;
  bool release = false;
  std::atomic<int> started{0};
  auto blocker = [&] {
    ++started;
    std::unique_lock lock(mutex);
    released.wait(lock, [&] { return release; });
  };
  REQUIRE(pool.Run(blocker));
  REQUIRE(pool.Run(blocker));
  REQUIRE(Eventually([&] { return started.load() == 2; }));
  CHECK_FALSE(pool.Run([] {}));
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  released.notify_all();
  std::atomic<bool> ran{false};
  REQUIRE(Eventually([&] { return pool.Run([&] { ran = true; }); }));
  CHECK(Eventually([&] { return ran.load(); }));
}

TEST_CASE("an idle thread ends and a new one takes the next work", "[network][pool]") {
  WorkerPool pool(1, 20ms);
  std::atomic<int> ran{0};
  REQUIRE(pool.Run([&] { ++ran; }));
  REQUIRE(Eventually([&] { return ran.load() == 1; }));
  std::this_thread::sleep_for(100ms);  // past the idle lifetime: the thread has ended
  REQUIRE(pool.Run([&] { ++ran; }));
  CHECK(Eventually([&] { return ran.load() == 2; }));
}

TEST_CASE("a stopped pool waits for work under way and takes no more", "[network][pool]") {
  WorkerPool pool(2, 10s);
  std::atomic<bool> finished{false};
  REQUIRE(pool.Run([&] {
    std::this_thread::sleep_for(50ms);
    finished = true;
  }));
  pool.Stop();
  CHECK(finished.load());
  CHECK_FALSE(pool.Run([] {}));
}

}  // namespace
}  // namespace aarm::network::detail
