// File helpers shared by the key files and the receipt log. Private to src/receipts/.
#pragma once

#include <sys/types.h>

#include <string>

#include "aarm/base/error.hpp"

namespace aarm::receipts::detail {

// Creates `dir` and its missing parents with `mode`; existing directories are left as they are.
Result<void> MakeDirectories(const std::string& dir, mode_t mode);

// The whole content of a small file; fails on one larger than `max_bytes`.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

// Writes all of `data` to `fd`, retrying short writes and EINTR.
Result<void> WriteAll(int fd, std::string_view data, const std::string& path);

}  // namespace aarm::receipts::detail
