#include "target_memory.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace aarm::supervisor {
namespace {

constexpr uint64_t kPageSize = 4096;

}  // namespace

bool ReadMemory(pid_t pid, uint64_t address, void* out, size_t size) {
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(size)) return true;
  if (n >= 0) errno = EFAULT;
  return false;
}

bool WriteMemory(pid_t pid, uint64_t address, const void* data, size_t size) {
  iovec local{const_cast<void*>(data), size};
  iovec remote{reinterpret_cast<void*>(address), size};
  ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(size)) return true;
  if (n >= 0) errno = EFAULT;
  return false;
}

Result<std::string> ReadString(pid_t pid, uint64_t address, size_t max) {
  if (address == 0) return FailErrno("null string pointer", EFAULT);
  std::string out;
  char chunk[kPageSize];
  while (out.size() <= max) {
    // Never read across a page boundary in one call: the next page may be unmapped although
    // the string ends before it.
    size_t to_page_end = kPageSize - (address % kPageSize);
    if (!ReadMemory(pid, address, chunk, to_page_end)) return FailErrno("unreadable string", EFAULT);
    const char* end = static_cast<const char*>(memchr(chunk, '\0', to_page_end));
    out.append(chunk, end ? static_cast<size_t>(end - chunk) : to_page_end);
    if (end) {
      if (out.size() >= max) break;
      return out;
    }
    address += to_page_end;
  }
  return FailErrno("string too long", ENAMETOOLONG);
}

Result<std::vector<std::string>> ReadStringArray(pid_t pid, uint64_t address, size_t max_items,
                                                 size_t max_each, size_t max_total) {
  std::vector<std::string> out;
  size_t total = 0;
  if (address == 0) return out;
  for (size_t i = 0;; ++i) {
    if (i >= max_items) return FailErrno("argument list too long", E2BIG);
    uint64_t pointer = 0;
    if (!ReadMemory(pid, address + i * sizeof pointer, &pointer, sizeof pointer)) {
      return FailErrno("unreadable argument list", EFAULT);
    }
    if (pointer == 0) return out;
    auto item = ReadString(pid, pointer, std::min(max_each, max_total - total));
    if (!item) {
      if (item.error().sys_errno == ENAMETOOLONG) return FailErrno("argument list too long", E2BIG);
      return tl::unexpected(item.error());
    }
    total += item->size() + 1;
    if (total > max_total) return FailErrno("argument list too long", E2BIG);
    out.push_back(std::move(*item));
  }
}

}  // namespace aarm::supervisor
