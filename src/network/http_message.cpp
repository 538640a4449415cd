#include "http_message.hpp"

#include <algorithm>
#include <charconv>

namespace aarm::network::detail {
namespace {

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

// Visible ASCII: what a request target may hold.
bool IsVisible(char c) { return c > 0x20 && c < 0x7F; }

// A field value: visible characters, blanks, and bytes above 0x7F (obs-text); no controls.
bool IsFieldValue(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || byte >= 0x20 ? byte != 0x7F : false;
  });
}

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ParseRequestLine(std::string_view line, RequestHead& head) {
  const size_t first = line.find(' ');
  if (first == std::string_view::npos) return false;
  const size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!IsToken(method) || target.empty() || !std::all_of(target.begin(), target.end(), IsVisible)) {
    return false;
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  head.method = method;
  head.target = target;
  head.version = version;
  return true;
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  const auto value = ParseDecimal(text, 5);
  if (!value || *value == 0 || *value > 65535) return std::nullopt;
  return static_cast<uint16_t>(*value);
}

}  // namespace

std::optional<uint64_t> ParseDecimal(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > std::min<size_t>(max_digits, 19) ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return Lower(x) == Lower(y); });
}

std::vector<std::string_view> RequestHead::Values(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoringCase(key, name)) values.emplace_back(value);
  }
  return values;
}

HeadParse ParseRequestHead(std::string_view bytes) {
  HeadParse parse;
  size_t start = 0;
  bool first = true;
  for (;;) {
    const size_t end = bytes.find("\r\n", start);
    if (end == std::string_view::npos) {
      const bool too_large = bytes.size() - start > kMaxLineBytes || bytes.size() > kMaxHeadBytes;
      parse.status = too_large ? HeadStatus::kTooLarge : HeadStatus::kIncomplete;
      return parse;
    }
    const std::string_view line = bytes.substr(start, end - start);
    if (line.size() > kMaxLineBytes || end + 2 > kMaxHeadBytes) {
      parse.status = HeadStatus::kTooLarge;
      return parse;
    }
    // A bare CR or LF inside a line is read differently by different servers.
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      parse.status = HeadStatus::kMalformed;
      return parse;
    }
    start = end + 2;
    if (first) {
      first = false;
      if (!ParseRequestLine(line, parse.head)) {
        parse.status = HeadStatus::kMalformed;
        return parse;
      }
      continue;
    }
    if (line.empty()) {
      parse.status = HeadStatus::kComplete;
      parse.length = start;
      return parse;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      parse.status = HeadStatus::kMalformed;  // also a folded line, which starts with a blank
      return parse;
    }
    const std::string_view value = TrimBlanks(line.substr(colon + 1));
    if (!IsFieldValue(value)) {
      parse.status = HeadStatus::kMalformed;
      return parse;
    }
    parse.head.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
}

bool CouldBeRequestLine(std::string_view bytes) {
  const size_t line_end = std::min(bytes.find("\r\n"), bytes.size());
  const std::string_view line = bytes.substr(0, line_end);
  const size_t first = line.find(' ');
  const std::string_view method = line.substr(0, first);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) return false;
  if (first == std::string_view::npos) return line_end == bytes.size() && method.size() <= 32;
  const size_t second = line.find(' ', first + 1);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  if (!std::all_of(target.begin(), target.end(), IsVisible)) return false;
  if (second == std::string_view::npos) return line_end == bytes.size();
  const std::string_view version = line.substr(second + 1);
  const std::string_view expected = "HTTP/1.";
  const size_t compared = std::min(version.size(), expected.size());
  if (version.substr(0, compared) != expected.substr(0, compared)) return false;
  if (line_end == bytes.size()) return version.size() <= 8;
  return version == "HTTP/1.1" || version == "HTTP/1.0";
}

std::optional<Authority> ParseAuthority(std::string_view text) {
  Authority authority;
  std::string_view port_text;
  bool has_port = false;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    authority.host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      has_port = true;
    }
    if (authority.host.find(':') == std::string::npos) return std::nullopt;
  } else {
    const size_t colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      if (text.find(':') != colon) return std::nullopt;  // an IPv6 address needs brackets
      port_text = text.substr(colon + 1);
      has_port = true;
      text = text.substr(0, colon);
    }
    authority.host = text;
  }
  if (authority.host.empty()) return std::nullopt;
  if (has_port) {
    authority.port = ParsePort(port_text);
    if (!authority.port) return std::nullopt;
  }
  return authority;
}

std::optional<HttpUri> ParseHttpUri(std::string_view target) {
  constexpr std::string_view kScheme = "http://";
  if (target.size() < kScheme.size() || !EqualsIgnoringCase(target.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  target.remove_prefix(kScheme.size());
  if (target.find('#') != std::string_view::npos) return std::nullopt;
  const size_t path = std::min(target.find_first_of("/?"), target.size());
  const std::string_view authority_text = target.substr(0, path);
  if (authority_text.find('@') != std::string_view::npos) return std::nullopt;
  auto authority = ParseAuthority(authority_text);
  if (!authority) return std::nullopt;
  if (!authority->port) authority->port = 80;
  HttpUri uri;
  uri.authority = std::move(*authority);
  uri.origin_form = std::string(target.substr(path));
  if (uri.origin_form.empty() || uri.origin_form.front() == '?') uri.origin_form.insert(0, "/");
  return uri;
}

}  // namespace aarm::network::detail
