// What one profile file says, before `extends` is applied, and the sections that read, merge and
// render it. Each section of the profile language lives in its own <name>_section.cpp with the
// same three functions; the loader lists them in one table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "aarm/base/error.hpp"
#include "aarm/policy/profile.hpp"
#include "profile_source.hpp"

namespace aarm::policy::detail {

// [session] as written: a key left out inherits from the extended profile, else the default.
struct SessionLayer {
  std::optional<DefaultDecision> default_decision;
  std::optional<bool> require_namespaces;
  std::optional<bool> require_landlock;
  std::optional<RecordReads> record_reads;
  std::optional<std::string> unclassified;
  SourceLocation unclassified_where;  // of the value, when `unclassified` is set
};

// [network] as written: a key left out inherits from the extended profile.
struct NetworkLayer {
  std::optional<NetworkMode> mode;
  std::vector<RulePattern> allow;  // this file's own entries
  std::optional<DefaultDecision> default_decision;
  std::vector<std::pair<std::string, std::string>> hosts;  // lower-case name, canonical address
  std::optional<SourceLocation> where;                     // the table, when the file has one
};

struct ProfileLayer {
  std::optional<std::string> description;
  SessionLayer session;
  FilesystemSettings filesystem;  // this file's own entries
  NetworkLayer network;
  std::vector<RuleSpec> rules;     // this file's own, in file order
  std::vector<LabelSpec> labels;   // this file's own, each name once, in file order
};

// Each Parse* reads the section's value in one file into its layer; Merge* applies a layer on
// top of what the extended profiles gave; Render* adds the merged section to the effective TOML.

Result<void> ParseSessionSection(const toml::node& node, const ProfileSource& source,
                                 SessionLayer& layer);
void MergeSession(const SessionLayer& layer, SessionSettings& settings);
void RenderSession(const SessionSettings& settings, toml::table& root);

Result<void> ParseFilesystemSection(const toml::node& node, const ProfileSource& source,
                                    FilesystemSettings& layer);
void MergeFilesystem(const FilesystemSettings& layer, FilesystemSettings& settings);
void RenderFilesystem(const FilesystemSettings& settings, toml::table& root);

Result<void> ParseNetworkSection(const toml::node& node, const ProfileSource& source,
                                 NetworkLayer& layer);
void MergeNetwork(const NetworkLayer& layer, NetworkSettings& settings);
void RenderNetwork(const NetworkSettings& settings, toml::table& root);

// [[rule]]: every rule checked, its patterns compiled once to find bad globs and regexes. Merging
// puts the extending layer's rules before those it extends; an id used twice is an error.
Result<void> ParseRuleSection(const toml::node& node, const ProfileSource& source,
                              std::vector<RuleSpec>& layer);
Result<void> MergeRules(const std::vector<RuleSpec>& layer, std::vector<RuleSpec>& rules);
void RenderRules(const std::vector<RuleSpec>& rules, toml::table& root);

// A path pattern or a non-empty array of them, each compiled with placeholder variables so that
// a bad glob is reported where it is written; `name` is the dotted key ("rule.match.path").
Result<std::vector<RulePattern>> ReadPathPatterns(const toml::node& node, std::string_view name,
                                                  const ProfileSource& source);

// [[label]]: a name declared twice in one file is one label, its paths merged. Merging puts the
// extending layer's labels first, each taking the paths the extended profile gives the same
// name; the extended profile's other labels follow.
Result<void> ParseLabelSection(const toml::node& node, const ProfileSource& source,
                               std::vector<LabelSpec>& layer);
void MergeLabels(const std::vector<LabelSpec>& layer, std::vector<LabelSpec>& labels);
void RenderLabels(const std::vector<LabelSpec>& labels, toml::table& root);

// session.unclassified must name "public", "secret" or a label of the effective profile; the
// error is placed where the layer that set it wrote it.
Result<void> CheckUnclassified(const SessionLayer& layer, const std::vector<LabelSpec>& labels);

// Label names are referred to from rules, receipts and the command line: letters, digits, '-'
// and '_', starting with a letter, at most kMaxLabelName bytes.
inline constexpr size_t kMaxLabelName = 64;
bool IsValidLabelName(std::string_view name);

}  // namespace aarm::policy::detail
