#include "acting_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <string>

#include "aarm/base/linux_api.hpp"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace aarm::supervisor {
namespace {

constexpr int kMaxParents = 16;

struct StatusFields {
  pid_t tgid = 0;
  pid_t ppid = 0;
};

// Tgid and PPid from /proc/PID/status, read in one go: this runs for every mediated call.
StatusFields ReadStatus(pid_t pid) {
  StatusFields fields;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fields;
  char buffer[1024];  // Tgid and PPid are within the first few lines
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n <= 0) return fields;
  buffer[n] = '\0';
  if (const char* tgid = strstr(buffer, "\nTgid:")) fields.tgid = static_cast<pid_t>(atol(tgid + 6));
  if (const char* ppid = strstr(buffer, "\nPPid:")) fields.ppid = static_cast<pid_t>(atol(ppid + 6));
  return fields;
}

// The parent from /proc/PID/stat, much cheaper for the kernel to render than status. The
// command name may hold spaces and parentheses: fields start after the last ')'.
pid_t ParentOf(pid_t pid) {
  char buffer[512];
  FILE* file = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "re");
  if (file == nullptr) return 0;
  size_t n = fread(buffer, 1, sizeof buffer - 1, file);
  fclose(file);
  buffer[n] = '\0';
  const char* end = strrchr(buffer, ')');
  char state = 0;
  int parent = 0;
  if (end == nullptr || sscanf(end + 1, " %c %d", &state, &parent) != 2) return 0;
  return parent;
}

std::string ExeOf(pid_t tid) {
  char exe[PATH_MAX];
  ssize_t n = readlink(("/proc/" + std::to_string(tid) + "/exe").c_str(), exe, sizeof exe - 1);
  return n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string();
}

ino_t PidNamespace(pid_t pid) {
  struct stat st;
  if (stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) != 0) return 0;
  return st.st_ino;
}

}  // namespace

policy::ActingProcess DescribeActingProcess(pid_t tid) {
  policy::ActingProcess process;
  StatusFields self = ReadStatus(tid);
  process.pid = self.tgid ? self.tgid : tid;
  process.exe = ExeOf(tid);
  ino_t sandbox_ns = PidNamespace(tid);
  pid_t parent = self.ppid;
  for (int i = 0; i < kMaxParents && parent > 1; ++i) {
    if (PidNamespace(parent) != sandbox_ns) break;
    process.ppids.push_back(parent);
    parent = ParentOf(parent);
  }
  return process;
}

pid_t ThreadGroupOf(pid_t tid) { return ReadStatus(tid).tgid; }

namespace {

// Each remembered description holds a pidfd of its thread and of each parent. Processes of a
// long session come and go, and the supervisor shares its descriptor limit (often 1024) with
// everything else it holds: past this many pidfds, the descriptions of exited processes are
// dropped, and if that is not enough, all of them.
constexpr size_t kMaxPidfdsHeld = 256;

// Whether one of `entry`'s processes has exited.
bool AnyExited(const std::vector<UniqueFd>& alive) {
  std::vector<pollfd> fds;
  fds.reserve(alive.size());
  for (const UniqueFd& fd : alive) fds.push_back(pollfd{fd.Get(), POLLIN, 0});
  return poll(fds.data(), fds.size(), 0) != 0;
}

}  // namespace

policy::ActingProcess ActingProcessCache::Describe(pid_t tid) {
  if (auto known = Find(tid); known && StillTrue(tid, *known)) return known->process;
  auto entry = std::make_shared<Entry>();
  // The pidfds are taken before /proc is read: whatever dies after they are open, even while
  // it is read, shows on them.
  UniqueFd thread(linux_api::PidfdOpen(tid, PIDFD_THREAD));
  if (!thread) return DescribeActingProcess(tid);  // a kernel before 6.9, or the thread is gone
  entry->alive.push_back(std::move(thread));
  entry->process = DescribeActingProcess(tid);
  for (pid_t parent : entry->process.ppids) {
    UniqueFd parent_fd(linux_api::PidfdOpen(parent, 0));
    if (!parent_fd) return entry->process;  // already gone: true now, not worth remembering
    entry->alive.push_back(std::move(parent_fd));
  }
  // With every pidfd held, the chain read again must be the same. A parent that died before
  // its pidfd was opened has had its children reparented, and its pid may have been taken by
  // another process, which that pidfd would then hold: the chain read now differs.
  policy::ActingProcess again = DescribeActingProcess(tid);
  if (again.pid != entry->process.pid || again.exe != entry->process.exe ||
      again.ppids != entry->process.ppids || !StillTrue(tid, *entry)) {
    return again;
  }
  policy::ActingProcess process = entry->process;
  Remember(tid, std::move(entry));
  return process;
}

void ActingProcessCache::Remember(pid_t tid, std::shared_ptr<const Entry> entry) {
  std::lock_guard lock(mutex_);
  if (auto old = entries_.find(tid); old != entries_.end()) {
    pidfds_held_ -= old->second->alive.size();
    entries_.erase(old);
  }
  if (pidfds_held_ + entry->alive.size() > kMaxPidfdsHeld) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (AnyExited(it->second->alive)) {
        pidfds_held_ -= it->second->alive.size();
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    if (pidfds_held_ + entry->alive.size() > kMaxPidfdsHeld) {
      entries_.clear();
      pidfds_held_ = 0;
    }
  }
  pidfds_held_ += entry->alive.size();
  entries_[tid] = std::move(entry);
}

std::shared_ptr<const ActingProcessCache::Entry> ActingProcessCache::Find(pid_t tid) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(tid);
  return found == entries_.end() ? nullptr : found->second;
}

bool ActingProcessCache::StillTrue(pid_t tid, const Entry& entry) {
  if (AnyExited(entry.alive)) return false;  // (or poll failed)
  return ExeOf(tid) == entry.process.exe;
}

}  // namespace aarm::supervisor
