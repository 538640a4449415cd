// Name resolution on the host's side: a name the profile pins resolves to its pinned address;
// any other through getaddrinfo(3). getaddrinfo cannot be interrupted, so it runs on a thread of
// its own that the caller stops waiting for when the service stops or the deadline passes; the
// thread ends on its own when the system resolver gives up.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "aarm/policy/engine.hpp"
#include "socket_io.hpp"

namespace aarm::network::detail {

struct LookupResult {
  enum class Status {
    kFound,    // `addresses` holds at least one
    kNoName,   // the name does not exist
    kNoData,   // it exists, with no address of the family asked for
    kFailed,   // the resolver failed, timed out, or too many lookups are under way
    kStopped,  // the service stopped
  };
  Status status = Status::kFailed;
  std::vector<std::string> addresses;  // canonical, in the resolver's order, no duplicates
  std::string problem;                 // why, when not found: one line
};

class HostLookup {
 public:
  // At most `max_in_flight` getaddrinfo calls at once, across every caller.
  HostLookup(const policy::Engine& engine, size_t max_in_flight);

  // `family`: AF_INET, AF_INET6, or AF_UNSPEC (the addresses the host can reach, per
  // AI_ADDRCONFIG).
  LookupResult Resolve(const std::string& name, int family, Clock::time_point deadline,
                       int stop_fd) const;

 private:
  const policy::Engine& engine_;
  size_t max_in_flight_;
  // Shared with the lookup threads, which may outlive this object.
  std::shared_ptr<std::atomic<size_t>> in_flight_;
};

}  // namespace aarm::network::detail
