#include "support/workspace.hpp"

#include <linux/landlock.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace aarm::testing {
namespace {

std::string TomlString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string TomlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + TomlString(items[i]);
  return out + "]";
}

void MakeDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw std::runtime_error("mkdir " + path + ": " + std::strerror(errno));
  }
}

std::string Below(const std::string& base, const std::string& relative) {
  return relative.empty() ? base : base + "/" + relative;
}

}  // namespace

std::string BinDir() {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n < 0) throw std::runtime_error("readlink /proc/self/exe failed");
  return std::filesystem::path(std::string(buffer, static_cast<size_t>(n))).parent_path();
}

std::string AarmRunPath() { return BinDir() + "/aarm-run"; }
std::string ProbePath() { return BinDir() + "/probes/probe"; }

int LandlockAbi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFileText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string ProfileToml(const ProfileSpec& spec) {
  // The probe's directory is always visible: every test runs it.
  std::vector<std::string> read = spec.read;
  read.push_back(BinDir() + "/probes");
  std::string toml = "version = 1\ndescription = \"end-to-end test profile\"\n\n[session]\n"
                     "default = \"allow\"\n";
  if (spec.require_namespaces) {
    toml += std::string("require_namespaces = ") + (*spec.require_namespaces ? "true" : "false") +
            "\n";
  }
  toml += "\n[filesystem]\nread = " + TomlList(read) + "\nwrite = " + TomlList(spec.write) + "\n";
  if (!spec.hide.empty()) toml += "hide = " + TomlList(spec.hide) + "\n";
  if (!spec.readonly.empty()) toml += "readonly = " + TomlList(spec.readonly) + "\n";
  return toml;
}

std::string RulesToml(const std::vector<TestRule>& rules) {
  std::string toml;
  for (const auto& rule : rules) {
    toml += "\n[[rule]]\nid = " + TomlString(rule.id) + "\non = " + TomlList(rule.on) + "\n";
    if (!rule.key.empty()) {
      toml += "match = { " + rule.key + " = " + TomlList(rule.patterns) + " }\n";
    }
    toml += "decision = " + TomlString(rule.decision) + "\n";
  }
  return toml;
}

Workspace::Workspace(const ProfileSpec& spec) {
  char pattern[] = "/tmp/aarm-e2e-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = pattern;
  for (const auto& dir : {Project(), Project(".git"), Home(), Outside(), root_ + "/sessions"}) {
    MakeDirectory(dir);
  }
  WriteProfile(ProfileToml(spec));
}

Workspace::~Workspace() {
  std::error_code ignored;
  // Leftovers of a failed test may be read-only directories: make them removable first.
  for (auto it = std::filesystem::recursive_directory_iterator(
           root_, std::filesystem::directory_options::skip_permission_denied, ignored);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ignored)) {
    if (it->is_directory(ignored) && !it->is_symlink(ignored)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ignored);
    }
  }
  std::filesystem::remove_all(root_, ignored);
}

std::string Workspace::Project(const std::string& relative) const {
  return Below(root_ + "/project", relative);
}
std::string Workspace::Home(const std::string& relative) const {
  return Below(root_ + "/home", relative);
}
std::string Workspace::Outside(const std::string& relative) const {
  return Below(root_ + "/outside", relative);
}

void Workspace::WriteProfile(const std::string& toml) const { WriteFileText(ProfilePath(), toml); }

std::vector<std::string> Workspace::Environment() const {
  const passwd* pw = getpwuid(getuid());
  std::string user = pw ? pw->pw_name : std::to_string(getuid());
  // aarm-run's session directory goes below TMPDIR: inside the workspace, it goes with it even
  // when a test kills aarm-run before it could remove it.
  return {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin", "HOME=" + Home(),
          "USER=" + user, "LOGNAME=" + user, "LANG=C", "TMPDIR=" + root_ + "/sessions"};
}

ProcessOptions Workspace::AarmRun(const std::vector<std::string>& command,
                                  const std::vector<std::string>& aarm_options) const {
  ProcessOptions options;
  options.argv = {AarmRunPath(), "-q", "-p", ProfilePath()};
  options.argv.insert(options.argv.end(), aarm_options.begin(), aarm_options.end());
  options.argv.push_back("--");
  options.argv.insert(options.argv.end(), command.begin(), command.end());
  options.env = Environment();
  options.cwd = Project();
  return options;
}

ProcessResult Workspace::Run(const std::vector<std::string>& command,
                             const std::vector<std::string>& aarm_options) const {
  return RunProcess(AarmRun(command, aarm_options));
}

ProcessResult Workspace::Probe(const std::vector<std::string>& args) const {
  std::vector<std::string> command = {ProbePath()};
  command.insert(command.end(), args.begin(), args.end());
  return Run(command);
}

std::string Workspace::ProbeLine(const std::vector<std::string>& args) const {
  return FirstLine(Probe(args).out);
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace aarm::testing
