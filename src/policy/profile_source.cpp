#include "profile_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "aarm/base/unique_fd.hpp"
#include "aarm/policy/display_text.hpp"
#include "key_suggestions.hpp"
#include "path_variables.hpp"
#include "utf8.hpp"

namespace aarm::policy::detail {
namespace {

Error LocatedError(const std::string& path, const toml::source_position& where,
                   std::string_view what) {
  return ErrorAt(SourceLocation{path, where.line, where.column}, what);
}

Error TooLarge(const std::string& path, uint64_t size) {
  return Error{fmt::format("profile {} is {} bytes; a profile may be at most {} bytes",
                           QuoteForDisplay(path), size, kMaxProfileBytes)};
}

// Line and column, counted in characters, of byte `offset` of `text`, valid UTF-8 up to there.
toml::source_position PositionOf(std::string_view text, size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const size_t newline = before.rfind('\n');
  const std::string_view line = newline == std::string_view::npos ? before : before.substr(newline + 1);
  const auto line_number = 1 + std::count(before.begin(), before.end(), '\n');
  const auto column = 1 + std::count_if(line.begin(), line.end(), [](char c) {
                        return (static_cast<uint8_t>(c) & 0xC0) != 0x80;  // not a continuation
                      });
  return {static_cast<toml::source_index>(line_number), static_cast<toml::source_index>(column)};
}

// toml++ already writes the characters it complains about as escapes ('\n'); those backslashes
// are kept as they are, and anything else unsafe is escaped.
std::string EscapeParserMessage(std::string_view description) {
  std::string out;
  size_t start = 0;
  for (size_t slash; (slash = description.find('\\', start)) != std::string_view::npos;
       start = slash + 1) {
    out += EscapeForDisplay(description.substr(start, slash - start)) + "\\";
  }
  return out + EscapeForDisplay(description.substr(start));
}

}  // namespace

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

namespace {

Error WrongType(const toml::node& node, std::string_view name, std::string_view expected,
                const ProfileSource& source) {
  return source.At(node, fmt::format("{} must be {}, not {}", name, expected, TypeName(node)));
}

bool Contains(std::span<const std::string_view> list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string JoinQuoted(std::span<const std::string_view> list) {
  std::string out;
  for (std::string_view item : list) out += (out.empty() ? "'" : ", '") + std::string(item) + "'";
  return out;
}

// How a planned key reads in a message: as the section header the user wrote, or its name.
std::string PlannedKeyName(std::string_view qualified, const toml::node& value) {
  if (value.is_table() && !value.as_table()->is_inline()) return fmt::format("[{}]", qualified);
  if (value.is_array_of_tables()) return fmt::format("[[{}]]", qualified);
  return fmt::format("'{}'", qualified);
}

}  // namespace

Result<ProfileText> ReadProfileText(const std::string& path) {
  const std::string shown = QuoteForDisplay(path);
  // O_NONBLOCK: a FIFO named as a profile must not hang the loader before fstat rejects it.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return FailErrno("cannot read profile " + shown);
  struct stat st;
  if (::fstat(fd.Get(), &st) != 0) return FailErrno("cannot read profile " + shown);
  if (S_ISDIR(st.st_mode)) return FailErrno("cannot read profile " + shown, EISDIR);
  if (!S_ISREG(st.st_mode)) return Fail("cannot read profile " + shown + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxProfileBytes) {
    return tl::unexpected(TooLarge(path, static_cast<uint64_t>(st.st_size)));
  }

  // Bounded by the limit, not by st_size: the file may grow between fstat and read.
  std::string text(kMaxProfileBytes + 1, '\0');
  size_t used = 0;
  while (used < text.size()) {
    const ssize_t n = ::read(fd.Get(), text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FailErrno("cannot read profile " + shown);
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > kMaxProfileBytes) return tl::unexpected(TooLarge(path, used));
  text.resize(used);
  return ProfileText{path, FileIdentity{st.st_dev, st.st_ino}, std::move(text)};
}

Result<ProfileSource> ProfileSource::Parse(const ProfileText& file) {
  // toml++ rejects such bytes too, but places the error one character early; this names the byte
  // where it is.
  if (const size_t bad = FirstInvalidUtf8(file.text); bad != std::string::npos) {
    return tl::unexpected(LocatedError(
        file.path, PositionOf(file.text, bad),
        fmt::format("not UTF-8: byte \\x{:02x}; a profile must be UTF-8 text",
                    static_cast<uint8_t>(file.text[bad]))));
  }
  try {
    toml::table root = toml::parse(std::string_view(file.text), std::string_view(file.path));
    return ProfileSource(file.path, file.identity, std::move(root));
  } catch (const toml::parse_error& e) {
    return tl::unexpected(LocatedError(file.path, e.source().begin,
                                       "invalid TOML: " + EscapeParserMessage(e.description())));
  }
}

Error ProfileSource::At(const toml::source_position& where, std::string_view what) const {
  return LocatedError(path_, where, what);
}

Error ProfileSource::At(const toml::node& node, std::string_view what) const {
  return LocatedError(path_, node.source().begin, what);
}

SourceLocation ProfileSource::Location(const toml::node& node) const {
  return SourceLocation{path_, node.source().begin.line, node.source().begin.column};
}

Error ErrorAt(const SourceLocation& where, std::string_view what) {
  return Error{fmt::format("{}: {}", FormatLocation(where), what)};
}

std::string NotSupportedYet(std::string_view what) {
  return fmt::format("{} is not supported by this version of aarm yet", what);
}

Result<void> CheckKeys(const toml::table& table, const TableSchema& schema,
                       const ProfileSource& source) {
  struct Entry {
    const toml::key* key;
    const toml::node* value;
    toml::source_position where;
  };
  std::vector<Entry> entries;
  for (const auto& [key, value] : table) {
    const toml::source_position where =
        key.source().begin.line != 0 ? key.source().begin : value.source().begin;
    entries.push_back({&key, &value, where});
  }
  // The table is ordered by name; errors are reported in the order the user wrote the keys.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });

  std::vector<std::string_view> known(schema.supported.begin(), schema.supported.end());
  known.insert(known.end(), schema.planned.begin(), schema.planned.end());
  for (const Entry& entry : entries) {
    const std::string_view name = entry.key->str();
    if (Contains(schema.supported, name)) continue;
    const std::string qualified =
        schema.name.empty() ? std::string(name) : fmt::format("{}.{}", schema.name, name);
    if (Contains(schema.planned, name)) {
      return tl::unexpected(
          source.At(entry.where, NotSupportedYet(PlannedKeyName(qualified, *entry.value))));
    }
    std::string what = "unknown key " + QuoteForDisplay(name);
    if (schema.name.empty()) {
      what += " at the top level";
    } else {
      what += schema.array_element ? fmt::format(" in [[{}]]", schema.name)
                                   : fmt::format(" in [{}]", schema.name);
    }
    if (auto near = NearestKey(name, known)) {
      what += fmt::format("; did you mean '{}'?", *near);
    } else {
      what += " (known keys: " + JoinQuoted(schema.supported) + ")";
    }
    return tl::unexpected(source.At(entry.where, what));
  }
  return {};
}

Result<const toml::table*> ReadTable(const toml::node& node, std::string_view name,
                                     const ProfileSource& source) {
  if (const toml::table* table = node.as_table()) return table;
  return tl::unexpected(WrongType(node, name, "a table", source));
}

Result<bool> ReadBool(const toml::node& node, std::string_view name, const ProfileSource& source) {
  if (const auto* value = node.as_boolean()) return value->get();
  return tl::unexpected(WrongType(node, name, "true or false", source));
}

Result<int64_t> ReadInteger(const toml::node& node, std::string_view name,
                            const ProfileSource& source) {
  if (const auto* value = node.as_integer()) return value->get();
  return tl::unexpected(WrongType(node, name, "an integer", source));
}

Result<std::string> ReadText(const toml::node& node, std::string_view name,
                             const ProfileSource& source) {
  const auto* value = node.as_string();
  if (!value) return tl::unexpected(WrongType(node, name, "a string", source));
  const std::string& text = value->get();
  if (text.empty()) return tl::unexpected(source.At(node, fmt::format("{} is empty", name)));
  if (text.find('\0') != std::string::npos) {
    return tl::unexpected(source.At(
        node, fmt::format("{} {} contains a NUL byte", name, QuoteForDisplay(text))));
  }
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return tl::unexpected(source.At(
        node, fmt::format("{} {} contains a control character; it must be one line of text", name,
                          QuoteForDisplay(text))));
  }
  return text;
}

Result<std::string> ReadChoice(const toml::node& node, std::string_view name,
                               std::span<const std::string_view> choices,
                               std::span<const std::string_view> planned,
                               const ProfileSource& source) {
  auto text = ReadText(node, name, source);
  if (!text) return text;
  if (Contains(choices, *text)) return text;
  if (Contains(planned, *text)) {
    return tl::unexpected(
        source.At(node, NotSupportedYet(fmt::format("{} = \"{}\"", name, *text))));
  }
  std::string what =
      fmt::format("{} must be one of {}, not {}", name, JoinQuoted(choices), QuoteForDisplay(*text));
  std::vector<std::string_view> known(choices.begin(), choices.end());
  known.insert(known.end(), planned.begin(), planned.end());
  if (auto near = NearestKey(*text, known)) what += fmt::format("; did you mean '{}'?", *near);
  return tl::unexpected(source.At(node, what));
}

Result<std::vector<std::string>> ReadPathList(const toml::node& node, std::string_view name,
                                              const ProfileSource& source) {
  const toml::array* array = node.as_array();
  if (!array) return tl::unexpected(WrongType(node, name, "an array of paths", source));
  std::vector<std::string> paths;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* value = element.as_string();
    if (!value) {
      return tl::unexpected(
          WrongType(element, fmt::format("each entry of {}", name), "a string", source));
    }
    if (auto problem = PathSyntaxProblem(value->get())) {
      return tl::unexpected(source.At(
          element, fmt::format("{} entry {} {}", name, QuoteForDisplay(value->get()), *problem)));
    }
    paths.push_back(value->get());
  }
  return paths;
}

}  // namespace aarm::policy::detail

namespace aarm::policy {

std::string FormatLocation(const SourceLocation& where) {
  // Nodes made by the loader itself carry no position; the top of the file is the honest answer.
  return fmt::format("{}:{}:{}", EscapeForDisplay(where.file), where.line == 0 ? 1 : where.line,
                     where.column == 0 ? 1 : where.column);
}

}  // namespace aarm::policy
