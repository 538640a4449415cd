// probe: attempts one action inside the sandbox and reports what the kernel answered.
//
// usage: probe MODE [ARG...]
// Each action mode prints exactly one line: "ok <detail>" when the call succeeded, or
// "errno <N> <NAME>" when it failed. A mode the seccomp filter kills prints nothing; the caller
// checks the exit status (128 + SIGSYS). Arguments that are wrong on purpose (NULL pointers,
// bad descriptors) make a call the filter lets through fail harmlessly with EFAULT or EBADF,
// so a denial (EPERM, ENOSYS) is told apart from the kernel's own refusal.
//
// The long-running modes (wait-signals, tick, sleep, spawn-sleeper) print progress lines; the
// race modes (open-race, open-loop, exec-race, connect-race, send-race) print one "ok" line of
// counts; signal-storm and symlink-swap run until killed.
// "deny-userns CLONE3_ERRNO COMMAND..." is no probe but a wrapper: it runs COMMAND under a
// seccomp filter that refuses user namespaces the way container runtimes do.
// Built static so it runs in any filesystem view that contains its directory.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
// After sys/socket.h, whose types it uses.
#include <linux/vm_sockets.h>
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

static const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "?";
}

static int Report(long rc, const char* detail) {
  if (rc < 0) {
    int err = errno;
    printf("errno %d %s\n", err, ErrnoName(err));
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

// ADDRESS (IPv4, or IPv6 when it holds a ':') and PORT as a sockaddr of that family.
static int ParseAddress(const char* address, const char* port, struct sockaddr_storage* out,
                        socklen_t* length) {
  memset(out, 0, sizeof *out);
  uint16_t number = htons((uint16_t)atoi(port));
  if (strchr(address, ':')) {
    struct sockaddr_in6* in6 = (struct sockaddr_in6*)out;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = number;
    *length = sizeof *in6;
    return inet_pton(AF_INET6, address, &in6->sin6_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in* in = (struct sockaddr_in*)out;
  in->sin_family = AF_INET;
  in->sin_port = number;
  *length = sizeof *in;
  return inet_pton(AF_INET, address, &in->sin_addr) == 1 ? 0 : -1;
}

static int AddressedSocket(const char* address, const char* port, int type,
                           struct sockaddr_storage* target, socklen_t* length) {
  if (ParseAddress(address, port, target, length) != 0) {
    errno = EINVAL;
    return -1;
  }
  return socket(target->ss_family, type | SOCK_CLOEXEC, 0);
}

// connect-ip ADDRESS PORT [nonblock]: a TCP connect of a socket of the address's family.
static int ConnectIp(const char* address, const char* port, int nonblocking) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0),
                           &target, &length);
  if (fd < 0) return Report(-1, NULL);
  return Report(connect(fd, (struct sockaddr*)&target, length), "connected");
}

// udp-connect ADDRESS PORT
static int UdpConnect(const char* address, const char* port) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_DGRAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  return Report(connect(fd, (struct sockaddr*)&target, length), "connected");
}

// udp-send HOW ADDRESS PORT TEXT: one datagram by sendto, sendmsg or sendmmsg.
static int UdpSend(const char* how, const char* address, const char* port, const char* text) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_DGRAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  struct iovec piece = {(void*)text, strlen(text)};
  struct msghdr message = {.msg_name = &target, .msg_namelen = length, .msg_iov = &piece,
                           .msg_iovlen = 1};
  if (strcmp(how, "sendto") == 0) {
    return Report(sendto(fd, text, strlen(text), 0, (struct sockaddr*)&target, length), NULL);
  }
  if (strcmp(how, "sendmsg") == 0) return Report(sendmsg(fd, &message, 0), NULL);
  struct mmsghdr messages[2] = {{.msg_hdr = message}, {.msg_hdr = message}};
  messages[1].msg_hdr.msg_name = NULL;
  messages[1].msg_hdr.msg_namelen = 0;
  int sent = sendmmsg(fd, messages, 2, 0);
  if (sent < 0) return Report(-1, NULL);
  char out[64];
  snprintf(out, sizeof out, "sent=%d len=%u", sent, messages[0].msg_len);
  return ReportOk(out);
}

// bind-ip ADDRESS PORT: a TCP socket bound there, then listening.
static int BindIp(const char* address, const char* port) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_STREAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  if (bind(fd, (struct sockaddr*)&target, length) != 0) return Report(-1, NULL);
  return Report(listen(fd, 1), "bound");
}

// listen-unbound: listen(2) on a TCP socket never bound, which binds it to a port on every
// address.
static int ListenUnbound(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  return Report(listen(fd, 1), "listening");
}

static socklen_t UnixAddress(const char* path, struct sockaddr_un* out) {
  memset(out, 0, sizeof *out);
  out->sun_family = AF_UNIX;
  size_t len = strnlen(path, sizeof out->sun_path - 1);
  memcpy(out->sun_path, path, len);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

// connect-unix PATH
static int ConnectUnix(const char* path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  struct sockaddr_un address;
  socklen_t length = UnixAddress(path, &address);
  return Report(connect(fd, (struct sockaddr*)&address, length), "connected");
}

// unix-dgram PATH TEXT: one datagram to a unix socket by its path.
static int UnixDatagram(const char* path, const char* text) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  struct sockaddr_un address;
  socklen_t length = UnixAddress(path, &address);
  return Report(sendto(fd, text, strlen(text), 0, (struct sockaddr*)&address, length), NULL);
}

// vsock bind|connect PORT: a vsock stream socket bound to PORT on any CID, or connected to the
// host (CID 2) on PORT. "errno 97 EAFNOSUPPORT" where the kernel has no vsock.
static int Vsock(const char* how, const char* port) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  struct sockaddr_vm address;
  memset(&address, 0, sizeof address);
  address.svm_family = AF_VSOCK;
  address.svm_port = (unsigned)atoi(port);
  if (strcmp(how, "bind") == 0) {
    address.svm_cid = VMADDR_CID_ANY;
    if (bind(fd, (struct sockaddr*)&address, sizeof address) != 0) return Report(-1, NULL);
    return Report(listen(fd, 1), "listening");
  }
  address.svm_cid = VMADDR_CID_HOST;
  return Report(connect(fd, (struct sockaddr*)&address, sizeof address), "connected");
}

// bind-unix PATH: binds a unix stream socket to PATH.
static int BindUnix(const char* path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  struct sockaddr_un address;
  socklen_t length = UnixAddress(path, &address);
  return Report(bind(fd, (struct sockaddr*)&address, length), "bound");
}

// pass-fd ok|CLAIM: sends one datagram carrying the read end of a pipe (SCM_RIGHTS) over a
// socketpair, receives it at the other end and reads "marker" through the descriptor received.
// With a number CLAIM the control header says it is CLAIM bytes long while the buffer holds
// one descriptor; 2000 descriptors are opened first, so that a reader trusting the claim finds
// real ones past the buffer.
static int PassFd(const char* claim) {
  int pair[2], pipe_fds[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0) return Report(-1, NULL);
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Report(-1, NULL);
  if (write(pipe_fds[1], "marker", 6) != 6) return Report(-1, NULL);
  int lying = strcmp(claim, "ok") != 0;
  if (lying) {
    for (int i = 0; i < 2000; ++i) {
      if (dup(pipe_fds[0]) < 0) break;
    }
  }
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct cmsghdr* header = &control.align;
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = lying ? (size_t)atol(claim) : CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &pipe_fds[0], sizeof(int));
  char byte = 'x';
  struct iovec piece = {&byte, 1};
  struct msghdr message = {0};
  message.msg_iov = &piece;
  message.msg_iovlen = 1;
  message.msg_control = control.buffer;
  message.msg_controllen = sizeof control.buffer;
  if (sendmsg(pair[0], &message, 0) < 0) return Report(-1, NULL);
  memset(&control, 0, sizeof control);
  if (recvmsg(pair[1], &message, 0) < 0) return Report(-1, NULL);
  if (message.msg_controllen < CMSG_LEN(sizeof(int)) || header->cmsg_type != SCM_RIGHTS) {
    return ReportOk("passed nothing");
  }
  int received;
  memcpy(&received, CMSG_DATA(header), sizeof received);
  char text[16] = "";
  ssize_t n = read(received, text, sizeof text - 1);
  if (n < 0) return Report(-1, NULL);
  text[n] = '\0';
  char out[64];
  snprintf(out, sizeof out, "passed %s", text);
  return ReportOk(out);
}

// 0, or the errno of a sendmsg(2) of one byte, with SCM_CREDENTIALS naming `pid` and the
// probe's uid and gid when `with_credentials`.
static int CredentialSend(int fd, pid_t pid, int with_credentials) {
  union {
    char buffer[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct ucred credentials = {pid, getuid(), getgid()};
  control.align.cmsg_level = SOL_SOCKET;
  control.align.cmsg_type = SCM_CREDENTIALS;
  control.align.cmsg_len = CMSG_LEN(sizeof credentials);
  memcpy(CMSG_DATA(&control.align), &credentials, sizeof credentials);
  char byte = 'x';
  struct iovec piece = {&byte, 1};
  struct msghdr message = {.msg_iov = &piece, .msg_iovlen = 1};
  if (with_credentials) {
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
  }
  return sendmsg(fd, &message, 0) == 1 ? 0 : errno;
}

// pass-cred FILE: prints "ready", waits (10 s at most) for FILE holding a pid, then over a
// unix datagram socketpair whose receiver asks for credentials (SO_PASSCRED) sends one datagram
// with SCM_CREDENTIALS naming that pid, one naming the probe's own, and one with none.
// Reports how each send ended and how many datagrams arrived.
static int PassCredentials(const char* pid_path) {
  printf("ready\n");
  fflush(stdout);
  FILE* file = NULL;
  for (int i = 0; i < 1000 && !(file = fopen(pid_path, "re")); ++i) usleep(10000);
  if (!file) return Report(-1, NULL);
  int claimed = 0;
  int scanned = fscanf(file, "%d", &claimed);
  fclose(file);
  if (scanned != 1) return Report(-1, NULL);
  int pair[2], on = 1;
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0) return Report(-1, NULL);
  if (setsockopt(pair[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) return Report(-1, NULL);
  int named = CredentialSend(pair[0], claimed, 1);
  int own = CredentialSend(pair[0], getpid(), 1);
  int plain = CredentialSend(pair[0], 0, 0);
  long received = 0;
  char byte;
  while (recv(pair[1], &byte, 1, MSG_DONTWAIT) == 1) ++received;
  char out[128];
  snprintf(out, sizeof out, "named=%s own=%s plain=%s received=%ld",
           named ? ErrnoName(named) : "sent", own ? ErrnoName(own) : "sent",
           plain ? ErrnoName(plain) : "sent", received);
  return ReportOk(out);
}

// udp-batch ADDRESS FIRST SECOND: one sendmmsg(2) of two datagrams, "one" to ADDRESS:FIRST and
// "two" to ADDRESS:SECOND, on one unconnected socket; the messages it did not send go again in
// a second sendmmsg, as a program retrying the rest does. Reports the first call's count, each
// message's msg_len, and what the second call answered ("none" when not needed).
static int UdpBatch(const char* address, const char* first, const char* second) {
  struct sockaddr_storage targets[2];
  socklen_t lengths[2];
  if (ParseAddress(address, first, &targets[0], &lengths[0]) != 0 ||
      ParseAddress(address, second, &targets[1], &lengths[1]) != 0) {
    errno = EINVAL;
    return Report(-1, NULL);
  }
  int fd = socket(targets[0].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  static const char* const kTexts[2] = {"one", "two"};
  struct iovec pieces[2];
  struct mmsghdr messages[2];
  memset(messages, 0, sizeof messages);
  for (int i = 0; i < 2; ++i) {
    pieces[i].iov_base = (void*)kTexts[i];
    pieces[i].iov_len = strlen(kTexts[i]);
    messages[i].msg_hdr.msg_name = &targets[i];
    messages[i].msg_hdr.msg_namelen = lengths[i];
    messages[i].msg_hdr.msg_iov = &pieces[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  int sent = sendmmsg(fd, messages, 2, 0);
  if (sent < 0) return Report(-1, NULL);
  char rest[32] = "none";
  if (sent < 2) {
    int again = sendmmsg(fd, messages + sent, (unsigned)(2 - sent), 0);
    if (again < 0) {
      snprintf(rest, sizeof rest, "%s", ErrnoName(errno));
    } else {
      snprintf(rest, sizeof rest, "%d", again);
    }
  }
  char out[96];
  snprintf(out, sizeof out, "sent=%d len=%u,%u rest=%s", sent, messages[0].msg_len,
           messages[1].msg_len, rest);
  return ReportOk(out);
}

// tfo-sendto ADDRESS PORT TEXT: TEXT by sendto(MSG_FASTOPEN) on a TCP socket never connected,
// which connects it to ADDRESS:PORT (TCP Fast Open: the data may ride on the SYN).
static int TfoSendto(const char* address, const char* port, const char* text) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_STREAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  return Report(sendto(fd, text, strlen(text), MSG_FASTOPEN, (struct sockaddr*)&target, length),
                NULL);
}

// tfo-connect ADDRESS PORT TEXT: connect(2) of a TCP socket with TCP_FASTOPEN_CONNECT, which
// lets the kernel hold the handshake back until the first write; then TEXT by write(2).
static int TfoConnect(const char* address, const char* port, const char* text) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_STREAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  int on = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &on, sizeof on) != 0) {
    return Report(-1, NULL);
  }
  if (connect(fd, (struct sockaddr*)&target, length) != 0) return Report(-1, NULL);
  return Report(write(fd, text, strlen(text)), NULL);
}

// zerocopy ADDRESS PORT TEXT: TEXT by sendto(MSG_ZEROCOPY) on a UDP socket with SO_ZEROCOPY,
// then the completions its error queue receives within half a second: the kernel posts one
// for each send that lent it the sender's pages.
static int ZeroCopy(const char* address, const char* port, const char* text) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_DGRAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &on, sizeof on) != 0) return Report(-1, NULL);
  ssize_t sent =
      sendto(fd, text, strlen(text), MSG_ZEROCOPY, (struct sockaddr*)&target, length);
  if (sent < 0) return Report(-1, NULL);
  long completions = 0;
  struct pollfd ready = {fd, 0, 0};
  while (poll(&ready, 1, 500) > 0) {
    char control[256];
    struct msghdr message = {.msg_control = control, .msg_controllen = sizeof control};
    if (recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
      struct sock_extended_err error;
      if (c->cmsg_len < CMSG_LEN(sizeof error)) continue;
      memcpy(&error, CMSG_DATA(c), sizeof error);
      if (error.ee_origin == SO_EE_ORIGIN_ZEROCOPY) completions += error.ee_data - error.ee_info + 1;
    }
  }
  char out[64];
  snprintf(out, sizeof out, "sent=%zd completions=%ld", sent, completions);
  return ReportOk(out);
}

// tfo-sendmsg / tfo-sendmmsg ADDRESS PORT TEXT: as tfo-sendto, by sendmsg(2) or by a
// sendmmsg(2) of one message; the address rides in the message header, out of the filter's
// sight. sendmmsg answers the number of messages sent.
static int TfoSendMessage(int batch, const char* address, const char* port, const char* text) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_STREAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  struct iovec piece = {(void*)text, strlen(text)};
  struct mmsghdr message = {.msg_hdr = {.msg_name = &target, .msg_namelen = length,
                                        .msg_iov = &piece, .msg_iovlen = 1}};
  if (batch) return Report(sendmmsg(fd, &message, 1, MSG_FASTOPEN), NULL);
  return Report(sendmsg(fd, &message.msg_hdr, MSG_FASTOPEN), NULL);
}

// A segment routing header (type 4) of two segments: the packet goes to FIRST, then to ::1.
// The kernel takes it from any user by setsockopt(IPV6_RTHDR).
static int SegmentRoutingHeader(const char* first, unsigned char out[40]) {
  memset(out, 0, 40);
  out[1] = 4;  // length: 4 units of 8 bytes after the first 8
  out[2] = 4;  // type
  out[3] = 1;  // segments left: the packet goes to segment 1 first
  out[4] = 1;  // last entry
  if (inet_pton(AF_INET6, "::1", out + 8) != 1 || inet_pton(AF_INET6, first, out + 24) != 1) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

// A type 2 routing header (Mobile IPv6) naming ADDRESS: the kind the kernel takes from a
// control message where it has Mobile IPv6, and sends the packet to ADDRESS.
static int Type2RoutingHeader(const char* address, unsigned char out[24]) {
  memset(out, 0, 24);
  out[1] = 2;  // length
  out[2] = 2;  // type
  out[3] = 1;  // segments left
  if (inet_pton(AF_INET6, address, out + 8) != 1) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

// rthdr-send HOW PORT FIRST TEXT: a socket to [::1]:PORT with a routing header whose first
// segment is FIRST (setsockopt IPV6_RTHDR). HOW: sendto (UDP, TEXT to the address), write (UDP
// connected first, then TEXT by write(2)) or tcp (a non-blocking connect, given 3 s). Reports
// what the setsockopt answered (set, or the errno's name) and then the send's byte count, or
// "connected" / "timeout", or the errno's name.
static int RthdrSend(const char* how, const char* port, const char* first, const char* text) {
  struct sockaddr_storage target;
  socklen_t length;
  int tcp = strcmp(how, "tcp") == 0;
  int fd = AddressedSocket("::1", port, tcp ? SOCK_STREAM | SOCK_NONBLOCK : SOCK_DGRAM, &target,
                           &length);
  if (fd < 0) return Report(-1, NULL);
  if (strcmp(how, "write") == 0 && connect(fd, (struct sockaddr*)&target, length) != 0) {
    return Report(-1, NULL);
  }
  unsigned char header[40];
  if (SegmentRoutingHeader(first, header) != 0) return Report(-1, NULL);
  const char* rthdr = "set";
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, header, sizeof header) != 0) {
    rthdr = ErrnoName(errno);
  }
  long rc;
  char result[32];
  if (tcp) {
    rc = connect(fd, (struct sockaddr*)&target, length);
    if (rc != 0 && errno == EINPROGRESS) {
      struct pollfd ready = {fd, POLLOUT, 0};
      int error = 0;
      socklen_t size = sizeof error;
      if (poll(&ready, 1, 3000) == 0) {
        rc = -1;
        errno = ETIMEDOUT;
      } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0) {
        rc = error ? -1 : 0;
        errno = error;
      }
    }
    snprintf(result, sizeof result, "%s", rc == 0 ? "connected" : ErrnoName(errno));
  } else {
    rc = strcmp(how, "write") == 0
             ? write(fd, text, strlen(text))
             : sendto(fd, text, strlen(text), 0, (struct sockaddr*)&target, length);
    if (rc < 0) {
      snprintf(result, sizeof result, "%s", ErrnoName(errno));
    } else {
      snprintf(result, sizeof result, "sent=%ld", rc);
    }
  }
  char out[96];
  snprintf(out, sizeof out, "rthdr=%s %s", rthdr, result);
  return ReportOk(out);
}

// setsockopt-ipv6 OPTION HIGH: setsockopt(2) at level IPPROTO_IPV6 of IPV6_RTHDR (a segment
// routing header to fd00::99), IPV6_2292RTHDR (1) or IPV6_2292PKTOPTIONS (a control message
// holding a type 2 routing header to fd00::99), by its number. HIGH 1 sets the upper 32 bits
// of the level and the option, which the kernel does not read.
static int SetsockoptIpv6(const char* option, const char* high) {
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Report(-1, NULL);
  long name = strtol(option, NULL, 0);
  unsigned long upper = strcmp(high, "1") == 0 ? 1UL << 32 : 0;
  union {
    unsigned char bytes[CMSG_SPACE(24)];
    struct cmsghdr align;
  } value;
  memset(&value, 0, sizeof value);
  socklen_t size = sizeof(int);
  if (name == IPV6_RTHDR) {
    if (SegmentRoutingHeader("fd00::99", value.bytes) != 0) return Report(-1, NULL);
    size = 40;
  } else if (name == IPV6_2292PKTOPTIONS) {
    value.align.cmsg_level = IPPROTO_IPV6;
    value.align.cmsg_type = IPV6_RTHDR;
    value.align.cmsg_len = CMSG_LEN(24);
    if (Type2RoutingHeader("fd00::99", CMSG_DATA(&value.align)) != 0) return Report(-1, NULL);
    size = sizeof value.bytes;
  } else {
    value.bytes[0] = 1;
  }
  return Report(syscall(SYS_setsockopt, fd, upper | IPPROTO_IPV6, upper | (unsigned long)name,
                        value.bytes, size),
                "set");
}

// udp-cmsg ADDRESS PORT LEVEL TYPE HEX TEXT: TEXT by sendmsg(2) on a UDP socket, to
// ADDRESS:PORT, with one control message of LEVEL and TYPE (numbers) whose data is HEX, or
// with a type 2 routing header to the address HEX names when HEX starts with "rt2:".
static int UdpControl(const char* address, const char* port, const char* level,
                      const char* type, const char* hex, const char* text) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_DGRAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  union {
    unsigned char bytes[CMSG_SPACE(64)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  size_t size = 0;
  if (strncmp(hex, "rt2:", 4) == 0) {
    if (Type2RoutingHeader(hex + 4, CMSG_DATA(&control.align)) != 0) return Report(-1, NULL);
    size = 24;
  } else {
    for (; hex[0] && hex[1] && size < 64; hex += 2) {
      char pair[3] = {hex[0], hex[1], 0};
      CMSG_DATA(&control.align)[size++] = (unsigned char)strtoul(pair, NULL, 16);
    }
  }
  control.align.cmsg_level = atoi(level);
  control.align.cmsg_type = atoi(type);
  control.align.cmsg_len = CMSG_LEN(size);
  struct iovec piece = {(void*)text, strlen(text)};
  struct msghdr message = {.msg_name = &target, .msg_namelen = length, .msg_iov = &piece,
                           .msg_iovlen = 1, .msg_control = control.bytes,
                           .msg_controllen = CMSG_SPACE(size)};
  return Report(sendmsg(fd, &message, 0), NULL);
}

// A descriptor of the probe's own moved up to 900 or beyond, out of the way of the numbers a
// test lists.
static int MoveHigh(int fd) {
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
  close(fd);
  return high;
}

// pass-unheld LIST: prints "ready", waits (10 s at most) for the file LIST of descriptor
// numbers, then for each number the probe does not hold sends two datagrams over a socketpair
// passing it (SCM_RIGHTS): one with that number alone, one with an open pipe end before it.
// The kernel refuses both: EBADF. Reports the numbers tried, how many sends failed with EBADF
// and how many went, and how many descriptors reached the other end.
static int PassUnheld(const char* list_path) {
  printf("ready\n");
  fflush(stdout);
  FILE* list = NULL;
  for (int i = 0; i < 1000 && !(list = fopen(list_path, "re")); ++i) usleep(10000);
  if (!list) return Report(-1, NULL);
  int numbers[256];
  int count = 0;
  while (count < 256 && fscanf(list, "%d", &numbers[count]) == 1) ++count;
  fclose(list);
  int pair[2], pipe_fds[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0) return Report(-1, NULL);
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Report(-1, NULL);
  int sender = MoveHigh(pair[0]), receiver = MoveHigh(pair[1]), held = MoveHigh(pipe_fds[0]);
  close(pipe_fds[1]);
  if (sender < 0 || receiver < 0 || held < 0) return Report(-1, NULL);
  char tried[1024] = "";
  size_t used = 0;
  long refused = 0, went = 0, received = 0;
  for (int i = 0; i < count; ++i) {
    if (numbers[i] < 0 || fcntl(numbers[i], F_GETFD) >= 0) continue;
    if (used < sizeof tried) {
      used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%d", used ? "," : "",
                               numbers[i]);
    }
    int fds[2] = {held, numbers[i]};
    for (int alone = 0; alone < 2; ++alone) {
      size_t size = alone ? sizeof(int) : sizeof fds;
      union {
        char buffer[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
      } control;
      memset(&control, 0, sizeof control);
      control.align.cmsg_level = SOL_SOCKET;
      control.align.cmsg_type = SCM_RIGHTS;
      control.align.cmsg_len = CMSG_LEN(size);
      memcpy(CMSG_DATA(&control.align), alone ? &fds[1] : fds, size);
      char byte = 'x';
      struct iovec piece = {&byte, 1};
      struct msghdr message = {.msg_iov = &piece, .msg_iovlen = 1,
                               .msg_control = control.buffer,
                               .msg_controllen = CMSG_SPACE(size)};
      if (sendmsg(sender, &message, 0) >= 0) {
        ++went;
      } else if (errno == EBADF) {
        ++refused;
      }
    }
  }
  for (;;) {
    union {
      char buffer[CMSG_SPACE(16 * sizeof(int))];
      struct cmsghdr align;
    } control;
    char byte;
    struct iovec piece = {&byte, 1};
    struct msghdr message = {.msg_iov = &piece, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    if (recvmsg(receiver, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0) break;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        received += (long)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      }
    }
  }
  char out[1200];
  snprintf(out, sizeof out, "tried=%s ebadf=%ld went=%ld received=%ld", tried, refused, went,
           received);
  return ReportOk(out);
}

// unix-echo PATH: binds a unix server at PATH, connects to it from a child, passes one line.
static int UnixEcho(const char* path) {
  int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server < 0) return Report(-1, NULL);
  struct sockaddr_un address;
  socklen_t length = UnixAddress(path, &address);
  if (bind(server, (struct sockaddr*)&address, length) != 0) return Report(-1, NULL);
  if (listen(server, 1) != 0) return Report(-1, NULL);
  pid_t child = fork();
  if (child == 0) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, (struct sockaddr*)&address, length) != 0) _exit(errno);
    _exit(write(fd, "echo", 4) == 4 ? 0 : errno);
  }
  int peer = accept4(server, NULL, NULL, SOCK_CLOEXEC);
  char buffer[8] = "";
  ssize_t n = peer >= 0 ? read(peer, buffer, sizeof buffer - 1) : -1;
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
    return Report(-1, NULL);
  }
  return Report(n, buffer);
}

// http ADDRESS PORT HOST: a plain HTTP/1.1 GET over a connect to ADDRESS; the status line.
static int HttpGet(const char* address, const char* port, const char* host) {
  struct sockaddr_storage target;
  socklen_t length;
  int fd = AddressedSocket(address, port, SOCK_STREAM, &target, &length);
  if (fd < 0) return Report(-1, NULL);
  if (connect(fd, (struct sockaddr*)&target, length) != 0) return Report(-1, NULL);
  char request[512];
  int size = snprintf(request, sizeof request,
                      "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host);
  if (write(fd, request, (size_t)size) != size) return Report(-1, NULL);
  char response[256] = "";
  size_t used = 0;
  while (used < sizeof response - 1 && !strchr(response, '\r')) {
    ssize_t n = read(fd, response + used, sizeof response - 1 - used);
    if (n < 0) return Report(-1, NULL);
    if (n == 0) break;
    used += (size_t)n;
    response[used] = '\0';
  }
  char* end = strchr(response, '\r');
  if (end) *end = '\0';
  if (used == 0) {
    errno = ECONNRESET;
    return Report(-1, NULL);
  }
  return ReportOk(response);
}

// The racing thread of connect-race and send-race: flips the port of the shared address
// between two values as fast as it can.
struct PortFlipper {
  struct sockaddr_storage* address;
  uint16_t ports[2];
  volatile int stop;
};

static void* FlipPorts(void* raw) {
  struct PortFlipper* flipper = raw;
  volatile uint16_t* port = flipper->address->ss_family == AF_INET6
                                ? &((struct sockaddr_in6*)flipper->address)->sin6_port
                                : &((struct sockaddr_in*)flipper->address)->sin_port;
  for (unsigned long i = 0; !flipper->stop; ++i) *port = flipper->ports[i & 1];
  return NULL;
}

// connect-race ADDRESS ALLOWED DENIED N / send-race ADDRESS ALLOWED DENIED N: N connects (TCP)
// or datagrams (UDP) to ADDRESS:ALLOWED while a thread keeps rewriting the port to DENIED.
// Reports how many went through and, for connects, how many ended up connected to DENIED.
static int AddressRace(int datagram, const char* address, const char* allowed,
                       const char* denied, long iterations) {
  static struct sockaddr_storage target;
  socklen_t length;
  if (ParseAddress(address, allowed, &target, &length) != 0) {
    errno = EINVAL;
    return Report(-1, NULL);
  }
  struct PortFlipper flipper = {&target, {htons((uint16_t)atoi(allowed)),
                                          htons((uint16_t)atoi(denied))}, 0};
  pthread_t thread;
  if ((errno = pthread_create(&thread, NULL, FlipPorts, &flipper)) != 0) return Report(-1, NULL);
  long went = 0, failed = 0, reached_denied = 0;
  int udp = datagram ? socket(target.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
  for (long i = 0; i < iterations; ++i) {
    if (datagram) {
      if (sendto(udp, "x", 1, 0, (struct sockaddr*)&target, length) == 1) {
        ++went;
      } else {
        ++failed;
      }
      continue;
    }
    int fd = socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, (struct sockaddr*)&target, length) == 0) {
      ++went;
      struct sockaddr_storage peer;
      socklen_t peer_length = sizeof peer;
      getpeername(fd, (struct sockaddr*)&peer, &peer_length);
      uint16_t port = peer.ss_family == AF_INET6 ? ((struct sockaddr_in6*)&peer)->sin6_port
                                                 : ((struct sockaddr_in*)&peer)->sin_port;
      if (port == flipper.ports[1]) ++reached_denied;
    } else {
      ++failed;
    }
    close(fd);
  }
  flipper.stop = 1;
  pthread_join(thread, NULL);
  char out[128];
  snprintf(out, sizeof out, "went=%ld failed=%ld reached_denied=%ld", went, failed,
           reached_denied);
  return ReportOk(out);
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

extern char** environ;

// Reads what `fd` holds (at most 4096 bytes) and closes it; 1 when it contains `marker`.
static int HoldsMarker(int fd, const char* marker) {
  char buffer[4097];
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  return strstr(buffer, marker) != NULL;
}

// One path buffer that a second thread keeps rewriting between two paths of the same length
// (padded with slashes), the way an attacker races a check against its use.
struct Flipper {
  char path[2][4096];
  char buffer[4096];
  volatile int stop;
};

static void* FlipPath(void* raw) {
  struct Flipper* f = raw;
  size_t len = strlen(f->path[0]);
  for (unsigned long i = 0; !f->stop; ++i) {
    const char* from = f->path[i & 1];
    for (size_t j = 0; j < len; ++j) ((volatile char*)f->buffer)[j] = from[j];
  }
  return NULL;
}

// Pads the shorter of two absolute paths with slashes after its first one: same file, same
// length, so every byte of the buffer changes only between the two names.
static int PreparePaths(struct Flipper* f, const char* a, const char* b) {
  size_t la = strlen(a);
  size_t lb = strlen(b);
  size_t len = la > lb ? la : lb;
  if (a[0] != '/' || b[0] != '/' || len >= sizeof f->buffer) {
    errno = EINVAL;
    return -1;
  }
  const char* src[2] = {a, b};
  for (int k = 0; k < 2; ++k) {
    size_t l = strlen(src[k]);
    size_t pad = len - l;
    memset(f->path[k], '/', pad + 1);
    memcpy(f->path[k] + pad, src[k], l + 1);
  }
  memcpy(f->buffer, f->path[0], len + 1);
  f->stop = 0;
  return 0;
}

// Opens ALLOWED/DENIED through a buffer a second thread rewrites, `count` times; counts the
// opens that succeeded and those whose content held `marker` (the denied file's).
static int OpenRace(const char* allowed, const char* denied, long count, const char* marker) {
  static struct Flipper f;
  if (PreparePaths(&f, allowed, denied) != 0) return Report(-1, NULL);
  pthread_t thread;
  if ((errno = pthread_create(&thread, NULL, FlipPath, &f)) != 0) return Report(-1, NULL);
  long opened = 0, refused = 0, reached = 0;
  for (long i = 0; i < count; ++i) {
    int fd = open(f.buffer, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ++refused;
      continue;
    }
    ++opened;
    reached += HoldsMarker(fd, marker);
  }
  f.stop = 1;
  pthread_join(thread, NULL);
  char out[128];
  snprintf(out, sizeof out, "opened=%ld refused=%ld marker=%ld", opened, refused, reached);
  return ReportOk(out);
}

static int OpenLoop(const char* path, long count, const char* marker) {
  long opened = 0, refused = 0, reached = 0;
  for (long i = 0; i < count; ++i) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ++refused;
      continue;
    }
    ++opened;
    reached += HoldsMarker(fd, marker);
  }
  char out[128];
  snprintf(out, sizeof out, "opened=%ld refused=%ld marker=%ld", opened, refused, reached);
  return ReportOk(out);
}

// `count` children each exec ALLOWED/DENIED through a buffer a second thread rewrites, with
// `args` as the arguments after argv[0]; counts how the children ended.
static int ExecRace(const char* allowed, const char* denied, long count, char** args) {
  long exited = 0, failed = 0, killed = 0;
  for (long i = 0; i < count; ++i) {
    pid_t child = fork();
    if (child < 0) return Report(-1, NULL);
    if (child == 0) {
      static struct Flipper f;
      if (PreparePaths(&f, allowed, denied) != 0) _exit(120);
      char* argv[64] = {f.buffer};
      for (int k = 0; args[k] && k < 62; ++k) argv[k + 1] = args[k];
      pthread_t thread;
      if (pthread_create(&thread, NULL, FlipPath, &f) != 0) _exit(121);
      // Let the thread start rewriting before the exec reads the buffer.
      for (volatile int spin = 0; spin < 20000; ++spin) {
      }
      execve(f.buffer, argv, environ);
      _exit(122);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      ++killed;
    } else if (WEXITSTATUS(status) == 0) {
      ++exited;
    } else {
      ++failed;
    }
  }
  char out[128];
  snprintf(out, sizeof out, "exited=%ld failed=%ld killed=%ld", exited, failed, killed);
  return ReportOk(out);
}

// execveat(fd, "", AT_EMPTY_PATH) of a descriptor opened O_PATH or for reading.
static int FdExec(const char* path, const char* how, char** args) {
  int flags = strcmp(how, "path") == 0 ? O_PATH : O_RDONLY;
  int fd = open(path, flags);
  if (fd < 0) return Report(-1, NULL);
  char* argv[64] = {(char*)path};
  for (int k = 0; args[k] && k < 62; ++k) argv[k + 1] = args[k];
  syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
  return Report(-1, NULL);
}

// The bytes of PATH copied into a memfd and run from there.
static int MemfdExec(const char* path, char** args) {
  int in = open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) return Report(-1, NULL);
  int fd = memfd_create("copy", 0);
  if (fd < 0) return Report(-1, NULL);
  char buffer[65536];
  ssize_t n;
  while ((n = read(in, buffer, sizeof buffer)) > 0) {
    if (write(fd, buffer, (size_t)n) != n) return Report(-1, NULL);
  }
  close(in);
  char* argv[64] = {(char*)path};
  for (int k = 0; args[k] && k < 62; ++k) argv[k + 1] = args[k];
  syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
  return Report(-1, NULL);
}

// openat2(DIR, PATH, O_RDONLY, RESOLVE) with RESOLVE a comma list of beneath, in-root,
// no-symlinks, no-magiclinks, no-xdev (or "none"); prints the content like "read".
static int Openat2Read(const char* dir, const char* path, const char* resolve) {
  static const struct {
    const char* name;
    uint64_t bit;
  } kFlags[] = {{"beneath", RESOLVE_BENEATH},
                {"in-root", RESOLVE_IN_ROOT},
                {"no-symlinks", RESOLVE_NO_SYMLINKS},
                {"no-magiclinks", RESOLVE_NO_MAGICLINKS},
                {"no-xdev", RESOLVE_NO_XDEV}};
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
  char names[256];
  snprintf(names, sizeof names, "%s", resolve);
  for (char* save = NULL, *word = strtok_r(names, ",", &save); word;
       word = strtok_r(NULL, ",", &save)) {
    int known = strcmp(word, "none") == 0;
    for (size_t i = 0; i < sizeof kFlags / sizeof kFlags[0]; ++i) {
      if (strcmp(word, kFlags[i].name) == 0) {
        how.resolve |= kFlags[i].bit;
        known = 1;
      }
    }
    if (!known) {
      fprintf(stderr, "probe openat2-read: unknown resolve flag %s\n", word);
      return 2;
    }
  }
  int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return Report(-1, NULL);
  int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (fd < 0) return Report(-1, NULL);
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof buffer);
  close(fd);
  if (n < 0) return Report(-1, NULL);
  char escaped[4 * sizeof buffer + 1];
  Escape(buffer, (size_t)n, escaped, sizeof escaped);
  printf(n ? "ok %s\n" : "ok%s\n", escaped);
  fflush(stdout);
  return 0;
}

// An O_PATH descriptor of PATH, reopened for writing through VIA/N (/proc/self/fd,
// /proc/thread-self/fd, /dev/fd) and written to.
static int OpathReopen(const char* path, const char* via, const char* text) {
  int held = open(path, O_PATH | O_CLOEXEC);
  if (held < 0) return Report(-1, NULL);
  char name[512];
  snprintf(name, sizeof name, "%s/%d", via, held);
  return WriteFile(name, text, O_TRUNC);
}

// Points LINK at A and at B in turn, each time by renaming a fresh link over it, until killed.
_Noreturn static void SymlinkSwap(const char* link, const char* a, const char* b) {
  char fresh[4096];
  snprintf(fresh, sizeof fresh, "%s.new", link);
  printf("swapping\n");
  fflush(stdout);
  for (unsigned long i = 0;; ++i) {
    unlink(fresh);
    if (symlink(i & 1 ? b : a, fresh) == 0) rename(fresh, link);
  }
}

// Sends SIG to the probe's whole process group every 100 µs until killed.
_Noreturn static void SignalStorm(int sig) {
  printf("storming\n");
  fflush(stdout);
  for (;;) {
    kill(0, sig);
    struct timespec pause = {0, 100 * 1000};
    nanosleep(&pause, NULL);
  }
}

static void NoteSignal(int sig) { (void)sig; }

// Opens PATH `count` times with a SIGCHLD handler installed without SA_RESTART while a child
// storms the probe with SIGCHLD; counts the opens that failed with EINTR.
static int OpensUnderSignals(const char* path, long count) {
  struct sigaction action = {.sa_handler = NoteSignal};
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGCHLD, &action, NULL) != 0) return Report(-1, NULL);
  pid_t parent = getpid();
  pid_t storm = fork();
  if (storm < 0) return Report(-1, NULL);
  if (storm == 0) {
    for (;;) {
      if (kill(parent, SIGCHLD) != 0) _exit(0);
      struct timespec pause = {0, 20 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  long opened = 0, interrupted = 0, other = 0;
  for (long i = 0; i < count; ++i) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ++opened;
      close(fd);
    } else if (errno == EINTR) {
      ++interrupted;
    } else {
      ++other;
    }
  }
  kill(storm, SIGKILL);
  waitpid(storm, NULL, 0);
  char out[128];
  snprintf(out, sizeof out, "opened=%ld eintr=%ld other=%ld", opened, interrupted, other);
  return ReportOk(out);
}

static int Dispatch(int argc, char** argv);

// Waits for a child that made the attempt; says so when a signal killed it.
static int AwaitChild(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) {
    printf("killed %s\n", sigabbrev_np(WTERMSIG(status)));
    fflush(stdout);
  }
  return 0;
}

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
  if (IS("connect-ip")) { NEED(2); return ConnectIp(argv[1], argv[2], 0); }
  if (IS("connect-ip-nonblock")) { NEED(2); return ConnectIp(argv[1], argv[2], 1); }
  if (IS("udp-connect")) { NEED(2); return UdpConnect(argv[1], argv[2]); }
  if (IS("udp-send")) { NEED(4); return UdpSend(argv[1], argv[2], argv[3], argv[4]); }
  if (IS("bind-ip")) { NEED(2); return BindIp(argv[1], argv[2]); }
  if (IS("listen-unbound")) return ListenUnbound();
  if (IS("connect-unix")) { NEED(1); return ConnectUnix(argv[1]); }
  if (IS("unix-dgram")) { NEED(2); return UnixDatagram(argv[1], argv[2]); }
  if (IS("unix-echo")) { NEED(1); return UnixEcho(argv[1]); }
  if (IS("pass-fd")) { NEED(1); return PassFd(argv[1]); }
  if (IS("pass-unheld")) { NEED(1); return PassUnheld(argv[1]); }
  if (IS("pass-cred")) { NEED(1); return PassCredentials(argv[1]); }
  if (IS("udp-batch")) { NEED(3); return UdpBatch(argv[1], argv[2], argv[3]); }
  if (IS("tfo-sendto")) { NEED(3); return TfoSendto(argv[1], argv[2], argv[3]); }
  if (IS("tfo-connect")) { NEED(3); return TfoConnect(argv[1], argv[2], argv[3]); }
  if (IS("tfo-sendmsg")) { NEED(3); return TfoSendMessage(0, argv[1], argv[2], argv[3]); }
  if (IS("tfo-sendmmsg")) { NEED(3); return TfoSendMessage(1, argv[1], argv[2], argv[3]); }
  if (IS("rthdr-send")) { NEED(4); return RthdrSend(argv[1], argv[2], argv[3], argv[4]); }
  if (IS("setsockopt-ipv6")) { NEED(2); return SetsockoptIpv6(argv[1], argv[2]); }
  if (IS("udp-cmsg")) {
    NEED(6);
    return UdpControl(argv[1], argv[2], argv[3], argv[4], argv[5], argv[6]);
  }
  if (IS("zerocopy")) { NEED(3); return ZeroCopy(argv[1], argv[2], argv[3]); }
  if (IS("bind-unix")) { NEED(1); return BindUnix(argv[1]); }
  if (IS("vsock")) { NEED(2); return Vsock(argv[1], argv[2]); }
  if (IS("http")) { NEED(3); return HttpGet(argv[1], argv[2], argv[3]); }
  if (IS("connect-race")) { NEED(4); return AddressRace(0, argv[1], argv[2], argv[3], atol(argv[4])); }
  if (IS("send-race")) { NEED(4); return AddressRace(1, argv[1], argv[2], argv[3], atol(argv[4])); }
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
  // Execs, and races between a decision and the call it allows.
  if (IS("exec")) {  // exec PATH [ARG...]: argv[0] is PATH
    NEED(1);
    execv(argv[1], argv + 1);
    return Report(-1, NULL);
  }
  if (IS("fexec")) { NEED(2); return FdExec(argv[1], argv[2], argv + 3); }
  if (IS("execveat-dir")) {  // execveat-dir DIR NAME [ARG...]
    NEED(2);
    int dirfd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return Report(-1, NULL);
    syscall(SYS_execveat, dirfd, argv[2], argv + 2, environ, 0);
    return Report(-1, NULL);
  }
  if (IS("memfd-exec")) { NEED(1); return MemfdExec(argv[1], argv + 2); }
  if (IS("open-race")) { NEED(4); return OpenRace(argv[1], argv[2], atol(argv[3]), argv[4]); }
  if (IS("open-loop")) { NEED(3); return OpenLoop(argv[1], atol(argv[2]), argv[3]); }
  if (IS("exec-race")) { NEED(3); return ExecRace(argv[1], argv[2], atol(argv[3]), argv + 4); }
  if (IS("openat2-read")) { NEED(3); return Openat2Read(argv[1], argv[2], argv[3]); }
  if (IS("opath-reopen")) { NEED(3); return OpathReopen(argv[1], argv[2], argv[3]); }
  if (IS("rename-exchange")) {
    NEED(2);
    return Report(renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE), "exchanged");
  }
  if (IS("signal-storm")) SignalStorm(SIGCHLD);
  if (IS("symlink-swap")) { NEED(3); SymlinkSwap(argv[1], argv[2], argv[3]); }
  if (IS("opens-under-signals")) { NEED(2); return OpensUnderSignals(argv[1], atol(argv[2])); }
  // The same attempt from another process or another thread of this one.
  if (IS("child")) {
    NEED(1);
    pid_t child = fork();
    if (child == 0) _exit(Dispatch(argc - 1, argv + 1));
    return AwaitChild(child);
  }
  if (IS("vfork")) {  // the attempt in a vfork child, before any exec
    NEED(1);
    pid_t child = vfork();
    if (child == 0) _exit(Dispatch(argc - 1, argv + 1));
    return AwaitChild(child);
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
