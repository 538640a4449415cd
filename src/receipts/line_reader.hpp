// Reads a file line by line with a bound on line length: a longer line is skipped, never held.
// Private to src/receipts/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aarm/base/error.hpp"
#include "aarm/base/unique_fd.hpp"

namespace aarm::receipts::detail {

struct Line {
  uint64_t number = 0;      // 1-based
  std::string text;         // without the newline; empty when too_long
  bool terminated = false;  // ended by '\n' (false only for the last line of the file)
  bool too_long = false;    // longer than the reader's bound; `text` was dropped
};

class LineReader {
 public:
  static Result<LineReader> Open(const std::string& path, size_t max_line_bytes);

  // The next line; false at the end of the file. An I/O error is returned as an Error.
  Result<bool> Next(Line& line);

 private:
  LineReader(std::string path, UniqueFd fd, size_t max_line_bytes);
  Result<bool> Fill();

  std::string path_;
  UniqueFd fd_;
  size_t max_line_bytes_;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t number_ = 0;
};

}  // namespace aarm::receipts::detail
