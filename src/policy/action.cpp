#include "aarm/policy/action.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <utility>

namespace aarm::policy {
namespace {

constexpr std::array<ActionKind, 11> kKinds = {
    ActionKind::kProcessExec, ActionKind::kFileRead,   ActionKind::kFileWrite,
    ActionKind::kFileCreate,  ActionKind::kFileDelete, ActionKind::kFileRename,
    ActionKind::kFileLink,    ActionKind::kFileChmod,  ActionKind::kNetConnect,
    ActionKind::kNetBind,     ActionKind::kNetSend,
};

constexpr std::array<std::string_view, 11> kKindNames = {
    "process.exec", "file.read",   "file.write", "file.create",
    "file.delete",  "file.rename", "file.link",  "file.chmod",
    "net.connect",  "net.bind",    "net.send",
};

// O_LARGEFILE is left out: glibc defines it as 0 on 64-bit targets, where the kernel adds it
// to every open, so naming it would match everything or nothing depending on the caller.
constexpr std::array<std::pair<std::string_view, uint32_t>, 19> kOpenFlags = {{
    {"O_RDONLY", O_RDONLY},
    {"O_WRONLY", O_WRONLY},
    {"O_RDWR", O_RDWR},
    {"O_CREAT", O_CREAT},
    {"O_EXCL", O_EXCL},
    {"O_NOCTTY", O_NOCTTY},
    {"O_TRUNC", O_TRUNC},
    {"O_APPEND", O_APPEND},
    {"O_NONBLOCK", O_NONBLOCK},
    {"O_DSYNC", O_DSYNC},
    {"O_SYNC", O_SYNC},
    {"O_ASYNC", O_ASYNC},
    {"O_DIRECT", O_DIRECT},
    {"O_DIRECTORY", O_DIRECTORY},
    {"O_NOFOLLOW", O_NOFOLLOW},
    {"O_NOATIME", O_NOATIME},
    {"O_CLOEXEC", O_CLOEXEC},
    {"O_PATH", O_PATH},
    {"O_TMPFILE", O_TMPFILE},
}};

constexpr std::array<std::string_view, kOpenFlags.size()> kOpenFlagNames = [] {
  std::array<std::string_view, kOpenFlags.size()> names{};
  for (size_t i = 0; i < kOpenFlags.size(); ++i) names[i] = kOpenFlags[i].first;
  return names;
}();

static_assert(kKinds.size() == kKindNames.size());
static_assert(std::ranges::all_of(std::array{0, 1, 2, 3, 4, 5, 6, 7},
                                  [](int i) { return static_cast<int>(kKinds[i]) == i; }),
              "kKinds and kKindNames are indexed by ActionKind");

}  // namespace

std::string_view ActionKindName(ActionKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kKindNames.size() ? kKindNames[index] : std::string_view("unknown");
}

std::optional<ActionKind> ParseActionKind(std::string_view name) {
  const auto found = std::find(kKindNames.begin(), kKindNames.end(), name);
  if (found == kKindNames.end()) return std::nullopt;
  return kKinds[static_cast<size_t>(found - kKindNames.begin())];
}

std::span<const ActionKind> AllActionKinds() { return kKinds; }

bool IsNetworkAction(ActionKind kind) {
  return kind == ActionKind::kNetConnect || kind == ActionKind::kNetBind ||
         kind == ActionKind::kNetSend;
}

std::optional<uint32_t> OpenFlagValue(std::string_view name) {
  for (const auto& [flag, value] : kOpenFlags) {
    if (flag == name) return value;
  }
  return std::nullopt;
}

std::span<const std::string_view> OpenFlagNames() { return kOpenFlagNames; }

}  // namespace aarm::policy
