#include "line_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aarm::receipts::detail {

constexpr size_t kReadChunk = size_t{1} << 20;

Result<LineReader> LineReader::Open(const std::string& path, size_t max_line_bytes) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return FailErrno("cannot open " + path);
  return LineReader(path, std::move(fd), max_line_bytes);
}

LineReader::LineReader(std::string path, UniqueFd fd, size_t max_line_bytes)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      max_line_bytes_(max_line_bytes),
      buffer_(kReadChunk) {}

Result<bool> LineReader::Fill() {
  if (begin_ == end_) begin_ = end_ = 0;
  for (;;) {
    ssize_t n = read(fd_.Get(), buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("cannot read " + path_);
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    return n > 0;
  }
}

Result<bool> LineReader::Next(Line& line) {
  line.text.clear();
  line.terminated = false;
  line.too_long = false;
  bool any = false;
  for (;;) {
    if (begin_ == end_) {
      if (eof_) break;
      auto filled = Fill();
      if (!filled) return tl::unexpected(filled.error());
      if (!*filled) break;
    }
    const char* start = buffer_.data() + begin_;
    size_t available = end_ - begin_;
    const void* newline = std::memchr(start, '\n', available);
    size_t take =
        newline ? static_cast<size_t>(static_cast<const char*>(newline) - start) : available;
    any = true;
    if (!line.too_long) {
      if (line.text.size() + take > max_line_bytes_) {
        line.too_long = true;
        line.text.clear();
        line.text.shrink_to_fit();
      } else {
        line.text.append(start, take);
      }
    }
    begin_ += newline ? take + 1 : take;
    if (newline) {
      line.terminated = true;
      break;
    }
  }
  if (!any) return false;
  line.number = ++number_;
  return true;
}

}  // namespace aarm::receipts::detail
