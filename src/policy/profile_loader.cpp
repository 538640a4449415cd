// LoadProfile: resolves a name or path, follows `extends`, merges the layers and renders the
// effective profile.
#include <fmt/format.h>
#include <linux/limits.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <sstream>

#include "aarm/base/paths.hpp"
#include "aarm/policy/display_text.hpp"
#include "aarm/policy/profile.hpp"
#include "profile_layer.hpp"
#include "profile_source.hpp"

namespace aarm::policy {
namespace detail {
namespace {

constexpr int kProfileVersion = 1;

// Files in one `extends` chain, the profile named by the user included. Deep enough for a
// project profile on a team profile on a shipped one, shallow enough to read in one sitting.
constexpr size_t kMaxExtendsChain = 8;

constexpr std::array<std::string_view, 8> kSupportedKeys = {
    "version", "extends", "description", "session", "filesystem", "network", "label", "rule"};
constexpr std::array<std::string_view, 4> kPlannedKeys = {"limits", "environment", "credential",
                                                          "evaluator"};

// The sections this version builds; each reads its part of one file into the layer.
struct Section {
  std::string_view key;
  Result<void> (*parse)(const toml::node& node, const ProfileSource& source, ProfileLayer& layer);
};
constexpr std::array<Section, 5> kSections = {{
    {"session",
     [](const toml::node& node, const ProfileSource& source, ProfileLayer& layer) {
       return ParseSessionSection(node, source, layer.session);
     }},
    {"filesystem",
     [](const toml::node& node, const ProfileSource& source, ProfileLayer& layer) {
       return ParseFilesystemSection(node, source, layer.filesystem);
     }},
    {"network",
     [](const toml::node& node, const ProfileSource& source, ProfileLayer& layer) {
       return ParseNetworkSection(node, source, layer.network);
     }},
    {"label",
     [](const toml::node& node, const ProfileSource& source, ProfileLayer& layer) {
       return ParseLabelSection(node, source, layer.labels);
     }},
    {"rule",
     [](const toml::node& node, const ProfileSource& source, ProfileLayer& layer) {
       return ParseRuleSection(node, source, layer.rules);
     }},
}};

struct Extends {
  std::string value;
  toml::source_position where;
};

struct ParsedFile {
  ProfileLayer layer;
  std::optional<Extends> extends;
};

Result<ParsedFile> ParseFile(const ProfileSource& source) {
  const toml::table& root = source.Root();
  const toml::node* version = root.get("version");
  if (!version) {
    return tl::unexpected(
        source.At(toml::source_position{1, 1},
                  fmt::format("missing 'version = {}' (the profile format version)",
                              kProfileVersion)));
  }
  auto number = ReadInteger(*version, "version", source);
  if (!number) return tl::unexpected(number.error());
  // Checked before the keys: a newer format may well have keys this version does not know.
  if (*number != kProfileVersion) {
    return tl::unexpected(source.At(
        *version, fmt::format("version = {} is not supported; this version of aarm reads version {}",
                              *number, kProfileVersion)));
  }
  if (auto keys = CheckKeys(root, {"", kSupportedKeys, kPlannedKeys}, source); !keys) {
    return tl::unexpected(keys.error());
  }

  ParsedFile parsed;
  if (const toml::node* node = root.get("description")) {
    auto text = ReadText(*node, "description", source);
    if (!text) return tl::unexpected(text.error());
    parsed.layer.description = std::move(*text);
  }
  if (const toml::node* node = root.get("extends")) {
    auto text = ReadText(*node, "extends", source);
    if (!text) return tl::unexpected(text.error());
    parsed.extends = Extends{std::move(*text), node->source().begin};
  }
  for (const Section& section : kSections) {
    if (const toml::node* node = root.get(section.key)) {
      if (auto ok = section.parse(*node, source, parsed.layer); !ok) {
        return tl::unexpected(ok.error());
      }
    }
  }
  return parsed;
}

bool IsPathReference(std::string_view name_or_path) {
  return name_or_path.find('/') != std::string_view::npos || name_or_path.ends_with(".toml");
}

bool IsShippedName(std::string_view name) {
  return !name.empty() && std::isalnum(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

// Where a profile reference leads: a path relative to `base_dir`, or a shipped profile.
struct Target {
  std::string path;
  std::optional<std::string> shipped_name;
};

Result<Target> Resolve(std::string_view reference, const std::string& base_dir,
                       const std::string& shipped_dir) {
  if (IsPathReference(reference)) {
    return Target{NormalizePath(std::string(reference), base_dir), std::nullopt};
  }
  if (!IsShippedName(reference)) {
    return Fail(fmt::format(
        "{} is neither a shipped profile name (letters, digits, '-', '_') nor a path (with a "
        "'/' or ending in '.toml')",
        QuoteForDisplay(reference)));
  }
  if (shipped_dir.empty()) {
    return Fail(fmt::format("no directory of shipped profiles to find {} in",
                            QuoteForDisplay(reference)));
  }
  return Target{NormalizePath(shipped_dir + "/" + std::string(reference) + ".toml"),
                std::string(reference)};
}

Result<ProfileText> ReadTarget(const Target& target, const std::string& shipped_dir) {
  auto text = ReadProfileText(target.path);
  if (!text && target.shipped_name && text.error().sys_errno == ENOENT) {
    return FailErrno(fmt::format("no shipped profile named {} in {}",
                                 QuoteForDisplay(*target.shipped_name),
                                 QuoteForDisplay(shipped_dir)),
                     ENOENT);
  }
  return text;
}

std::string DescribeChain(const std::vector<std::string>& paths, const std::string& last) {
  std::string out;
  for (const std::string& path : paths) out += EscapeForDisplay(path) + " -> ";
  return out + EscapeForDisplay(last);
}

std::string RenderEffective(const Profile& profile) {
  toml::table root;
  root.insert("version", profile.version);
  if (!profile.description.empty()) root.insert("description", profile.description);
  RenderSession(profile.session, root);
  RenderFilesystem(profile.filesystem, root);
  RenderNetwork(profile.network, root);
  RenderLabels(profile.labels, root);
  RenderRules(profile.rules, root);
  // No unicode or literal strings: the text is recorded in receipts and shown on terminals, so
  // everything outside printable ASCII is escaped.
  std::ostringstream out;
  out << toml::toml_formatter(root, toml::format_flags::indent_array_elements) << "\n";
  return out.str();
}

}  // namespace
}  // namespace detail

Result<Profile> LoadProfile(std::string_view name_or_path, const std::string& shipped_dir) {
  using namespace detail;
  // Relative references, and a relative $AARM_PROFILE_DIR, are taken from the current directory;
  // only they need it.
  std::array<char, PATH_MAX> buffer;
  const char* cwd = ::getcwd(buffer.data(), buffer.size());
  const int cwd_errno = errno;
  auto relative = [](std::string_view path) { return !path.empty() && path.front() != '/'; };
  if (!cwd && ((IsPathReference(name_or_path) && relative(name_or_path)) || relative(shipped_dir))) {
    return FailErrno("cannot resolve profile " + QuoteForDisplay(name_or_path) +
                         " against the current directory",
                     cwd_errno);
  }
  const std::string base = cwd ? cwd : "/";
  const std::string absolute_shipped_dir =
      shipped_dir.empty() ? std::string() : NormalizePath(shipped_dir, base);
  auto target = Resolve(name_or_path, base, absolute_shipped_dir);
  if (!target) return tl::unexpected(target.error());
  auto text = ReadTarget(*target, absolute_shipped_dir);
  if (!text) return tl::unexpected(text.error());

  std::vector<std::string> files;
  std::vector<FileIdentity> identities;
  std::vector<ProfileLayer> layers;  // own first, then each extended one
  for (;;) {
    auto source = ProfileSource::Parse(*text);
    if (!source) return tl::unexpected(source.error());
    auto parsed = ParseFile(*source);
    if (!parsed) return tl::unexpected(parsed.error());
    files.push_back(source->Path());
    identities.push_back(source->Identity());
    layers.push_back(std::move(parsed->layer));
    if (!parsed->extends) break;

    // Problems with the extended file itself (missing, a cycle, too deep) belong to the line that
    // names it; problems inside it are reported where they are, by the next round.
    const Extends& extends = *parsed->extends;
    const std::string quoted = QuoteForDisplay(extends.value);
    if (files.size() == kMaxExtendsChain) {
      return tl::unexpected(source->At(
          extends.where, fmt::format("extends = {} would make a chain of more than {} profiles",
                                     quoted, kMaxExtendsChain)));
    }
    auto next = Resolve(extends.value, NormalizePath(source->Path() + "/.."), absolute_shipped_dir);
    if (!next) {
      return tl::unexpected(source->At(extends.where, "extends = " + next.error().message));
    }
    text = ReadTarget(*next, absolute_shipped_dir);
    if (!text) {
      return tl::unexpected(source->At(
          extends.where, fmt::format("extends = {}: {}", quoted, text.error().Describe())));
    }
    if (std::find(identities.begin(), identities.end(), text->identity) != identities.end()) {
      return tl::unexpected(source->At(
          extends.where, fmt::format("extends = {} makes a cycle: {}", quoted,
                                     DescribeChain(files, text->path))));
    }
  }

  Profile profile;
  profile.version = kProfileVersion;
  profile.name = std::string(name_or_path);
  profile.path = files.front();
  profile.files = files;
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
    if (layer->description) profile.description = *layer->description;
    MergeSession(layer->session, profile.session);
    MergeFilesystem(layer->filesystem, profile.filesystem);
    MergeNetwork(layer->network, profile.network);
    MergeLabels(layer->labels, profile.labels);
    if (auto merged = MergeRules(layer->rules, profile.rules); !merged) {
      return tl::unexpected(merged.error());
    }
  }
  // The label unclassified data carries may be declared in any file of the chain; checked once
  // all are merged, where the file whose value holds wrote it.
  const auto setter = std::find_if(layers.begin(), layers.end(), [](const ProfileLayer& layer) {
    return layer.session.unclassified.has_value();
  });
  if (setter != layers.end()) {
    if (auto known = CheckUnclassified(setter->session, profile.labels); !known) {
      return tl::unexpected(known.error());
    }
  }
  profile.effective_toml = RenderEffective(profile);
  return profile;
}

}  // namespace aarm::policy
