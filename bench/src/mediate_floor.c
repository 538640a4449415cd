// The least a seccomp user-notification supervisor can cost: a launcher that installs a filter
// sending the system calls aarm-run mediates to a supervisor, and a supervisor that does only
// what each mode needs. No namespaces, Landlock, policy or receipts: what is left is the
// kernel's mechanism, so a mediator's figure over this one is its own work.
//
// usage: mediate_floor continue|emulate [-w WORKERS] -- COMMAND [ARG...]
//
//   continue  every notification is answered SECCOMP_USER_NOTIF_FLAG_CONTINUE at once.
//   emulate   opens (open, openat, creat) are performed by the supervisor: the path is read
//             with process_vm_readv, the notification checked with NOTIF_ID_VALID, the file
//             opened relative to the caller's cwd or dirfd, and the descriptor injected with
//             one NOTIF_ADDFD | SECCOMP_ADDFD_FLAG_SEND. Every other mediated call is checked
//             the same way (path or address read, ID_VALID) and continued.
//
// Both modes set SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP. WORKERS threads (default 4, as aarm-run)
// block in NOTIF_RECV. Files created by `emulate` get the supervisor's credentials and umask,
// which are the launcher's and so the command's. Exits with COMMAND's status.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "positive_argument.h"

// Linux 6.6 uapi, newer than Debian 12's kernel headers.
static const unsigned long kNotifSetFlags = SECCOMP_IOW(4, __u64);
static const unsigned long kSyncWakeUp = 1;
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

// The set aarm-run's filter notifies (src/syscalls/mediated.cpp): exec, open, every call that
// changes a name or its metadata, and connect (notified in every network mode).
static const int kMediated[] = {
    __NR_connect,
    __NR_execve,   __NR_execveat,  __NR_open,      __NR_openat,   __NR_openat2,  __NR_creat,
    __NR_truncate, __NR_unlink,    __NR_unlinkat,  __NR_rmdir,    __NR_mkdir,    __NR_mkdirat,
    __NR_mknod,    __NR_mknodat,   __NR_rename,    __NR_renameat, __NR_renameat2, __NR_link,
    __NR_linkat,   __NR_symlink,   __NR_symlinkat, __NR_chmod,    __NR_fchmodat, __NR_fchmodat2,
    __NR_chown,    __NR_lchown,    __NR_fchownat,  __NR_utime,    __NR_utimes,   __NR_futimesat,
    __NR_utimensat,
};
enum { kMediatedCount = sizeof kMediated / sizeof kMediated[0] };

static int emulate;
static int listener;

static void Die(const char* what) {
  fprintf(stderr, "mediate_floor: %s: %s\n", what, strerror(errno));
  exit(125);
}

static int InstallFilter(void) {
  struct sock_filter program[4 + kMediatedCount + 2];
  size_t n = 0;
  program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                              offsetof(struct seccomp_data, arch));
  program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                              offsetof(struct seccomp_data, nr));
  for (int i = 0; i < kMediatedCount; ++i) {
    // Jump to the notify return if equal: it sits after the remaining compares and the allow.
    unsigned char to_notify = (unsigned char)(kMediatedCount - i);
    program[n++] =
        (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)kMediated[i], to_notify, 0);
  }
  program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  struct sock_fprog fprog = {(unsigned short)n, program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Die("PR_SET_NO_NEW_PRIVS");
  int fd = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                        &fprog);
  if (fd < 0) Die("seccomp");
  return fd;
}

static int IsMediatedOpen(int nr) {
  return nr == __NR_open || nr == __NR_openat || nr == __NR_creat;
}

// The first path argument of a mediated call, by its position.
static uint64_t PathArgument(const struct seccomp_data* data) {
  switch (data->nr) {
    case __NR_openat: case __NR_openat2: case __NR_execveat: case __NR_unlinkat:
    case __NR_mkdirat: case __NR_mknodat: case __NR_renameat: case __NR_renameat2:
    case __NR_linkat: case __NR_fchmodat: case __NR_fchmodat2: case __NR_fchownat:
    case __NR_futimesat: case __NR_utimensat:
      return data->args[1];
    case __NR_symlinkat: case __NR_symlink:
      return data->args[data->nr == __NR_symlink ? 1 : 2];
    default:
      return data->args[0];
  }
}

// Reads a NUL-terminated string from the target, never across a page boundary in one read.
static int ReadPath(pid_t pid, uint64_t address, char* out, size_t size) {
  size_t have = 0;
  if (address == 0) return -EFAULT;
  while (have < size) {
    size_t chunk = 4096 - (address % 4096);
    if (chunk > size - have) chunk = size - have;
    struct iovec local = {out + have, chunk};
    struct iovec remote = {(void*)address, chunk};
    if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)chunk) return -EFAULT;
    if (memchr(out + have, '\0', chunk)) return 0;
    have += chunk;
    address += chunk;
  }
  return -ENAMETOOLONG;
}

static void Send(uint64_t id, int64_t value, int err, uint32_t flags) {
  struct seccomp_notif_resp response = {id, value, err, flags};
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0 && errno != ENOENT) {
    fprintf(stderr, "mediate_floor: NOTIF_SEND: %s\n", strerror(errno));
  }
}

static void Continue(uint64_t id) { Send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE); }

// The directory a relative path of the caller starts from, as a descriptor of ours.
static int CallerDirectory(pid_t pid, int dirfd) {
  if (dirfd == AT_FDCWD) {
    char cwd[64];
    snprintf(cwd, sizeof cwd, "/proc/%d/cwd", pid);
    return open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return -1;
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, dirfd, 0);
  close(pidfd);
  return fd;
}

static void EmulateOpen(const struct seccomp_notif* request, const char* path) {
  const struct seccomp_data* data = &request->data;
  int dirfd = AT_FDCWD;
  int flags;
  mode_t mode;
  if (data->nr == __NR_openat) {
    dirfd = (int)data->args[0];
    flags = (int)data->args[2];
    mode = (mode_t)data->args[3];
  } else if (data->nr == __NR_open) {
    flags = (int)data->args[1];
    mode = (mode_t)data->args[2];
  } else {
    flags = O_CREAT | O_WRONLY | O_TRUNC;
    mode = (mode_t)data->args[1];
  }
  // /proc/self means the opener, and an O_PATH descriptor cannot be injected: the kernel does
  // those itself.
  if (strncmp(path, "/proc", 5) == 0 || (flags & O_PATH)) return Continue(request->id);
  int base = AT_FDCWD;
  if (path[0] != '/') {
    base = CallerDirectory((pid_t)request->pid, dirfd);
    if (base < 0) return Send(request->id, 0, -EBADF, 0);
  }
  int fd = openat(base, path, flags | O_CLOEXEC | O_NOCTTY, mode);
  int open_errno = errno;
  if (base >= 0) close(base);
  if (fd < 0) return Send(request->id, 0, -open_errno, 0);
  struct seccomp_notif_addfd addfd = {0};
  addfd.id = request->id;
  addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
  addfd.srcfd = (uint32_t)fd;
  addfd.newfd_flags = (uint32_t)(flags & O_CLOEXEC);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0 && errno != ENOENT) {
    Send(request->id, 0, -errno, 0);
  }
  close(fd);
}

// A connect's address, read and checked as a mediator must before deciding on it.
static void CheckConnect(const struct seccomp_notif* request) {
  struct sockaddr_storage address;
  size_t length = (size_t)request->data.args[2];
  if (length > sizeof address) length = sizeof address;
  struct iovec local = {&address, length};
  struct iovec remote = {(void*)(uintptr_t)request->data.args[1], length};
  if (process_vm_readv((pid_t)request->pid, &local, 1, &remote, 1, 0) != (ssize_t)length) {
    return Send(request->id, 0, -EFAULT, 0);
  }
  uint64_t id = request->id;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return;
  Continue(request->id);
}

static void Answer(const struct seccomp_notif* request) {
  if (!emulate) return Continue(request->id);
  if (request->data.nr == __NR_connect) return CheckConnect(request);
  char path[PATH_MAX];
  int err = ReadPath((pid_t)request->pid, PathArgument(&request->data), path, sizeof path);
  if (err != 0) return Send(request->id, 0, err, 0);
  uint64_t id = request->id;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return;
  if (IsMediatedOpen(request->data.nr)) return EmulateOpen(request, path);
  Continue(request->id);
}

static void* Serve(void* unused) {
  (void)unused;
  struct seccomp_notif request;
  for (;;) {
    memset(&request, 0, sizeof request);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return NULL;  // the listener is gone with the last target
    }
    Answer(&request);
  }
}

static void SendFd(int socket, int fd) {
  char byte = 0;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof control.space;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  if (sendmsg(socket, &msg, 0) != 1) Die("sendmsg");
}

static int ReceiveFd(int socket) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof control.space;
  if (recvmsg(socket, &msg, MSG_CMSG_CLOEXEC) != 1) Die("recvmsg");
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS) {
    errno = EPROTO;
    Die("no listener received");
  }
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return fd;
}

static void Usage(void) {
  fprintf(stderr, "usage: mediate_floor continue|emulate [-w WORKERS] -- COMMAND [ARG...]\n");
  exit(125);
}

int main(int argc, char** argv) {
  if (argc < 4) Usage();
  if (strcmp(argv[1], "emulate") == 0) {
    emulate = 1;
  } else if (strcmp(argv[1], "continue") != 0) {
    Usage();
  }
  int workers = 4;
  int arg = 2;
  if (strcmp(argv[arg], "-w") == 0) {
    if (arg + 1 >= argc) Usage();
    workers = (int)PositiveArgument(argv[arg + 1], 64);
    if (workers < 0) {
      fprintf(stderr, "mediate_floor: WORKERS must be a number from 1 to 64, not '%s'\n",
              argv[arg + 1]);
      exit(125);
    }
    arg += 2;
  }
  if (strcmp(argv[arg], "--") != 0 || arg + 1 >= argc) Usage();
  char** command = argv + arg + 1;

  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) Die("socketpair");
  pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    close(sockets[0]);
    int fd = InstallFilter();
    SendFd(sockets[1], fd);
    close(fd);
    // The command's own execve is mediated: wait until the supervisor listens.
    char ready;
    if (read(sockets[1], &ready, 1) != 1) _exit(125);
    close(sockets[1]);
    execvp(command[0], command);
    fprintf(stderr, "mediate_floor: %s: %s\n", command[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  close(sockets[1]);
  listener = ReceiveFd(sockets[0]);
  if (ioctl(listener, kNotifSetFlags, kSyncWakeUp) != 0) {
    Die("SECCOMP_IOCTL_NOTIF_SET_FLAGS(SYNC_WAKE_UP)");
  }
  for (int i = 0; i < workers; ++i) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, Serve, NULL) != 0) Die("pthread_create");
    pthread_detach(thread);
  }
  if (write(sockets[0], "", 1) != 1) Die("write");
  close(sockets[0]);
  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) Die("waitpid");
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
