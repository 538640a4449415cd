// Where a request's body ends, so that the proxy forwards one request per decision: bytes the
// agent sends after it (a pipelined request, perhaps for another host) never reach the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http_message.hpp"

namespace aarm::network::detail {

class BodyFramer {
 public:
  // The framing the head declares: Transfer-Encoding "chunked", a Content-Length, or no body.
  // nullopt when it is ambiguous (both headers, differing lengths, another transfer coding),
  // which servers and proxies may read differently (request smuggling).
  static std::optional<BodyFramer> ForRequest(const RequestHead& head);

  // How many of the leading bytes of `data` belong to the body; once Complete() or Failed()
  // none do.
  size_t Take(std::string_view data);
  bool Complete() const { return state_ == State::kDone; }
  bool Failed() const { return state_ == State::kFailed; }

 private:
  enum class State {
    kLength,       // Content-Length: `remaining_` bytes to go
    kSizeDigits,   // chunked: the chunk size, in hex
    kSizeRest,     // chunk extensions, up to CR
    kSizeLf,
    kData,         // `remaining_` bytes of chunk data
    kDataCr,
    kDataLf,
    kTrailerStart,  // a trailer line, or the CR of the final blank line
    kTrailer,
    kTrailerLf,
    kFinalLf,
    kDone,
    kFailed,
  };
  explicit BodyFramer(State state, uint64_t remaining) : state_(state), remaining_(remaining) {}
  void Step(char c);

  State state_;
  uint64_t remaining_ = 0;
  size_t digits_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace aarm::network::detail
