// A timed loop of one kind of operation. Only the loop is timed (CLOCK_MONOTONIC), after a short
// untimed warm-up, so whatever wraps the process — its start-up, its tear-down, writing its
// receipts at exit — stays out of the figure.
//
// usage: workload open PATH N        open(O_RDONLY|O_CLOEXEC) + close of PATH
//        workload create DIR N       open(O_CREAT|O_EXCL|O_WRONLY) + close of a new file DIR/c<i>
//        workload forkexec N         fork + execve("/bin/true") + waitpid
//        workload connect N          socket + TCP connect to a loopback listener + close
//
// Prints one line: "MODE N NS_PER_OP".
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "positive_argument.h"

extern char** environ;

static void Die(const char* what) {
  fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void OpenOnce(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die(path);
  close(fd);
}

static const char* create_dir;
static long create_next;

static void CreateOnce(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/c%ld", create_dir, create_next++);
  int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) Die(path);
  close(fd);
}

static void ForkExecOnce(void) {
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    char* argv[] = {"/bin/true", NULL};
    execve(argv[0], argv, environ);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) Die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "workload: /bin/true failed (status %#x)\n", status);
    exit(1);
  }
}

static struct sockaddr_in listen_address;

static void* AcceptLoop(void* arg) {
  int listener = *(int*)arg;
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) close(fd);
  }
  return NULL;
}

static void StartListener(void) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) Die("socket");
  listen_address.sin_family = AF_INET;
  listen_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr*)&listen_address, sizeof listen_address) != 0) Die("bind");
  socklen_t length = sizeof listen_address;
  if (getsockname(listener, (struct sockaddr*)&listen_address, &length) != 0) Die("getsockname");
  if (listen(listener, 4096) != 0) Die("listen");
  static int listener_fd;
  listener_fd = listener;
  pthread_t thread;
  if (pthread_create(&thread, NULL, AcceptLoop, &listener_fd) != 0) Die("pthread_create");
  pthread_detach(thread);
}

static void ConnectOnce(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  if (connect(fd, (struct sockaddr*)&listen_address, sizeof listen_address) != 0) Die("connect");
  // A reset instead of a FIN: no TIME_WAIT, so the loop never runs out of local ports.
  struct linger reset = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(fd);
}

static void Usage(void) {
  fprintf(stderr,
          "usage: workload open PATH N | create DIR N | forkexec N | connect N\n");
  exit(2);
}

static long Iterations(const char* text) {
  long iterations = PositiveArgument(text, LONG_MAX);
  if (iterations < 0) {
    fprintf(stderr, "workload: N must be a positive number, not '%s'\n", text);
    exit(2);
  }
  return iterations;
}

int main(int argc, char** argv) {
  if (argc < 3) Usage();
  const char* mode = argv[1];
  const char* path = NULL;
  long iterations;
  if (strcmp(mode, "open") == 0 || strcmp(mode, "create") == 0) {
    if (argc != 4) Usage();
    path = argv[2];
    iterations = Iterations(argv[3]);
  } else if (strcmp(mode, "forkexec") == 0 || strcmp(mode, "connect") == 0) {
    if (argc != 3) Usage();
    iterations = Iterations(argv[2]);
  } else {
    Usage();
  }

  enum { kOpen, kCreate, kForkExec, kConnect } kind =
      strcmp(mode, "open") == 0     ? kOpen
      : strcmp(mode, "create") == 0 ? kCreate
      : strcmp(mode, "forkexec") == 0 ? kForkExec
                                      : kConnect;
  if (kind == kCreate) create_dir = path;
  if (kind == kConnect) StartListener();

  long warmup = iterations / 20 < 50 ? iterations / 20 : 50;
  uint64_t start = 0;
  for (long i = -warmup; i < iterations; ++i) {
    if (i == 0) start = NowNs();
    switch (kind) {
      case kOpen: OpenOnce(path); break;
      case kCreate: CreateOnce(); break;
      case kForkExec: ForkExecOnce(); break;
      case kConnect: ConnectOnce(); break;
    }
  }
  uint64_t elapsed = NowNs() - start;
  printf("%s %ld %.1f\n", mode, iterations, (double)elapsed / (double)iterations);
  return 0;
}
