#include "body_framer.hpp"

#include <algorithm>

namespace aarm::network::detail {
namespace {

// Chunk sizes above this are refused rather than risk overflow; no legitimate chunk is 1 EiB.
constexpr size_t kMaxSizeDigits = 15;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lengths of up to 18 digits: no overflow, and no body is an exabyte.
std::optional<uint64_t> ParseLength(std::string_view text) { return ParseDecimal(text, 18); }

}  // namespace

std::optional<BodyFramer> BodyFramer::ForRequest(const RequestHead& head) {
  const auto codings = head.Values("Transfer-Encoding");
  const auto lengths = head.Values("Content-Length");
  if (!codings.empty()) {
    if (!lengths.empty() || codings.size() != 1 || !EqualsIgnoringCase(codings[0], "chunked")) {
      return std::nullopt;
    }
    return BodyFramer(State::kSizeDigits, 0);
  }
  if (lengths.empty()) return BodyFramer(State::kDone, 0);
  const auto length = ParseLength(lengths[0]);
  if (!length) return std::nullopt;
  for (const std::string_view other : lengths) {
    if (ParseLength(other) != length) return std::nullopt;
  }
  return BodyFramer(*length == 0 ? State::kDone : State::kLength, *length);
}

size_t BodyFramer::Take(std::string_view data) {
  size_t taken = 0;
  while (taken < data.size() && state_ != State::kDone && state_ != State::kFailed) {
    if (state_ == State::kLength || state_ == State::kData) {
      const uint64_t n = std::min<uint64_t>(remaining_, data.size() - taken);
      taken += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = state_ == State::kLength ? State::kDone : State::kDataCr;
      continue;
    }
    Step(data[taken]);
    if (state_ != State::kFailed) ++taken;
  }
  return taken;
}

void BodyFramer::Step(char c) {
  const auto line_char = [this](State next) {
    if (++line_bytes_ > kMaxLineBytes) {
      state_ = State::kFailed;
    } else {
      state_ = next;
    }
  };
  switch (state_) {
    case State::kSizeDigits: {
      const int value = HexValue(c);
      if (value >= 0) {
        if (++digits_ > kMaxSizeDigits) {
          state_ = State::kFailed;
          return;
        }
        remaining_ = remaining_ * 16 + static_cast<uint64_t>(value);
        return;
      }
      if (digits_ == 0) {
        state_ = State::kFailed;
        return;
      }
      line_bytes_ = digits_;
      if (c == '\r') {
        state_ = State::kSizeLf;
      } else if (c == ';' || c == ' ' || c == '\t') {
        line_char(State::kSizeRest);
      } else {
        state_ = State::kFailed;
      }
      return;
    }
    case State::kSizeRest:
      if (c == '\r') {
        state_ = State::kSizeLf;
      } else if (c == '\n') {
        state_ = State::kFailed;
      } else {
        line_char(State::kSizeRest);
      }
      return;
    case State::kSizeLf:
      if (c != '\n') {
        state_ = State::kFailed;
        return;
      }
      digits_ = 0;
      line_bytes_ = 0;
      state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
      return;
    case State::kDataCr:
      state_ = c == '\r' ? State::kDataLf : State::kFailed;
      return;
    case State::kDataLf:
      state_ = c == '\n' ? State::kSizeDigits : State::kFailed;
      return;
    case State::kTrailerStart:
      line_bytes_ = 0;
      if (c == '\r') {
        state_ = State::kFinalLf;
        return;
      }
      [[fallthrough]];
    case State::kTrailer:
      if (c == '\n' || ++trailer_bytes_ > kMaxHeadBytes) {
        state_ = State::kFailed;
      } else if (c == '\r') {
        state_ = State::kTrailerLf;
      } else {
        line_char(State::kTrailer);
      }
      return;
    case State::kTrailerLf:
      state_ = c == '\n' ? State::kTrailerStart : State::kFailed;
      return;
    case State::kFinalLf:
      state_ = c == '\n' ? State::kDone : State::kFailed;
      return;
    case State::kLength:
    case State::kData:
    case State::kDone:
    case State::kFailed:
      return;
  }
}

}  // namespace aarm::network::detail
