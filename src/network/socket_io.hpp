// Socket operations bounded by a deadline and by the service's stop descriptor, which becomes
// readable once when the service stops: every wait of the service includes it, so Stop() is
// never kept waiting by a peer.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::network::detail {

using Clock = std::chrono::steady_clock;

// Errors of the operations below: the deadline passed (ETIMEDOUT) or the service stopped
// (ECANCELED); any other is the system call's.
inline constexpr int kStoppedErrno = ECANCELED;

enum class WaitResult { kReady, kTimeout, kStopped };

// Waits for `events` on `fd`; POLLERR and POLLHUP count as ready (the next call reports them).
WaitResult WaitFor(int fd, short events, Clock::time_point deadline, int stop_fd);

// Waits until the deadline or the stop descriptor, whichever comes first; true when stopped.
bool SleepUnlessStopped(Clock::duration duration, int stop_fd);

// Reads what is there, at most buffer.size() bytes, once some is; 0 at end of stream.
Result<size_t> ReadSome(int fd, std::span<char> buffer, Clock::time_point deadline, int stop_fd);

Result<void> WriteAll(int fd, std::string_view data, Clock::time_point deadline, int stop_fd);

// Connects a new non-blocking TCP socket to a canonical numeric address from the host's side.
Result<UniqueFd> Dial(const std::string& address, uint16_t port, Clock::time_point deadline,
                      int stop_fd);

// Sets TCP_NODELAY: a relay forwards what it has at once, where Nagle would hold back the last
// segment of every exchange.
void SetNoDelay(int fd);

// Readies a listening socket of the service: non-blocking, and with the options every
// connection it accepts inherits (Linux copies TCP_NODELAY and a congestion control chosen by
// setsockopt to accepted sockets), so that no connection pays a system call for them.
// `reno`: the agent's side of every relayed connection is the sandbox's loopback, where nothing
// is lost or queued, so Reno sends at once where a pacing algorithm (BBR, the default on the
// machines bench/network.sh ran on) arms timers and wakes threads for each burst, which cost a
// download through a tunnel close to half its rate. Any process may choose Reno.
Result<void> PrepareListener(const UniqueFd& fd, const char* what);

// Closes with a TCP reset (SO_LINGER 0): what a refused connect() looks like to the agent.
void CloseWithReset(UniqueFd fd);

// An eventfd that polls readable once signalled, and stays so. Raised() reads a flag instead
// of polling it: every connection asks, and a system call each time was measurable.
class Signal {
 public:
  static Result<Signal> Create();
  int Fd() const { return fd_.Get(); }
  void Raise() const;
  bool Raised() const { return raised_->load(std::memory_order_acquire); }

 private:
  explicit Signal(UniqueFd fd)
      : fd_(std::move(fd)), raised_(std::make_unique<std::atomic<bool>>(false)) {}
  UniqueFd fd_;
  std::unique_ptr<std::atomic<bool>> raised_;  // on the heap, so that a Signal moves
};

}  // namespace aarm::network::detail
