// Real servers on the host's loopback for the network tests: what an agent inside the sandbox
// reaches only through aarm-run's proxy. Each listens on 127.0.0.1 on a port of its own and
// stops when destroyed.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace aarm::testing {

// HTTP/1.1: answers every request with 200 and `body` (then closes the connection), and
// remembers the Host header of each request.
class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(std::string body);
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;
  ~LoopbackHttpServer();

  int Port() const { return port_; }
  std::vector<std::string> HostsSeen() const;
  // Connections accepted so far.
  int Connections() const { return connections_; }

 private:
  void Serve();
  int listen_fd_ = -1;
  int port_ = 0;
  std::string body_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> hosts_;
  std::thread thread_;
};

// A TLS server (openssl s_server -www) with a self-signed certificate for `name` made by the
// test; its pages say "s_server".
class LoopbackTlsServer {
 public:
  LoopbackTlsServer(const std::string& directory, const std::string& name);
  int Port() const { return port_; }
  const std::string& CertificatePath() const { return certificate_; }

 private:
  int port_ = 0;
  std::string certificate_;
  std::unique_ptr<Process> server_;
};

// A port on 127.0.0.1 nothing listens on at the moment of asking.
int FreeLoopbackPort();

}  // namespace aarm::testing
