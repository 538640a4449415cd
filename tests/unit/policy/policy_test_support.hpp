// Fixture locations and scratch files for the policy tests.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aarm/policy/profile.hpp"

namespace aarm::policy::testing {

inline std::filesystem::path SourceRoot() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

// The profiles shipped with aarm, from the source tree.
inline std::string ShippedDir() { return (SourceRoot() / "profiles").string(); }

// tests/profiles/loader: hand-written fixtures for the loader.
inline std::string FixtureDir() { return (SourceRoot() / "tests" / "profiles" / "loader").string(); }
inline std::string Fixture(std::string_view name) { return FixtureDir() + "/" + std::string(name); }

// tests/profiles/rules: fixtures with [[rule]]s.
inline std::string RulesFixture(std::string_view name) {
  return (SourceRoot() / "tests" / "profiles" / "rules" / name).string();
}

// The profile `name_or_path` loads to; the test fails with the loader's message when it does not.
inline Profile MustLoad(const std::string& name_or_path,
                        const std::string& shipped_dir = ShippedDir()) {
  auto profile = LoadProfile(name_or_path, shipped_dir);
  INFO(name_or_path);
  if (!profile) FAIL(profile.error().message);
  return *profile;
}

// A fresh directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "aarm-policy-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::string& Path() const { return path_; }

  // Writes `content` byte for byte to `name` below the directory; returns its path.
  std::string Write(std::string_view name, std::string_view content) const {
    const std::filesystem::path file = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("cannot write " + file.string());
    return file.string();
  }

 private:
  std::string path_;
};

inline bool IsOneSafeLine(const std::string& message) {
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return false;
  }
  return true;
}

// Loads `text` as p.toml in `dir` and returns the error with the file name replaced by "P".
inline std::string ErrorFor(const TempDir& dir, const std::string& text) {
  const std::string path = dir.Write("p.toml", text);
  auto profile = LoadProfile(path, ShippedDir());
  INFO(text);
  REQUIRE_FALSE(profile.has_value());
  const std::string& message = profile.error().message;
  CHECK(IsOneSafeLine(message));
  REQUIRE(message.rfind(path + ":", 0) == 0);
  return "P" + message.substr(path.size());
}

}  // namespace aarm::policy::testing
