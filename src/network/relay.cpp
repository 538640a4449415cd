#include "relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <vector>

#include "aarm/base/unique_fd.hpp"

namespace aarm::network::detail {
namespace {

// The most one splice(2) is asked to move; it moves what the pipe holds. Pipes keep the
// default size: a larger one gained nothing measurable, and each counts against the user's
// pipe budget (pipe-user-pages-soft), past which new pipes get a single page.
constexpr size_t kSpliceBytes = 1024 * 1024;
constexpr size_t kCopyBufferBytes = 64 * 1024;
// Bytes one direction moves before the other gets its turn.
constexpr uint64_t kTurnBytes = 1024 * 1024;

enum class Step { kProgress, kWaiting, kFailed };

class Direction {
 public:
  Direction(int src, int dst, bool use_pipe, BodyFramer* framer)
      : src_(src), dst_(dst), framer_(framer) {
    if (!use_pipe || framer) return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return;
    pipe_read_ = UniqueFd(fds[0]);
    pipe_write_ = UniqueFd(fds[1]);
  }

  // Queues bytes to go as they are.
  void QueueRaw(std::string_view bytes) { pending_.append(bytes); }

  // Queues bytes read from the source; false when a framer refuses them.
  bool Queue(std::string_view bytes) {
    if (framer_) {
      const size_t taken = framer_->Take(bytes);
      if (framer_->Failed()) return false;
      bytes = bytes.substr(0, taken);
    }
    pending_.append(bytes);
    return true;
  }

  // Moves what can be moved without waiting.
  Step Pump() {
    bool progressed = false;
    for (uint64_t moved_before = bytes_; bytes_ - moved_before < kTurnBytes;) {
      const Step step = MoveOnce();
      if (step == Step::kFailed) return Step::kFailed;
      if (step == Step::kWaiting) break;
      progressed = true;
    }
    if (!done_ && Drained()) {
      if (src_eof_) ::shutdown(dst_, SHUT_WR);
      if (src_eof_ || (framer_ && framer_->Complete())) done_ = true;
    }
    return progressed ? Step::kProgress : Step::kWaiting;
  }

  bool Done() const { return done_; }
  bool WantsRead() const { return !done_ && !src_eof_ && Drained() && !Framed(); }
  bool WantsWrite() const { return !done_ && !Drained(); }
  int Src() const { return src_; }
  int Dst() const { return dst_; }
  uint64_t Bytes() const { return bytes_; }

 private:
  bool Drained() const { return pending_.size() == sent_ && in_pipe_ == 0; }
  bool Framed() const { return framer_ && framer_->Complete(); }

  Step MoveOnce() {
    if (pending_.size() > sent_) return WritePending();
    if (in_pipe_ > 0) return DrainPipe();
    if (src_eof_ || Framed()) return Step::kWaiting;
    return pipe_write_ ? FillPipe() : ReadIntoPending();
  }

  Step WritePending() {
    const ssize_t n = ::send(dst_, pending_.data() + sent_, pending_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Step::kWaiting : Step::kFailed;
    sent_ += static_cast<size_t>(n);
    bytes_ += static_cast<uint64_t>(n);
    if (sent_ == pending_.size()) {
      pending_.clear();
      sent_ = 0;
    }
    return Step::kProgress;
  }

  Step ReadIntoPending() {
    buffer_.resize(kCopyBufferBytes);
    const ssize_t n = ::recv(src_, buffer_.data(), buffer_.size(), 0);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Step::kWaiting : Step::kFailed;
    if (n == 0) {
      src_eof_ = true;
      return Step::kProgress;
    }
    return Queue(std::string_view(buffer_.data(), static_cast<size_t>(n))) ? Step::kProgress
                                                                           : Step::kFailed;
  }

  Step FillPipe() {
    const ssize_t n = ::splice(src_, nullptr, pipe_write_.Get(), nullptr, kSpliceBytes,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Step::kWaiting : Step::kFailed;
    if (n == 0) src_eof_ = true;
    in_pipe_ += static_cast<size_t>(n);
    return Step::kProgress;
  }

  Step DrainPipe() {
    const ssize_t n = ::splice(pipe_read_.Get(), nullptr, dst_, nullptr, in_pipe_,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Step::kWaiting : Step::kFailed;
    in_pipe_ -= static_cast<size_t>(n);
    bytes_ += static_cast<uint64_t>(n);
    return Step::kProgress;
  }

  int src_;
  int dst_;
  BodyFramer* framer_;
  UniqueFd pipe_read_;
  UniqueFd pipe_write_;
  size_t in_pipe_ = 0;
  std::string pending_;
  size_t sent_ = 0;
  std::vector<char> buffer_;
  bool src_eof_ = false;
  bool done_ = false;
  uint64_t bytes_ = 0;
};

}  // namespace

policy::Transfer Relay(int agent, int remote, const RelayOptions& options, int stop_fd) {
  Direction up(agent, remote, true, options.framer);
  Direction down(remote, agent, true, nullptr);
  const auto transfer = [&] { return policy::Transfer{up.Bytes(), down.Bytes()}; };
  up.QueueRaw(options.prefix_up);
  if (!up.Queue(options.initial_up)) return transfer();

  for (;;) {
    const Step up_step = up.Pump();
    const Step down_step = down.Pump();
    if (up_step == Step::kFailed || down_step == Step::kFailed) return transfer();
    // One request per connection: once its answer has ended there is nothing left to carry.
    if (down.Done() && (up.Done() || options.framer)) return transfer();
    if (up_step == Step::kProgress || down_step == Step::kProgress) continue;

    std::array<pollfd, 3> fds = {pollfd{agent, 0, 0}, pollfd{remote, 0, 0},
                                 pollfd{stop_fd, POLLIN, 0}};
    for (const Direction* d : {&up, &down}) {
      pollfd& src = d->Src() == agent ? fds[0] : fds[1];
      pollfd& dst = d->Dst() == agent ? fds[0] : fds[1];
      if (d->WantsRead()) src.events |= POLLIN;
      if (d->WantsWrite()) dst.events |= POLLOUT;
    }
    if (fds[0].events == 0 && fds[1].events == 0) return transfer();
    int n;
    do {
      n = ::poll(fds.data(), fds.size(), -1);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || fds[2].revents) return transfer();
    // An error, or a hang-up on a descriptor nobody waits to read or write, leaves nothing
    // to do but end; the pumps above report an error the next read or write meets anyway.
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents & (POLLERR | POLLNVAL)) return transfer();
      if ((fds[i].revents & POLLHUP) && !(fds[i].revents & (POLLIN | POLLOUT))) return transfer();
    }
  }
}

}  // namespace aarm::network::detail
