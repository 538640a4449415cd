// HTTP/1.x request heads as the proxy and the first-bytes check read them: strict (CRLF line
// ends, no folded lines, token header names), bounded (kMaxLineBytes a line, kMaxHeadBytes in
// all), so that what is decided is what a server would read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aarm::network::detail {

inline constexpr size_t kMaxLineBytes = 8 * 1024;
inline constexpr size_t kMaxHeadBytes = 64 * 1024;

struct RequestHead {
  std::string method;
  std::string target;
  std::string version;  // "HTTP/1.0" or "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // value trimmed of blanks

  // Every value of the header `name` (case-insensitive), in order.
  std::vector<std::string_view> Values(std::string_view name) const;
};

enum class HeadStatus {
  kIncomplete,  // no blank line yet, within the limits
  kTooLarge,    // a line longer than kMaxLineBytes or a head longer than kMaxHeadBytes
  kMalformed,
  kComplete,
};

struct HeadParse {
  HeadStatus status = HeadStatus::kIncomplete;
  RequestHead head;
  size_t length = 0;  // bytes of the head, blank line included, when complete
};

// Reads the head at the start of `bytes`.
HeadParse ParseRequestHead(std::string_view bytes);

// Whether `bytes` could still begin an HTTP/1.x request line: a method token, a space, a
// target, a space and "HTTP/1." — as far as `bytes` goes.
bool CouldBeRequestLine(std::string_view bytes);

bool EqualsIgnoringCase(std::string_view a, std::string_view b);

// A decimal number of 1 to `max_digits` digits (at most 19), digits only.
std::optional<uint64_t> ParseDecimal(std::string_view text, size_t max_digits);

// "host", "host:port", "[v6]" or "[v6]:port"; the port, when given, from 1 to 65535.
struct Authority {
  std::string host;  // without brackets
  std::optional<uint16_t> port;
};
std::optional<Authority> ParseAuthority(std::string_view text);

// "http://authority/path?query": the authority (default port 80) and the origin form
// ("/path?query", "/" when empty). No user information, no fragment.
struct HttpUri {
  Authority authority;
  std::string origin_form;
};
std::optional<HttpUri> ParseHttpUri(std::string_view target);

}  // namespace aarm::network::detail
