#include "support/loopback_servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace aarm::testing {
namespace {

int ListenOnLoopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  *port = ntohs(address.sin_port);
  return fd;
}

// The request head, up to the blank line (or what arrived within a second).
std::string ReadRequestHead(int fd) {
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, 1000) <= 0) break;
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    head.append(buffer, static_cast<size_t>(n));
  }
  return head;
}

std::string HeaderValue(const std::string& head, const std::string& name) {
  size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    if (head.size() - at > name.size() &&
        strncasecmp(head.c_str() + at, name.c_str(), name.size()) == 0 &&
        head[at + name.size()] == ':') {
      size_t start = head.find_first_not_of(' ', at + name.size() + 1);
      size_t end = head.find("\r\n", start);
      return head.substr(start, end - start);
    }
  }
  return {};
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(std::string body) : body_(std::move(body)) {
  listen_fd_ = ListenOnLoopback(&port_);
  thread_ = std::thread([this] { Serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  close(listen_fd_);
}

std::vector<std::string> LoopbackHttpServer::HostsSeen() const {
  std::lock_guard lock(mutex_);
  return hosts_;
}

void LoopbackHttpServer::Serve() {
  while (!stopping_) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    ++connections_;
    std::string head = ReadRequestHead(fd);
    {
      std::lock_guard lock(mutex_);
      hosts_.push_back(HeaderValue(head, "Host"));
    }
    std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                           std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
    for (size_t sent = 0; sent < response.size();) {
      ssize_t n = send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    close(fd);
  }
}

int FreeLoopbackPort() {
  int port = 0;
  close(ListenOnLoopback(&port));
  return port;
}

LoopbackTlsServer::LoopbackTlsServer(const std::string& directory, const std::string& name) {
  certificate_ = directory + "/tls-cert.pem";
  std::string key = directory + "/tls-key.pem";
  ProcessOptions request;
  request.argv = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=" + name,
                  "-addext", "subjectAltName=DNS:" + name, "-keyout", key, "-out", certificate_};
  request.env = {"PATH=/usr/bin:/bin"};
  ProcessResult made = RunProcess(request);
  if (made.status != 0) throw std::runtime_error("openssl req failed: " + made.err);
  for (int attempt = 0; attempt < 5 && !server_; ++attempt) {
    port_ = FreeLoopbackPort();
    ProcessOptions serve;
    serve.argv = {"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port_),
                  "-cert", certificate_, "-key", key, "-www", "-quiet"};
    serve.env = {"PATH=/usr/bin:/bin"};
    auto server = std::make_unique<Process>(serve);
    // s_server says nothing when ready: wait until the port takes connections.
    for (int wait = 0; wait < 100; ++wait) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(port_));
      bool up = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      close(fd);
      if (up) {
        server_ = std::move(server);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (!server_) throw std::runtime_error("openssl s_server did not start");
}

}  // namespace aarm::testing
