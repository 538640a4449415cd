// The session's private host directory: the private {tmp} and the sandbox's staging area.
// Created 0700 under $XDG_RUNTIME_DIR (else $TMPDIR, else /tmp) and removed at the end.
#pragma once

#include <string>

#include "aarm/base/error.hpp"

namespace aarm::run {

class SessionDirectory {
 public:
  static Result<SessionDirectory> Create();
  SessionDirectory(SessionDirectory&& other) noexcept;
  SessionDirectory& operator=(SessionDirectory&&) = delete;
  ~SessionDirectory();

  const std::string& Path() const { return path_; }
  std::string PrivateTmp() const { return path_ + "/tmp"; }

 private:
  explicit SessionDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace aarm::run
