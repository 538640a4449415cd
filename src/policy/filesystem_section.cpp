// [filesystem]: the sandbox's view of the file tree.
#include <algorithm>
#include <array>

#include "profile_layer.hpp"

namespace aarm::policy::detail {
namespace {

constexpr std::array<std::string_view, 4> kSupportedKeys = {"read", "write", "hide", "readonly"};

// The four lists by key, so that parsing, merging and rendering cannot disagree on them.
constexpr std::array<std::pair<std::string_view, std::vector<std::string> FilesystemSettings::*>, 4>
    kLists = {{{"read", &FilesystemSettings::read},
               {"write", &FilesystemSettings::write},
               {"hide", &FilesystemSettings::hide},
               {"readonly", &FilesystemSettings::readonly}}};

void AppendNew(const std::vector<std::string>& entries, std::vector<std::string>& list) {
  for (const std::string& entry : entries) {
    if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(entry);
  }
}

}  // namespace

Result<void> ParseFilesystemSection(const toml::node& node, const ProfileSource& source,
                                    FilesystemSettings& layer) {
  auto table = ReadTable(node, "filesystem", source);
  if (!table) return tl::unexpected(table.error());
  if (auto keys = CheckKeys(**table, {"filesystem", kSupportedKeys, {}}, source); !keys) {
    return keys;
  }
  for (const auto& [key, member] : kLists) {
    const toml::node* value = (*table)->get(key);
    if (!value) continue;
    auto paths = ReadPathList(*value, "filesystem." + std::string(key), source);
    if (!paths) return tl::unexpected(paths.error());
    AppendNew(*paths, layer.*member);
  }
  return {};
}

void MergeFilesystem(const FilesystemSettings& layer, FilesystemSettings& settings) {
  for (const auto& [key, member] : kLists) AppendNew(layer.*member, settings.*member);
}

void RenderFilesystem(const FilesystemSettings& settings, toml::table& root) {
  toml::table filesystem;
  for (const auto& [key, member] : kLists) {
    toml::array paths;
    for (const std::string& path : settings.*member) paths.push_back(path);
    filesystem.insert(key, std::move(paths));
  }
  root.insert("filesystem", std::move(filesystem));
}

}  // namespace aarm::policy::detail
