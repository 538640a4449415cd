#include "acting_process.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <string>

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
  char exe[PATH_MAX];
  ssize_t n = readlink(("/proc/" + std::to_string(tid) + "/exe").c_str(), exe, sizeof exe - 1);
  if (n > 0) process.exe.assign(exe, static_cast<size_t>(n));
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

}  // namespace aarm::supervisor
