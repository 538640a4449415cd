// One profile file read and parsed, and the means to blame a place in it: every error the loader
// reports is "FILE:LINE:COL: what", one line, with values from the file escaped.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "aarm/base/error.hpp"
#include "aarm/policy/profile.hpp"

namespace aarm::policy::detail {

// A profile is a short hand-written file; anything larger is a mistake or an attack on the
// loader, refused before it is parsed.
inline constexpr size_t kMaxProfileBytes = 1024 * 1024;

// Which file a path reached, so that `extends` cycles are found through symlinks and "..".
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// A profile file's bytes, read but not yet parsed.
struct ProfileText {
  std::string path;
  FileIdentity identity;
  std::string text;
};

// Reads the regular file at the absolute path `path`, at most kMaxProfileBytes. Failing system
// calls give an Error with errno.
Result<ProfileText> ReadProfileText(const std::string& path);

class ProfileSource {
 public:
  // Parses the text; a TOML syntax error is located in it.
  static Result<ProfileSource> Parse(const ProfileText& file);

  const std::string& Path() const { return path_; }
  const FileIdentity& Identity() const { return identity_; }
  const toml::table& Root() const { return root_; }

  Error At(const toml::source_position& where, std::string_view what) const;
  Error At(const toml::node& node, std::string_view what) const;
  // Where `node` begins, for errors found after loading.
  SourceLocation Location(const toml::node& node) const;

 private:
  ProfileSource(std::string path, FileIdentity identity, toml::table root)
      : path_(std::move(path)), identity_(identity), root_(std::move(root)) {}

  std::string path_;
  FileIdentity identity_;
  toml::table root_;
};

// The keys one table may hold. `planned` keys are part of the profile language but not built by
// this version: they are rejected as such rather than as unknown, and still serve as suggestions.
struct TableSchema {
  std::string_view name;  // "session" for [session]; empty for the top level
  std::span<const std::string_view> supported;
  std::span<const std::string_view> planned;
  bool array_element = false;  // the table is one of [[name]]
};

// The first key of `table`, in file order, that `schema` does not support, as an error suggesting
// the nearest known key.
Result<void> CheckKeys(const toml::table& table, const TableSchema& schema,
                       const ProfileSource& source);

// Typed reads of one value; `name` is its dotted name for messages ("session.default").
Result<const toml::table*> ReadTable(const toml::node& node, std::string_view name,
                                     const ProfileSource& source);
Result<bool> ReadBool(const toml::node& node, std::string_view name, const ProfileSource& source);
Result<int64_t> ReadInteger(const toml::node& node, std::string_view name,
                            const ProfileSource& source);
// A string that is neither empty nor holds control characters (NUL and newlines included).
Result<std::string> ReadText(const toml::node& node, std::string_view name,
                             const ProfileSource& source);
// One of `choices`; a `planned` value is rejected as not built yet.
Result<std::string> ReadChoice(const toml::node& node, std::string_view name,
                               std::span<const std::string_view> choices,
                               std::span<const std::string_view> planned,
                               const ProfileSource& source);
// An array of paths, each checked by PathSyntaxProblem.
Result<std::vector<std::string>> ReadPathList(const toml::node& node, std::string_view name,
                                              const ProfileSource& source);

// "this version of aarm does not support X yet" — the one wording for every planned feature.
std::string NotSupportedYet(std::string_view what);

// "FILE:LINE:COL: what", for a place remembered after loading.
Error ErrorAt(const SourceLocation& where, std::string_view what);

// "a string", "an integer", ... for "must be X, not Y" messages.
std::string_view TypeName(const toml::node& node);

}  // namespace aarm::policy::detail
