// aarm profile list | check: which profiles there are, and whether one loads and what it grants.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "aarm/base/paths.hpp"
#include "aarm/policy/display_text.hpp"
#include "aarm/policy/profile.hpp"
#include "commands.hpp"

namespace aarm::cli {
namespace {

using policy::EscapeForDisplay;

constexpr int kOk = 0;
constexpr int kCheckFailed = 1;
constexpr int kUsageOrIo = 2;

void PrintError(const std::string& message) {
  fmt::print(stderr, "aarm: {}\n", message);
}

int ListProfilesCommand() {
  auto shipped_dir = ShippedProfileDir();
  if (!shipped_dir) {
    PrintError("cannot locate the shipped profiles: " + shipped_dir.error().Describe());
    return kUsageOrIo;
  }
  std::array<char, 4096> cwd;
  if (!::getcwd(cwd.data(), cwd.size())) {
    PrintError(Error{"cannot determine the current directory", errno}.Describe());
    return kUsageOrIo;
  }
  const auto listings =
      policy::ListProfiles(*shipped_dir, policy::FindProjectDirectory(cwd.data()));

  struct Row {
    std::string name, description, path;
  };
  std::vector<Row> rows = {{"NAME", "DESCRIPTION", "PATH"}};
  for (const auto& listing : listings) {
    rows.push_back({EscapeForDisplay(listing.name),
                    listing.problem.empty()
                        ? EscapeForDisplay(listing.description)
                        : "(does not load; run 'aarm profile check " +
                              EscapeForDisplay(listing.path) + "')",
                    EscapeForDisplay(listing.path)});
  }
  size_t name_width = 0;
  size_t description_width = 0;
  for (const Row& row : rows) {
    name_width = std::max(name_width, row.name.size());
    description_width = std::max(description_width, row.description.size());
  }
  for (const Row& row : rows) {
    fmt::print("{:<{}}  {:<{}}  {}\n", row.name, name_width, row.description, description_width,
               row.path);
  }
  return kOk;
}

int CheckProfileCommand(const std::string& name_or_path) {
  auto shipped_dir = ShippedProfileDir();
  if (!shipped_dir) {
    PrintError("cannot locate the shipped profiles: " + shipped_dir.error().Describe());
    return kUsageOrIo;
  }
  auto profile = policy::LoadProfile(name_or_path, *shipped_dir);
  if (!profile) {
    PrintError(profile.error().Describe());
    return kCheckFailed;
  }
  std::string files;
  for (const std::string& file : profile->files) {
    files += (files.empty() ? "" : ", ") + EscapeForDisplay(file);
  }
  fmt::print("ok: {} ({})\n{}", EscapeForDisplay(profile->name), files, profile->effective_toml);
  return kOk;
}

}  // namespace

void RegisterProfileCommands(CLI::App& app, int& exit_status) {
  CLI::App* profile = app.add_subcommand("profile", "List and check profiles");
  profile->require_subcommand(1);

  CLI::App* list = profile->add_subcommand(
      "list", "Shipped profiles, then the project's .aarm/profile.toml if there is one");
  list->callback([&exit_status] { exit_status = ListProfilesCommand(); });

  CLI::App* check = profile->add_subcommand(
      "check", "Validate a profile and print the effective profile after 'extends'");
  auto name_or_path = std::make_shared<std::string>();
  check->add_option("PROFILE", *name_or_path, "A shipped profile's name or a TOML file")
      ->required();
  check->callback([&exit_status, name_or_path] {
    exit_status = CheckProfileCommand(*name_or_path);
  });
}

}  // namespace aarm::cli
