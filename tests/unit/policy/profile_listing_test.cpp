#include <catch2/catch.hpp>

#include <string>

#include "aarm/policy/profile.hpp"
#include "unit/policy/policy_test_support.hpp"

using aarm::policy::ListProfiles;
using aarm::policy::LoadProfile;
using aarm::policy::testing::ShippedDir;
using aarm::policy::testing::TempDir;

TEST_CASE("ListProfiles lists the shipped profiles in name order", "[policy]") {
  TempDir project;
  const auto listings = ListProfiles(ShippedDir(), project.Path());
  REQUIRE(listings.size() >= 2);
  for (size_t i = 0; i < listings.size(); ++i) {
    const auto& listing = listings[i];
    INFO(listing.name);
    CHECK(listing.shipped);
    CHECK(listing.problem.empty());
    CHECK(listing.path == ShippedDir() + "/" + listing.name + ".toml");
    auto profile = LoadProfile(listing.name, ShippedDir());
    REQUIRE(profile.has_value());
    CHECK(listing.description == profile->description);
    if (i > 0) CHECK(listings[i - 1].name < listing.name);
  }
}

TEST_CASE("ListProfiles adds the project's profile, with an inherited description", "[policy]") {
  TempDir project;
  const std::string path = project.Write(".aarm/profile.toml", "version = 1\nextends = \"default\"\n");
  const auto listings = ListProfiles(ShippedDir(), project.Path());
  REQUIRE_FALSE(listings.empty());
  const auto& last = listings.back();
  CHECK_FALSE(last.shipped);
  CHECK(last.name == path);
  CHECK(last.path == path);
  CHECK(last.problem.empty());
  auto standard = LoadProfile("default", ShippedDir());
  REQUIRE(standard.has_value());
  CHECK(last.description == standard->description);
}

TEST_CASE("ListProfiles shows a profile that does not load, with the reason", "[policy]") {
  TempDir shipped;
  shipped.Write("good.toml", "version = 1\ndescription = \"fine\"\n");
  const std::string bad = shipped.Write("bad.toml", "version = 1\n[netwrk]\n");
  shipped.Write("notes.txt", "not a profile");
  TempDir project;
  const auto listings = ListProfiles(shipped.Path(), project.Path());
  REQUIRE(listings.size() == 2);
  CHECK(listings[0].name == "bad");
  CHECK(listings[0].description.empty());
  CHECK(listings[0].problem ==
        bad + ":2:2: unknown key 'netwrk' at the top level; did you mean 'network'?");
  CHECK(listings[1].name == "good");
  CHECK(listings[1].description == "fine");
  CHECK(listings[1].problem.empty());
}

TEST_CASE("ListProfiles without a shipped directory lists only the project's", "[policy]") {
  TempDir project;
  CHECK(ListProfiles(project.Path() + "/absent", project.Path()).empty());
  project.Write(".aarm/profile.toml", "version = 1\n");
  const auto listings = ListProfiles(project.Path() + "/absent", project.Path());
  REQUIRE(listings.size() == 1);
  CHECK_FALSE(listings[0].shipped);
}
