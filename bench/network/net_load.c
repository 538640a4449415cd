// Both ends of bench/network.sh's measurements through aarm-run: an HTTP origin on the host's
// loopback, and a client that runs bare or inside the sandbox.
//
// usage: net_load origin
//            Listens on 127.0.0.1 (a free port, printed on the first line of stdout) until
//            stdin closes. Each connection is one request: "GET /bytes/N" gets N bytes of a
//            fixed pattern (byte i is i % 251), any other request a 2-byte body; then it closes.
//        net_load ROUTE connections COUNT HOST PORT
//            COUNT sequential connections after COUNT/10 + 1 untimed ones, each a small GET,
//            its answer read to the end, closed. Prints the nanoseconds the COUNT took.
//        net_load ROUTE download BYTES HOST PORT
//            One GET /bytes/BYTES, the answer read to the end. Prints the nanoseconds from
//            before the connection to the last byte and the CPU nanoseconds the client spent
//            meanwhile; fails unless BYTES arrived.
//        net_load ROUTE check BYTES HOST PORT
//            The same download, every byte compared with the pattern (slower: not timed).
//        net_load direct lookups COUNT HOST PORT
//            COUNT getaddrinfo(HOST) calls after COUNT/10 + 1 untimed ones; prints nanoseconds.
// ROUTE: direct        connect to what getaddrinfo(HOST) gives first (inside the sandbox a name
//                      resolves to a stand-in address, and the connect takes the transparent path)
//        proxy-get     through $HTTP_PROXY (http://ADDRESS:PORT): "GET http://HOST:PORT/..."
//        proxy-connect through $HTTP_PROXY: "CONNECT HOST:PORT", then the request in the tunnel
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/positive_argument.h"

enum { kPatternPeriod = 251, kChunk = 1 << 20, kHeadMax = 8192 };

static _Noreturn void Die(const char* what) {
  fprintf(stderr, "net_load: %s: %s\n", what, errno ? strerror(errno) : "failed");
  exit(1);
}

static int64_t NowNs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t CpuNs(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return ((int64_t)usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000 +
         ((int64_t)usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000;
}

static void SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("send");
    data += n;
    size -= (size_t)n;
  }
}

// Reads up to and including the blank line ending a head into `head` (NUL-terminated); any
// bytes after it are left in `rest`, their count returned. The client's requests and the
// origin's answers fit one buffer.
static size_t ReadHead(int fd, char* head, char* rest) {
  size_t got = 0;
  for (;;) {
    if (got == kHeadMax - 1) {
      errno = EMSGSIZE;
      Die("head too long");
    }
    ssize_t n = recv(fd, head + got, kHeadMax - 1 - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("connection closed before the end of a head");
    got += (size_t)n;
    head[got] = '\0';
    char* end = strstr(head, "\r\n\r\n");
    if (end) {
      end += 4;
      size_t extra = got - (size_t)(end - head);
      memcpy(rest, end, extra);
      *end = '\0';
      return extra;
    }
  }
}

// ---- origin

static char* pattern;  // kChunk + kPatternPeriod bytes of the pattern

static void* Serve(void* arg) {
  int fd = (int)(intptr_t)arg;
  char head[kHeadMax], rest[kHeadMax];
  ReadHead(fd, head, rest);
  unsigned long long bytes = 0;
  if (sscanf(head, "GET /bytes/%llu ", &bytes) == 1) {
    char answer[128];
    int n = snprintf(answer, sizeof(answer),
                     "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\nConnection: close\r\n\r\n", bytes);
    SendAll(fd, answer, (size_t)n);
    for (unsigned long long sent = 0; sent < bytes;) {
      size_t size = bytes - sent < kChunk ? (size_t)(bytes - sent) : kChunk;
      SendAll(fd, pattern + sent % kPatternPeriod, size);
      sent += size;
    }
  } else {
    static const char kAnswer[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    SendAll(fd, kAnswer, sizeof(kAnswer) - 1);
  }
  close(fd);
  return NULL;
}

static void* WatchStdin(void* arg) {
  (void)arg;
  char c;
  while (read(STDIN_FILENO, &c, 1) > 0) {
  }
  exit(0);
}

static _Noreturn void Origin(void) {
  pattern = malloc(kChunk + kPatternPeriod);
  if (!pattern) Die("malloc");
  for (size_t i = 0; i < kChunk + kPatternPeriod; ++i) pattern[i] = (char)(i % kPatternPeriod);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof(address);
  if (listener < 0 || bind(listener, (struct sockaddr*)&address, sizeof(address)) < 0 ||
      listen(listener, 1024) < 0 ||
      getsockname(listener, (struct sockaddr*)&address, &length) < 0) {
    Die("listen");
  }
  printf("%d\n", ntohs(address.sin_port));
  fflush(stdout);
  pthread_t watcher;
  if (pthread_create(&watcher, NULL, WatchStdin, NULL) != 0) Die("pthread_create");
  pthread_attr_t detached;
  pthread_attr_init(&detached);
  pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      Die("accept");
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pthread_t thread;
    if (pthread_create(&thread, &detached, Serve, (void*)(intptr_t)fd) != 0) Die("pthread_create");
  }
}

// ---- client

struct Target {
  const char* route;
  const char* host;
  const char* port;
  struct sockaddr_storage address;  // where the connect goes: the origin, or the proxy
  socklen_t length;
};

static void Resolve(const char* host, const char* port, struct sockaddr_storage* address,
                    socklen_t* length) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo* found = NULL;
  int err = getaddrinfo(host, port, &hints, &found);
  if (err != 0) {
    fprintf(stderr, "net_load: cannot resolve %s: %s\n", host, gai_strerror(err));
    exit(1);
  }
  memcpy(address, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  freeaddrinfo(found);
}

static void Aim(struct Target* target) {
  if (strcmp(target->route, "direct") == 0) {
    Resolve(target->host, target->port, &target->address, &target->length);
    return;
  }
  // http://ADDRESS:PORT[/]
  const char* proxy = getenv("HTTP_PROXY");
  char host[256], port[16];
  if (!proxy || sscanf(proxy, "http://%255[^:/]:%15[0-9]", host, port) != 2) {
    errno = 0;
    Die("HTTP_PROXY is not http://ADDRESS:PORT");
  }
  Resolve(host, port, &target->address, &target->length);
}

// A connection ready for the request, and the request to send on it.
static int Open(const struct Target* target, const char* path, char* request, size_t size) {
  int fd = socket(target->address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (const struct sockaddr*)&target->address, target->length) < 0) {
    Die("connect");
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (strcmp(target->route, "proxy-get") == 0) {
    snprintf(request, size, "GET http://%s:%s%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", target->host,
             target->port, path, target->host, target->port);
    return fd;
  }
  if (strcmp(target->route, "proxy-connect") == 0) {
    char connect_request[512], head[kHeadMax], rest[kHeadMax];
    int n = snprintf(connect_request, sizeof(connect_request),
                     "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", target->host, target->port,
                     target->host, target->port);
    SendAll(fd, connect_request, (size_t)n);
    if (ReadHead(fd, head, rest) != 0 || strncmp(head, "HTTP/1.1 200 ", 13) != 0) {
      fprintf(stderr, "net_load: CONNECT refused: %.*s\n", (int)strcspn(head, "\r"), head);
      exit(1);
    }
  }
  snprintf(request, size, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", path, target->host,
           target->port);
  return fd;
}

// One request for `path`; reads the answer to its end. Returns the body's length; with
// `check`, compares it with the pattern.
static unsigned long long Fetch(const struct Target* target, const char* path, int check) {
  char request[1024], head[kHeadMax];
  static char* buffer;
  if (!buffer && !(buffer = malloc(kChunk))) Die("malloc");
  int fd = Open(target, path, request, sizeof(request));
  SendAll(fd, request, strlen(request));
  size_t have = ReadHead(fd, head, buffer);
  if (strncmp(head, "HTTP/1.1 200 ", 13) != 0) {
    fprintf(stderr, "net_load: %s answered: %.*s\n", target->host, (int)strcspn(head, "\r"), head);
    exit(1);
  }
  unsigned long long body = 0;
  for (;;) {
    if (check) {
      for (size_t i = 0; i < have; ++i) {
        if ((unsigned char)buffer[i] != (body + i) % kPatternPeriod) {
          fprintf(stderr, "net_load: byte %llu of the body differs\n", body + i);
          exit(1);
        }
      }
    }
    body += have;
    ssize_t n = recv(fd, buffer, kChunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Die("recv");
    if (n == 0) break;
    have = (size_t)n;
  }
  close(fd);
  return body;
}

static long Count(const char* text) {
  long value = PositiveArgument(text, LONG_MAX);
  if (value < 0) {
    fprintf(stderr, "net_load: N must be a positive number, not '%s'\n", text);
    exit(2);
  }
  return value;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "origin") == 0) Origin();
  if (argc != 6) {
    fprintf(stderr,
            "usage: net_load origin\n"
            "       net_load direct|proxy-get|proxy-connect connections|download|check N HOST PORT\n"
            "       net_load direct lookups N HOST PORT\n");
    return 2;
  }
  struct Target target = {.route = argv[1], .host = argv[4], .port = argv[5]};
  const char* action = argv[2];
  const long count = Count(argv[3]);
  if (strcmp(target.route, "direct") != 0 && strcmp(target.route, "proxy-get") != 0 &&
      strcmp(target.route, "proxy-connect") != 0) {
    fprintf(stderr, "net_load: unknown route %s\n", target.route);
    return 2;
  }
  if (strcmp(action, "lookups") == 0) {
    struct sockaddr_storage address;
    socklen_t length;
    for (long i = 0; i < count / 10 + 1; ++i) Resolve(target.host, target.port, &address, &length);
    int64_t start = NowNs();
    for (long i = 0; i < count; ++i) Resolve(target.host, target.port, &address, &length);
    printf("%lld\n", (long long)(NowNs() - start));
    return 0;
  }
  Aim(&target);
  if (strcmp(action, "connections") == 0) {
    for (long i = 0; i < count / 10 + 1; ++i) Fetch(&target, "/", 0);
    int64_t start = NowNs();
    for (long i = 0; i < count; ++i) Fetch(&target, "/", 0);
    printf("%lld\n", (long long)(NowNs() - start));
    return 0;
  }
  const int check = strcmp(action, "check") == 0;
  if (!check && strcmp(action, "download") != 0) {
    fprintf(stderr, "net_load: unknown action %s\n", action);
    return 2;
  }
  char path[64];
  snprintf(path, sizeof(path), "/bytes/%ld", count);
  int64_t start = NowNs(), cpu_start = CpuNs();
  unsigned long long got = Fetch(&target, path, check);
  int64_t elapsed = NowNs() - start, cpu = CpuNs() - cpu_start;
  if (got != (unsigned long long)count) {
    fprintf(stderr, "net_load: %llu bytes of %ld arrived\n", got, count);
    return 1;
  }
  printf("%lld %lld\n", (long long)elapsed, (long long)cpu);
  return 0;
}
