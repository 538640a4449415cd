// probe: attempts one action inside the sandbox and reports what the kernel answered.
//
// usage: probe MODE [ARG...]
// Each action mode prints exactly one line: "ok <detail>" when the call succeeded, or
// "errno <N> <NAME>" when it failed. A mode the seccomp filter kills prints nothing; the caller
// checks the exit status (128 + SIGSYS). Arguments that are wrong on purpose (NULL pointers,
// bad descriptors) make a call the filter lets through fail harmlessly with EFAULT or EBADF,
// so a denial (EPERM, ENOSYS) is told apart from the kernel's own refusal.
//
// The long-running modes (wait-signals, tick, sleep, spawn-sleeper) print progress lines.
// "deny-userns CLONE3_ERRNO COMMAND..." is no probe but a wrapper: it runs COMMAND under a
// seccomp filter that refuses user namespaces the way container runtimes do.
// Built static so it runs in any filesystem view that contains its directory.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

static int Report(long rc, const char* detail) {
  if (rc < 0) {
    int err = errno;
    const char* name = strerrorname_np(err);
    printf("errno %d %s\n", err, name ? name : "?");
  } else if (detail && *detail) {
    printf("ok %s\n", detail);
  } else {
    printf("ok %ld\n", rc);
  }
  fflush(stdout);
  return 0;
}

static int ReportOk(const char* detail) { return Report(0, detail); }

static void Escape(const char* in, size_t len, char* out, size_t out_size) {
  size_t j = 0;
  for (size_t i = 0; i < len && j + 5 < out_size; ++i) {
    unsigned char c = (unsigned char)in[i];
    if (c == '\n') {
      out[j++] = '\\';
      out[j++] = 'n';
    } else if (c < 0x20 || c >= 0x7f) {
      j += (size_t)snprintf(out + j, out_size - j, "\\x%02x", c);
    } else {
      out[j++] = (char)c;
    }
  }
  out[j] = '\0';
}

static int CompareNames(const void* a, const void* b) {
  const char* x = *(const char* const*)a;
  const char* y = *(const char* const*)b;
  char* end_x;
  char* end_y;
  long nx = strtol(x, &end_x, 10);
  long ny = strtol(y, &end_y, 10);
  if (*end_x == '\0' && *end_y == '\0' && *x && *y) return (nx > ny) - (nx < ny);
  return strcmp(x, y);
}

// Lists a directory's entries, sorted, space-separated; `numeric_only` keeps names of digits.
static int ListDirectory(const char* path, int numeric_only, int skip_fd) {
  DIR* dir = opendir(path);
  if (!dir) return Report(-1, NULL);
  char* names[1024];
  size_t count = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL && count < 1024) {
    const char* name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    if (numeric_only && strspn(name, "0123456789") != strlen(name)) continue;
    if (skip_fd >= 0 && atoi(name) == skip_fd) continue;
    names[count++] = strdup(name);
  }
  closedir(dir);
  qsort(names, count, sizeof names[0], CompareNames);
  char line[8192] = "";
  size_t used = 0;
  for (size_t i = 0; i < count; ++i) {
    if (used < sizeof line) {
      used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? " " : "", names[i]);
    }
    free(names[i]);
  }
  printf("ok%s%s\n", count ? " " : "", line);
  fflush(stdout);
  return 0;
}

static int ReadFile(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Report(-1, NULL);
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof buffer);
  int err = errno;
  close(fd);
  if (n < 0) {
    errno = err;
    return Report(-1, NULL);
  }
  char escaped[4 * sizeof buffer + 1];
  Escape(buffer, (size_t)n, escaped, sizeof escaped);
  printf(n ? "ok %s\n" : "ok%s\n", escaped);
  fflush(stdout);
  return 0;
}

static int WriteFile(const char* path, const char* text, int flags) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
  if (fd < 0) return Report(-1, NULL);
  ssize_t n = write(fd, text, strlen(text));
  int err = errno;
  close(fd);
  errno = err;
  return Report(n < 0 ? -1 : 0, "written");
}

static int ProcStatusLines(void) {
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return Report(-1, NULL);
  static const char* const kKeys[] = {"CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs",
                                      "Seccomp"};
  char line[256];
  char out[1024] = "";
  size_t used = 0;
  while (fgets(line, sizeof line, f)) {
    for (size_t i = 0; i < sizeof kKeys / sizeof kKeys[0]; ++i) {
      size_t len = strlen(kKeys[i]);
      if (strncmp(line, kKeys[i], len) != 0 || line[len] != ':') continue;
      const char* value = line + len + 1;
      while (*value == ' ' || *value == '\t') ++value;
      used += (size_t)snprintf(out + used, sizeof out - used, "%s%s=%.*s", used ? " " : "",
                               kKeys[i], (int)strcspn(value, "\n"), value);
    }
  }
  fclose(f);
  return ReportOk(out);
}

static int X32Getpid(void) { return Report(syscall(__X32_SYSCALL_BIT | SYS_getpid), NULL); }

static int Int80Getpid(void) {
  long rc;
  // i386 getpid is 20: the filter sees AUDIT_ARCH_I386.
  __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
  if (rc < 0 && rc > -4096) {
    errno = (int)-rc;
    return Report(-1, NULL);
  }
  return Report(rc, NULL);
}

static int Tiocsti(int fd, unsigned long command) {
  char c = 'x';
  return Report(syscall(SYS_ioctl, fd, command, &c), "injected");
}

// A pty of the probe's own, made its controlling terminal, so that only the filter stands
// between the probe and TIOCSTI (the kernel allows it on one's own controlling terminal).
static int TiocstiOwnPty(unsigned long high_bits) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Report(-1, NULL);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) return Report(-1, NULL);
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_CLOEXEC);
  if (slave < 0) return Report(-1, NULL);
  if (getsid(0) != getpid() && setsid() < 0) return Report(-1, NULL);
  if (ioctl(slave, TIOCSCTTY, 0) != 0) return Report(-1, NULL);
  return Tiocsti(slave, TIOCSTI | high_bits);
}

static int Connect(const char* address, const char* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
  if (inet_pton(AF_INET, address, &sin.sin_addr) != 1) {
    errno = EINVAL;
    return Report(-1, NULL);
  }
  return Report(connect(fd, (struct sockaddr*)&sin, sizeof sin), "connected");
}

static int ConnectAbstract(const char* name) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  size_t len = strnlen(name, sizeof sun.sun_path - 2);
  memcpy(sun.sun_path + 1, name, len);
  return Report(connect(fd, (struct sockaddr*)&sun,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)),
                "connected");
}

static int NetworkInterfaces(void) {
  struct if_nameindex* list = if_nameindex();
  if (!list) return Report(-1, NULL);
  char out[1024] = "";
  size_t used = 0;
  for (struct if_nameindex* i = list; i->if_index != 0; ++i) {
    used += (size_t)snprintf(out + used, sizeof out - used, "%s%s", used ? " " : "", i->if_name);
  }
  if_freenameindex(list);
  return ReportOk(out);
}

static int CloneNewUser(void) {
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return Report(pid < 0 ? -1 : 0, "cloned");
}

static int Clone3(void) {
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } args = {.exit_signal = SIGCHLD};
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return Report(pid < 0 ? -1 : 0, "cloned");
}

static int SeccompListener(void) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog program = {1, &allow};
  return Report(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                        &program),
                "listener");
}

static int SeccompStack(void) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog program = {1, &allow};
  return Report(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program), "stacked");
}

static int ProcessVmWritev(void) {
  char source[1] = {'x'};
  char target[1] = {0};
  struct iovec local = {source, 1};
  struct iovec remote = {target, 1};
  return Report(process_vm_writev(getpid(), &local, 1, &remote, 1, 0), NULL);
}

static int PtraceTraceme(void) {
  pid_t child = fork();
  if (child == 0) {
    long rc = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    _exit(rc == 0 ? 0 : errno);
  }
  int status = 0;
  waitpid(child, &status, 0);
  int err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
  if (err == 0) return ReportOk("traced");
  errno = err;
  return Report(-1, NULL);
}

static int WaitSignals(void) {
  static const int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGWINCH};
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i) sigaddset(&set, kSignals[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig < 0) continue;
    printf("signal %s\n", sigabbrev_np(sig));
    fflush(stdout);
    if (sig == SIGTERM) return 0;
  }
}

_Noreturn static void Tick(void) {
  for (unsigned long n = 0;; ++n) {
    printf("tick %lu\n", n);
    fflush(stdout);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
}

_Noreturn static void SleepForever(void) {
  for (;;) pause();
}

// Leaves a process behind in a session of its own (out of reach of a process-group kill),
// with TOKEN in its command line so the host can look for it.
static int SpawnSleeper(const char* token) {
  int exec_done[2];  // close-on-exec: EOF once the grandchild runs "probe sleep TOKEN"
  if (pipe2(exec_done, O_CLOEXEC) != 0) return Report(-1, NULL);
  pid_t child = fork();
  if (child < 0) return Report(-1, NULL);
  if (child == 0) {
    setsid();
    pid_t grandchild = fork();
    if (grandchild == 0) {
      execl("/proc/self/exe", "probe", "sleep", token, (char*)NULL);
      _exit(127);
    }
    close(exec_done[1]);
    char byte;
    while (read(exec_done[0], &byte, 1) > 0) {
    }
    _exit(0);
  }
  close(exec_done[0]);
  close(exec_done[1]);
  waitpid(child, NULL, 0);
  printf("spawned\n");
  fflush(stdout);
  SleepForever();
}

// Runs COMMAND under a seccomp filter like Docker's default profile: clone3 fails with
// `clone3_errno` (its flags are out of the filter's sight), clone and unshare fail with EPERM
// when asked for a user namespace. Everything else is allowed.
static int DenyUserNamespaces(int clone3_errno, char** command) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((uint32_t)clone3_errno & SECCOMP_RET_DATA)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
    perror("probe deny-userns: installing the filter");
    return 125;
  }
  execvp(command[0], command);
  perror("probe deny-userns: exec");
  return 127;
}

static int Dispatch(int argc, char** argv);

struct ThreadArgs {
  int argc;
  char** argv;
};

static void* ThreadMain(void* raw) {
  struct ThreadArgs* args = raw;
  Dispatch(args->argc, args->argv);
  return NULL;
}

#define NEED(n)                                                  \
  do {                                                           \
    if (argc < (n) + 1) {                                        \
      fprintf(stderr, "probe %s: %d argument(s) needed\n", mode, (n)); \
      return 2;                                                  \
    }                                                            \
  } while (0)

static int Dispatch(int argc, char** argv) {
  if (argc < 1) {
    fprintf(stderr, "usage: probe MODE [ARG...]\n");
    return 2;
  }
  const char* mode = argv[0];
#define IS(name) (strcmp(mode, name) == 0)
  // Files.
  if (IS("read")) { NEED(1); return ReadFile(argv[1]); }
  if (IS("write")) { NEED(2); return WriteFile(argv[1], argv[2], O_CREAT | O_TRUNC); }
  if (IS("append")) { NEED(2); return WriteFile(argv[1], argv[2], O_APPEND); }
  if (IS("open-write")) {  // opens for writing and writes nothing
    NEED(1);
    int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
    if (fd >= 0) close(fd);
    return Report(fd, "opened");
  }
  if (IS("create")) { NEED(1); return WriteFile(argv[1], "", O_CREAT | O_EXCL); }
  if (IS("truncate")) { NEED(1); return Report(truncate(argv[1], 0), "truncated"); }
  if (IS("unlink")) { NEED(1); return Report(unlink(argv[1]), "unlinked"); }
  if (IS("rename")) { NEED(2); return Report(rename(argv[1], argv[2]), "renamed"); }
  if (IS("link")) { NEED(2); return Report(link(argv[1], argv[2]), "linked"); }
  if (IS("symlink")) { NEED(2); return Report(symlink(argv[1], argv[2]), "linked"); }
  if (IS("mkdir")) { NEED(1); return Report(mkdir(argv[1], 0755), "created"); }
  if (IS("rmdir")) { NEED(1); return Report(rmdir(argv[1]), "removed"); }
  if (IS("chmod")) { NEED(1); return Report(chmod(argv[1], 0777), "changed"); }
  if (IS("list")) { NEED(1); return ListDirectory(argv[1], 0, -1); }
  if (IS("exists")) {
    NEED(1);
    struct stat st = {0};
    return Report(lstat(argv[1], &st), S_ISDIR(st.st_mode) ? "directory" : "file");
  }
  // Process state.
  if (IS("fds")) {
    // The descriptor opendir uses is the lowest free one; open it first to know which.
    int probe_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (probe_fd < 0) return Report(-1, NULL);
    close(probe_fd);
    return ListDirectory("/proc/self/fd", 1, probe_fd);
  }
  if (IS("caps")) return ProcStatusLines();
  if (IS("ids")) {
    char out[128];
    snprintf(out, sizeof out, "pid=%d ppid=%d uid=%d gid=%d", getpid(), getppid(), getuid(),
             getgid());
    return ReportOk(out);
  }
  if (IS("procs")) return ListDirectory("/proc", 1, -1);
  if (IS("hostname")) {
    char name[256] = "";
    return Report(gethostname(name, sizeof name), name);
  }
  if (IS("isatty")) {
    char out[64];
    snprintf(out, sizeof out, "0=%d 1=%d 2=%d", isatty(0), isatty(1), isatty(2));
    return ReportOk(out);
  }
  if (IS("cwd")) {
    char cwd[4096];
    return Report(getcwd(cwd, sizeof cwd) ? 0 : -1, cwd);
  }
  if (IS("env")) {
    NEED(1);
    const char* value = getenv(argv[1]);
    if (!value) {
      errno = ENOENT;
      return Report(-1, NULL);
    }
    return ReportOk(value);
  }
  // Network.
  if (IS("netifs")) return NetworkInterfaces();
  if (IS("connect")) { NEED(2); return Connect(argv[1], argv[2]); }
  if (IS("connect-abstract")) { NEED(1); return ConnectAbstract(argv[1]); }
  // Architecture and filter prologue.
  if (IS("x32-getpid")) return X32Getpid();
  if (IS("int80-getpid")) return Int80Getpid();
  if (IS("tiocsti")) return Tiocsti(0, TIOCSTI);
  if (IS("tiocsti-highbits")) return Tiocsti(0, TIOCSTI | (1UL << 32));
  if (IS("tiocsti-own-pty")) return TiocstiOwnPty(0);
  if (IS("tiocsti-own-pty-highbits")) return TiocstiOwnPty(1UL << 32);
  if (IS("tioclinux")) {
    char subcode = 0;  // TIOCL_GETSHIFTSTATE-like read, harmless where allowed
    return Report(syscall(SYS_ioctl, 0, TIOCLINUX, &subcode), NULL);
  }
  if (IS("personality")) {
    NEED(1);
    return Report(syscall(SYS_personality, strtoul(argv[1], NULL, 0)), NULL);
  }
  // Other processes.
  if (IS("ptrace-traceme")) return PtraceTraceme();
  if (IS("ptrace-attach")) { NEED(1); return Report(ptrace(PTRACE_ATTACH, atoi(argv[1]), 0, 0), "attached"); }
  if (IS("process-vm-writev")) return ProcessVmWritev();
  if (IS("pidfd-getfd")) return Report(syscall(SYS_pidfd_getfd, -1, 0, 0), NULL);
  if (IS("kill")) { NEED(2); return Report(kill(atoi(argv[1]), atoi(argv[2])), "sent"); }
  // Namespaces and mounts.
  if (IS("unshare-user")) return Report(unshare(CLONE_NEWUSER), "unshared");
  if (IS("unshare-mount")) return Report(unshare(CLONE_NEWNS), "unshared");
  if (IS("unshare-net")) return Report(unshare(CLONE_NEWNET), "unshared");
  if (IS("clone-newuser")) return CloneNewUser();
  if (IS("clone3")) return Clone3();
  if (IS("setns")) return Report(setns(-1, 0), NULL);
  if (IS("mount")) return Report(mount("none", "/tmp", "tmpfs", 0, NULL), "mounted");
  if (IS("umount")) return Report(umount2("/tmp", MNT_DETACH), "unmounted");
  if (IS("pivot-root")) return Report(syscall(SYS_pivot_root, ".", "."), "pivoted");
  if (IS("chroot")) return Report(chroot("/"), "chrooted");
  if (IS("open-tree")) return Report(syscall(SYS_open_tree, AT_FDCWD, "/", 0), NULL);
  if (IS("open-by-handle-at")) return Report(syscall(SYS_open_by_handle_at, -1, NULL, 0), NULL);
  if (IS("name-to-handle-at")) {
    return Report(syscall(SYS_name_to_handle_at, AT_FDCWD, "/", NULL, NULL, 0), NULL);
  }
  // Kernel interfaces.
  if (IS("bpf")) return Report(syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0), NULL);
  if (IS("perf-event-open")) return Report(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), NULL);
  if (IS("userfaultfd")) return Report(syscall(SYS_userfaultfd, 0), NULL);
  if (IS("io-uring-setup")) return Report(syscall(SYS_io_uring_setup, 1, NULL), NULL);
  if (IS("keyctl")) return Report(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, 0, 0), NULL);
  if (IS("add-key")) return Report(syscall(SYS_add_key, NULL, NULL, NULL, 0, 0), NULL);
  if (IS("kexec-load")) return Report(syscall(SYS_kexec_load, 0, 0, NULL, 0), NULL);
  if (IS("init-module")) return Report(syscall(SYS_init_module, NULL, 0, ""), NULL);
  if (IS("finit-module")) return Report(syscall(SYS_finit_module, -1, "", 0), NULL);
  if (IS("delete-module")) return Report(syscall(SYS_delete_module, "aarm_none", 0), NULL);
  if (IS("acct")) return Report(syscall(SYS_acct, NULL), NULL);
  if (IS("swapon")) return Report(syscall(SYS_swapon, "/nonexistent", 0), NULL);
  if (IS("reboot")) return Report(syscall(SYS_reboot, 0, 0, 0, NULL), NULL);
  if (IS("settimeofday")) return Report(syscall(SYS_settimeofday, NULL, NULL), NULL);
  if (IS("clock-settime")) return Report(syscall(SYS_clock_settime, CLOCK_REALTIME, NULL), NULL);
  if (IS("sethostname")) return Report(sethostname("escaped", 7), "set");
  if (IS("seccomp-listener")) return SeccompListener();
  if (IS("seccomp-stack")) return SeccompStack();
  if (IS("syscall")) { NEED(1); return Report(syscall(strtol(argv[1], NULL, 0), 0, 0, 0), NULL); }
  // Long-running.
  if (IS("wait-signals")) return WaitSignals();
  if (IS("tick")) Tick();
  if (IS("sleep")) SleepForever();
  if (IS("spawn-sleeper")) { NEED(1); return SpawnSleeper(argv[1]); }
  // A wrapper, not a probe: deny-userns CLONE3_ERRNO COMMAND...
  if (IS("deny-userns")) { NEED(2); return DenyUserNamespaces(atoi(argv[1]), argv + 2); }
  // The same attempt from another process or another thread of this one.
  if (IS("child")) {
    NEED(1);
    pid_t child = fork();
    if (child == 0) _exit(Dispatch(argc - 1, argv + 1));
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) {
      printf("killed %s\n", sigabbrev_np(WTERMSIG(status)));
      fflush(stdout);
    }
    return 0;
  }
  if (IS("thread")) {
    NEED(1);
    pthread_t thread;
    struct ThreadArgs args = {argc - 1, argv + 1};
    if ((errno = pthread_create(&thread, NULL, ThreadMain, &args)) != 0) return Report(-1, NULL);
    pthread_join(thread, NULL);
    return 0;
  }
#undef IS
  fprintf(stderr, "probe: unknown mode %s\n", mode);
  return 2;
}

int main(int argc, char** argv) { return Dispatch(argc - 1, argv + 1); }
