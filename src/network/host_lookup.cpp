#include "host_lookup.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "address.hpp"

namespace aarm::network::detail {
namespace {

// What a lookup thread hands back; the waiter may have left already.
struct PendingLookup {
  std::mutex mutex;
  bool done = false;
  LookupResult result;
  UniqueFd event;
};

LookupResult RunGetaddrinfo(const std::string& name, int family) {
  addrinfo hints = {};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = family == AF_UNSPEC ? AI_ADDRCONFIG : 0;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &list);
  LookupResult result;
  if (rc != 0) {
    if (rc == EAI_NONAME) {
      result.status = LookupResult::Status::kNoName;
    } else if (rc == EAI_NODATA || rc == EAI_ADDRFAMILY) {
      result.status = LookupResult::Status::kNoData;
    } else {
      result.status = LookupResult::Status::kFailed;
    }
    result.problem = rc == EAI_SYSTEM ? std::string(::strerror(errno)) : ::gai_strerror(rc);
    return result;
  }
  for (const addrinfo* entry = list; entry; entry = entry->ai_next) {
    if (entry->ai_addrlen > sizeof(sockaddr_storage)) continue;
    sockaddr_storage storage = {};
    std::memcpy(&storage, entry->ai_addr, entry->ai_addrlen);
    auto address = AddressOf(storage);
    if (!address) continue;
    if (std::find(result.addresses.begin(), result.addresses.end(), *address) ==
        result.addresses.end()) {
      result.addresses.push_back(std::move(*address));
    }
  }
  ::freeaddrinfo(list);
  result.status = result.addresses.empty() ? LookupResult::Status::kNoData
                                           : LookupResult::Status::kFound;
  if (result.addresses.empty()) result.problem = "no address";
  return result;
}

}  // namespace

HostLookup::HostLookup(const policy::Engine& engine, size_t max_in_flight)
    : engine_(engine),
      max_in_flight_(max_in_flight),
      in_flight_(std::make_shared<std::atomic<size_t>>(0)) {}

LookupResult HostLookup::Resolve(const std::string& name, int family, Clock::time_point deadline,
                                 int stop_fd) const {
  if (auto pinned = engine_.PinnedAddress(name)) {
    const bool v6 = pinned->find(':') != std::string::npos;
    if (family == AF_UNSPEC || (family == AF_INET6) == v6) {
      return {LookupResult::Status::kFound, {*pinned}, {}};
    }
    return {LookupResult::Status::kNoData, {}, "pinned to an address of the other family"};
  }

  if (in_flight_->fetch_add(1) >= max_in_flight_) {
    in_flight_->fetch_sub(1);
    return {LookupResult::Status::kFailed, {}, "too many lookups under way"};
  }
  auto pending = std::make_shared<PendingLookup>();
  pending->event = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!pending->event) {
    in_flight_->fetch_sub(1);
    return {LookupResult::Status::kFailed, {}, "cannot create an eventfd"};
  }
  try {
    std::thread([pending, name, family, in_flight = in_flight_] {
      LookupResult result = RunGetaddrinfo(name, family);
      {
        std::lock_guard lock(pending->mutex);
        pending->result = std::move(result);
        pending->done = true;
      }
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(pending->event.Get(), &one, sizeof(one));
      in_flight->fetch_sub(1);
    }).detach();
  } catch (const std::system_error&) {
    in_flight_->fetch_sub(1);
    return {LookupResult::Status::kFailed, {}, "cannot start a lookup thread"};
  }

  switch (WaitFor(pending->event.Get(), POLLIN, deadline, stop_fd)) {
    case WaitResult::kReady: break;
    case WaitResult::kTimeout: return {LookupResult::Status::kFailed, {}, "lookup timed out"};
    case WaitResult::kStopped: return {LookupResult::Status::kStopped, {}, "service stopped"};
  }
  std::lock_guard lock(pending->mutex);
  return std::move(pending->result);
}

}  // namespace aarm::network::detail
