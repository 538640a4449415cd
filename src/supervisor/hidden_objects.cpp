#include "aarm/supervisor/hidden_objects.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace aarm::supervisor {

HiddenObjects CollectHiddenObjects(const std::vector<std::string>& paths, size_t limit) {
  HiddenObjects hidden;
  auto note = [&](const std::filesystem::path& path) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    // Only files with another name can be reached another way.
    if (st.st_nlink < 2) return;
    if (hidden.files.size() >= limit) {
      ++hidden.skipped;
      return;
    }
    hidden.files.insert({st.st_dev, st.st_ino});
  };
  for (const auto& root : paths) {
    std::error_code ec;
    note(root);
    auto it = std::filesystem::recursive_directory_iterator(
        root, std::filesystem::directory_options::skip_permission_denied, ec);
    if (ec) continue;
    for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      note(it->path());
    }
  }
  return hidden;
}

}  // namespace aarm::supervisor
