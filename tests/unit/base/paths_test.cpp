#include <catch2/catch.hpp>

#include "aarm/base/paths.hpp"

using aarm::NormalizePath;
using aarm::PathIsWithin;

TEST_CASE("NormalizePath collapses dots and slashes without touching the disk", "[base]") {
  CHECK(NormalizePath("/a//b/./c/") == "/a/b/c");
  CHECK(NormalizePath("/a/b/../c") == "/a/c");
  CHECK(NormalizePath("/../../etc") == "/etc");
  CHECK(NormalizePath("x/y", "/base") == "/base/x/y");
  CHECK(NormalizePath("../y", "/base/dir") == "/base/y");
  CHECK(NormalizePath("") == "/");
}

TEST_CASE("PathIsWithin respects component boundaries", "[base]") {
  CHECK(PathIsWithin("/home/u/project", "/home/u"));
  CHECK(PathIsWithin("/home/u", "/home/u"));
  CHECK_FALSE(PathIsWithin("/home/user2", "/home/u"));
  CHECK(PathIsWithin("/anything", "/"));
}
