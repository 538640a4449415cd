// The workers that answer the agent's mediated system calls. Each worker blocks in
// NOTIF_RECV; the kernel hands each notification to exactly one, so a slow decision for one
// process never stalls the others. A worker owns a call from receipt to reply:
//   receive -> decode and decide (call_handler) -> perform -> tell the observer -> reply.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "aarm/supervisor/supervisor.hpp"
#include "call_handler.hpp"
#include "notify_channel.hpp"
#include "slow_calls.hpp"
#include "socket_calls.hpp"

namespace aarm::supervisor {
namespace {

// Interrupts a worker blocked in NOTIF_RECV when the session ends, a slow call's thread
// blocked in a connect or a send, and a worker's connect that took longer than ConnectWithin
// allowed.
int StopSignal() { return InterruptSignal(); }

// Calls whose rest runs on threads of their own at once; beyond, workers run it themselves.
constexpr size_t kMaxSlowCalls = 64;

void IgnoreStopSignal(int) {}

// What the supervisor does for the agent it must be allowed to do as the agent: it keeps the
// uid, but a root supervisor's capabilities (DAC override and the like) stay off in the
// threads that act on the agent's behalf.
void DropEffectiveCapabilities() {
  cap_t caps = cap_get_proc();
  if (caps == nullptr) return;
  cap_clear_flag(caps, CAP_EFFECTIVE);
  cap_set_proc(caps);  // per thread: capset(2) acts on the calling thread only
  cap_free(caps);
}

class NotifySupervisor final : public Supervisor {
 public:
  NotifySupervisor(UniqueFd notify_fd, const policy::Engine& engine, ActionObserver& observer,
                   SupervisorOptions options)
      : channel_(std::move(notify_fd)),
        engine_(engine),
        observer_(observer),
        options_(options),
        sockets_(MakeSocketSettings(options)),
        slow_calls_(kMaxSlowCalls) {}

  ~NotifySupervisor() override { Stop(); }

  Result<void> Begin() {
    if (options_.agent_in_namespaces > 0) {
      auto ops = NamespaceOps::Start(options_.agent_in_namespaces);
      if (!ops) return tl::unexpected(ops.error());
      namespace_ops_.emplace(std::move(*ops));
    }
    failure_fd_.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!failure_fd_) return FailErrno("eventfd");
    struct sigaction action {};
    action.sa_handler = IgnoreStopSignal;  // no SA_RESTART: NOTIF_RECV returns EINTR
    sigemptyset(&action.sa_mask);
    if (sigaction(StopSignal(), &action, nullptr) != 0) return FailErrno("sigaction");
    if (auto synced = channel_.EnableSyncWakeUp(); !synced) {
      spdlog::debug("no synchronous wake-up for the seccomp listener ({}): each mediated call "
                    "costs a cross-CPU wake-up", synced.error().Describe());
    }
    unsigned count = options_.workers ? options_.workers : 1;
    try {
      for (unsigned i = 0; i < count; ++i) workers_.emplace_back([this] { Serve(); });
    } catch (const std::system_error& e) {
      if (workers_.empty()) {
        spdlog::warn("cannot start mediation threads ({}): the supervisor answers one call at a "
                     "time", e.what());
        inline_ = true;
        DropEffectiveCapabilities();  // the main thread now acts for the agent
      }
    }
    return {};
  }

  int InlineFd() const override { return inline_ ? channel_.Fd() : -1; }

  void ServeOne() override {
    seccomp_notif request;
    if (channel_.Receive(&request)) Answer(request);
  }

  int FailureFd() const override { return failure_fd_.Get(); }

  std::optional<Error> Failure() const override {
    std::lock_guard lock(failure_mutex_);
    return failure_;
  }

  void Stop() override {
    if (stopping_.exchange(true)) return;
    slow_calls_.Stop(StopSignal());
    for (auto& worker : workers_) pthread_kill(worker.native_handle(), StopSignal());
    for (auto& worker : workers_) {
      // A worker may be between its stop check and NOTIF_RECV: signal until it has left.
      while (worker.joinable()) {
        if (finished_workers_.load() == workers_.size()) {
          worker.join();
          break;
        }
        pthread_kill(worker.native_handle(), StopSignal());
        usleep(1000);
      }
    }
  }

 private:
  void Serve() {
    DropEffectiveCapabilities();
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, StopSignal());
    pthread_sigmask(SIG_UNBLOCK, &stop, nullptr);
    seccomp_notif request;
    while (!stopping_.load()) {
      // Blocking in NOTIF_RECV itself takes a call the moment it arrives: until a worker has
      // taken it, a signal can still interrupt the agent's syscall (WAIT_KILLABLE_RECV holds
      // only from receipt on), so the window is kept as short as the kernel allows.
      auto received = channel_.Receive(&request);
      if (!received) {
        int err = received.error().sys_errno;
        if (err == EINTR) continue;  // a stop request
        if (err == ENOENT) {
          // The target died before we took its call — or the whole tree is gone, and the
          // listener reports POLLHUP: then nothing will ever come.
          pollfd ready{channel_.Fd(), POLLIN, 0};
          if (poll(&ready, 1, 0) >= 0 && (ready.revents & (POLLHUP | POLLERR | POLLNVAL))) break;
          continue;
        }
        spdlog::error("seccomp listener: {}", received.error().Describe());
        break;
      }
      Answer(request);
    }
    finished_workers_.fetch_add(1);
  }

  void Answer(const seccomp_notif& request) {
    CallSettings settings{channel_,
                          engine_,
                          options_.audit,
                          options_.agent_in_namespaces > 0,
                          namespace_ops_ ? &*namespace_ops_ : nullptr,
                          options_.hidden,
                          &sockets_,
                          &agent_root_,
                          &acting_processes_};
    HandledCall call = HandleCall(request, settings);
    if (call.finish) {
      auto pending = std::make_shared<HandledCall>(std::move(call));
      uint64_t id = request.id;
      auto rest = [this, pending, id] {
        pending->finish(pending->reply);
        RecordAndReply(id, *pending);
      };
      if (!slow_calls_.Start(rest)) rest();
      return;
    }
    RecordAndReply(request.id, call);
  }

  // Tells the observer of the decided actions, then answers the agent.
  void RecordAndReply(uint64_t id, HandledCall& call) {
    Reply& reply = call.reply;
    for (const auto& decided : call.actions) {
      auto observed =
          decided.counted
              ? observer_.OnCounted(decided.action, decided.decision, reply.Result())
              : observer_.OnDecided(decided.action, decided.decision, decided.enforced,
                                    reply.Result());
      if (!observed) {
        // SECURITY: no receipt, no action. The agent gets an error and the session ends.
        reply.kind = Reply::Kind::kError;
        reply.err = EACCES;
        reply.fd.Reset();
        RecordFailure(observed.error());
        break;
      }
    }
    Result<void> sent;
    switch (reply.kind) {
      case Reply::Kind::kContinue:
        sent = channel_.Continue(id);
        break;
      case Reply::Kind::kError:
        sent = channel_.Fail(id, reply.err);
        break;
      case Reply::Kind::kValue:
        sent = channel_.Return(id, reply.value);
        break;
      case Reply::Kind::kInjectFd:
        sent = channel_.InjectFdAndReturn(id, reply.fd.Get(), reply.close_on_exec);
        break;
    }
    if (!sent && sent.error().sys_errno != ENOENT) {
      // The agent must never wait forever on an answer that failed to go out.
      spdlog::debug("answering notification {}: {}", id, sent.error().Describe());
      channel_.Fail(id, sent.error().sys_errno ? sent.error().sys_errno : EIO);
    }
  }

  void RecordFailure(const Error& error) {
    {
      std::lock_guard lock(failure_mutex_);
      if (!failure_) failure_ = error;
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(failure_fd_.Get(), &one, sizeof one);
  }

  NotifyChannel channel_;
  const policy::Engine& engine_;
  ActionObserver& observer_;
  SupervisorOptions options_;
  SocketSettings sockets_;
  SharedAgentRoot agent_root_;
  ActingProcessCache acting_processes_;
  SlowCalls slow_calls_;
  std::optional<NamespaceOps> namespace_ops_;
  UniqueFd failure_fd_;
  mutable std::mutex failure_mutex_;
  std::optional<Error> failure_;
  bool inline_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> finished_workers_{0};
  std::vector<std::thread> workers_;
};

}  // namespace

Result<std::unique_ptr<Supervisor>> Supervisor::Start(UniqueFd notify_fd,
                                                      const policy::Engine& engine,
                                                      ActionObserver& observer,
                                                      SupervisorOptions options) {
  auto supervisor =
      std::make_unique<NotifySupervisor>(std::move(notify_fd), engine, observer, options);
  if (auto begun = supervisor->Begin(); !begun) return tl::unexpected(begun.error());
  return std::unique_ptr<Supervisor>(std::move(supervisor));
}

}  // namespace aarm::supervisor
