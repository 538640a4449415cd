#include "relay.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <memory>
#include <string>

namespace aarm::network::detail {
namespace {

// Each direction copies through a buffer of its own. On the loopback, where an agent's
// downloads meet the relay at memory speed, copying costs less CPU than splice(2) through a
// pipe: spliced pages reach the receiver as one fragment per 4 KiB page and stay pinned until
// it reads them, which makes the sender's and the receiver's kernel work dearer than the two
// copies saved (bench/network.sh). Per byte, the cost falls with the size of each read and
// write (fewer calls and wake-ups), so a direction that fills its buffer in one read (bulk data)
// moves to a large one.
constexpr size_t kSmallBufferBytes = 64 * 1024;
constexpr size_t kLargeBufferBytes = 1024 * 1024;
// Large buffers held at once across the process: past this, bulk connections keep small ones,
// so that the service's memory stays bounded however many downloads the agent runs.
constexpr int kMaxLargeBuffers = 64;
// Bytes one direction moves before the other gets its turn.
constexpr uint64_t kTurnBytes = 1024 * 1024;

std::atomic<int> large_buffers_held{0};

enum class Step { kProgress, kWaiting, kFailed };

class Direction {
 public:
  Direction(int src, int dst, BodyFramer* framer) : src_(src), dst_(dst), framer_(framer) {}
  Direction(const Direction&) = delete;
  Direction& operator=(const Direction&) = delete;
  ~Direction() {
    if (capacity_ == kLargeBufferBytes) large_buffers_held.fetch_sub(1);
  }

  // Queues bytes to go as they are.
  void QueueRaw(std::string_view bytes) { queued_.append(bytes); }

  // Queues bytes read from the source; false when a framer refuses them.
  bool Queue(std::string_view bytes) {
    if (framer_) {
      const size_t taken = framer_->Take(bytes);
      if (framer_->Failed()) return false;
      bytes = bytes.substr(0, taken);
    }
    queued_.append(bytes);
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
      if (src_eof_ || Framed()) done_ = true;
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
  bool Drained() const { return queued_sent_ == queued_.size() && head_ == tail_; }
  bool Framed() const { return framer_ && framer_->Complete(); }

  Step MoveOnce() {
    if (queued_sent_ < queued_.size()) {
      const Step step = Send(queued_.data(), queued_.size(), queued_sent_);
      if (queued_sent_ == queued_.size()) {
        std::string().swap(queued_);
        queued_sent_ = 0;
      }
      return step;
    }
    if (head_ < tail_) return Send(buffer_.get(), tail_, head_);
    if (src_eof_ || Framed()) return Step::kWaiting;
    return Read();
  }

  // Sends data[sent, size), advancing `sent`.
  Step Send(const char* data, size_t size, size_t& sent) {
    const ssize_t n = ::send(dst_, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Step::kWaiting : Step::kFailed;
    sent += static_cast<size_t>(n);
    bytes_ += static_cast<uint64_t>(n);
    return Step::kProgress;
  }

  // Reads into the buffer, which is empty.
  Step Read() {
    PrepareBuffer();
    const ssize_t n = ::recv(src_, buffer_.get(), capacity_, 0);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? Step::kWaiting : Step::kFailed;
    if (n == 0) {
      src_eof_ = true;
      return Step::kProgress;
    }
    head_ = 0;
    tail_ = static_cast<size_t>(n);
    fill_ = tail_ == capacity_;
    if (framer_) {
      tail_ = framer_->Take(std::string_view(buffer_.get(), tail_));
      if (framer_->Failed()) return Step::kFailed;
    }
    return Step::kProgress;
  }

  // Allocated on first use (most connections carry little one way), and made large once a read
  // has filled it, when the process-wide budget allows.
  void PrepareBuffer() {
    if (!buffer_) {
      capacity_ = kSmallBufferBytes;
    } else if (fill_ && capacity_ == kSmallBufferBytes) {
      if (large_buffers_held.fetch_add(1) >= kMaxLargeBuffers) {
        large_buffers_held.fetch_sub(1);
        return;
      }
      capacity_ = kLargeBufferBytes;
      buffer_.reset();
    } else {
      return;
    }
    buffer_ = std::make_unique_for_overwrite<char[]>(capacity_);
  }

  int src_;
  int dst_;
  BodyFramer* framer_;
  // Bytes of the service's own and first bytes already read, sent before anything else.
  std::string queued_;
  size_t queued_sent_ = 0;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t head_ = 0;  // buffer_[head_, tail_) is read and not yet sent
  size_t tail_ = 0;
  bool fill_ = false;  // the last read filled the buffer
  bool src_eof_ = false;
  bool done_ = false;
  uint64_t bytes_ = 0;
};

}  // namespace

policy::Transfer Relay(int agent, int remote, const RelayOptions& options, int stop_fd) {
  Direction up(agent, remote, options.framer);
  Direction down(remote, agent, nullptr);
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
