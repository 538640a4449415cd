// ListProfiles: what `aarm profile list` shows.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "aarm/policy/profile.hpp"

namespace aarm::policy {
namespace {

ProfileListing Describe(std::string name, std::string path, bool shipped,
                        const std::string& shipped_dir) {
  ProfileListing listing{std::move(name), std::move(path), {}, shipped, {}};
  // Loaded in full: the description may come from an extended profile, and a listing that shows
  // a profile as usable when it does not load would mislead.
  auto profile = LoadProfile(listing.path, shipped_dir);
  if (profile) {
    listing.description = profile->description;
  } else {
    listing.problem = profile.error().Describe();
  }
  return listing;
}

}  // namespace

std::vector<ProfileListing> ListProfiles(const std::string& shipped_dir,
                                         const std::string& project_dir) {
  std::vector<ProfileListing> listings;
  std::error_code ec;
  std::vector<std::filesystem::path> shipped;
  for (std::filesystem::directory_iterator it(shipped_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".toml" && it->is_regular_file(ec)) shipped.push_back(it->path());
  }
  std::sort(shipped.begin(), shipped.end());
  for (const auto& path : shipped) {
    listings.push_back(Describe(path.stem().string(), path.string(), true, shipped_dir));
  }

  const std::filesystem::path project_profile =
      std::filesystem::path(project_dir) / ".aarm" / "profile.toml";
  if (std::filesystem::exists(project_profile, ec)) {
    listings.push_back(
        Describe(project_profile.string(), project_profile.string(), false, shipped_dir));
  }
  return listings;
}

}  // namespace aarm::policy
