#include "seccomp_filter.hpp"

#include <linux/audit.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "aarm/base/linux_api.hpp"
#include "aarm/base/scope_exit.hpp"
#include "aarm/base/unique_fd.hpp"
#include "aarm/syscalls/mediated.hpp"
#include "aarm/syscalls/syscall_groups.hpp"

namespace aarm::sandbox {
namespace {

constexpr uint32_t kX32SyscallBit = 0x40000000;
constexpr uint64_t kNamespaceFlags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                                     CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
                                     0x00000080 /* CLONE_NEWTIME */;
// The highest syscall number probed for "known to this filter".
constexpr int kHighestProbedSyscall = 1023;

constexpr uint32_t ArgLow(int n) {
  return static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * n);  // little endian
}

// A forward-only BPF assembler with named jump targets, for the hand-written prologue.
class PrologueAssembler {
 public:
  static constexpr int kContinue = -1;  // fall into the program that follows the prologue

  void Load(uint32_t offset) { Emit(BPF_LD | BPF_W | BPF_ABS, offset); }
  void Return(uint32_t action) { Emit(BPF_RET | BPF_K, action); }
  // if (A op k) goto `if_true` else goto `if_false`; targets are labels or kContinue.
  void Jump(uint16_t op, uint32_t k, int if_true, int if_false) {
    jumps_.push_back({code_.size(), if_true, if_false});
    code_.push_back(BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0));
  }
  void Label(int label) {
    if (!labels_.emplace(label, code_.size()).second) placed_twice_ = true;
  }

  // Empty when a jump goes backward or too far, or a label was placed twice: classic BPF jumps
  // only forward, by at most 255 instructions, and a wrong offset would land anywhere in the
  // program that follows.
  std::vector<sock_filter> Finish() {
    if (placed_twice_) return {};
    size_t end = code_.size();
    for (const auto& jump : jumps_) {
      int labels[2] = {jump.if_true, jump.if_false};
      uint8_t offsets[2];
      for (int i = 0; i < 2; ++i) {
        size_t target = labels[i] == kContinue ? end : labels_.at(labels[i]);
        if (target <= jump.index || target - jump.index - 1 > 255) return {};
        offsets[i] = static_cast<uint8_t>(target - jump.index - 1);
      }
      code_[jump.index].jt = offsets[0];
      code_[jump.index].jf = offsets[1];
    }
    return code_;
  }

 private:
  void Emit(uint16_t code, uint32_t k) { code_.push_back(BPF_STMT(code, k)); }
  struct PendingJump {
    size_t index;
    int if_true;
    int if_false;
  };
  std::vector<sock_filter> code_;
  std::vector<PendingJump> jumps_;
  std::map<int, size_t> labels_;
  bool placed_twice_ = false;
};

std::vector<sock_filter> Prologue() {
  enum { kKill = 1, kCheckNumber, kIoctl, kNotIoctl, kPersonality, kSetsockopt, kEperm, kAllow };
  PrologueAssembler a;
  a.Load(offsetof(seccomp_data, arch));
  a.Jump(BPF_JEQ, AUDIT_ARCH_X86_64, kCheckNumber, kKill);
  a.Label(kCheckNumber);
  a.Load(offsetof(seccomp_data, nr));
  a.Jump(BPF_JGE, kX32SyscallBit, kKill, kIoctl);
  a.Label(kIoctl);
  a.Jump(BPF_JEQ, __NR_ioctl, kIoctl + 100, kNotIoctl);
  a.Label(kIoctl + 100);
  a.Load(ArgLow(1));
  a.Jump(BPF_JEQ, TIOCSTI, kEperm, kIoctl + 101);
  a.Label(kIoctl + 101);
  a.Jump(BPF_JEQ, TIOCLINUX, kEperm, PrologueAssembler::kContinue);
  a.Label(kNotIoctl);
  a.Jump(BPF_JEQ, __NR_personality, kPersonality, kSetsockopt);
  a.Label(kPersonality);
  a.Load(ArgLow(0));
  a.Jump(BPF_JEQ, 0, kAllow, kPersonality + 100);
  a.Label(kPersonality + 100);
  a.Jump(BPF_JEQ, 0xffffffff, kAllow, kEperm);
  // SECURITY: an IPv6 routing header sends every packet of the socket to its first segment,
  // past the address the supervisor decided, and the kernel takes one from any user. Level
  // and option are ints: compared on the low 32 bits, as the kernel reads them.
  a.Label(kSetsockopt);
  a.Jump(BPF_JEQ, __NR_setsockopt, kSetsockopt + 100, PrologueAssembler::kContinue);
  a.Label(kSetsockopt + 100);
  a.Load(ArgLow(1));
  a.Jump(BPF_JEQ, IPPROTO_IPV6, kSetsockopt + 101, PrologueAssembler::kContinue);
  a.Label(kSetsockopt + 101);
  a.Load(ArgLow(2));
  a.Jump(BPF_JEQ, IPV6_RTHDR, kEperm, kSetsockopt + 102);
  a.Label(kSetsockopt + 102);
  a.Jump(BPF_JEQ, IPV6_2292RTHDR, kEperm, kSetsockopt + 103);
  a.Label(kSetsockopt + 103);
  a.Jump(BPF_JEQ, IPV6_2292PKTOPTIONS, kEperm, PrologueAssembler::kContinue);
  a.Label(kAllow);
  a.Return(SECCOMP_RET_ALLOW);
  a.Label(kEperm);
  a.Return(SECCOMP_RET_ERRNO | EPERM);
  a.Label(kKill);
  a.Return(SECCOMP_RET_KILL_PROCESS);
  return a.Finish();
}

Result<std::vector<sock_filter>> ExportBpf(scmp_filter_ctx ctx) {
  UniqueFd memfd(memfd_create("aarm-seccomp", MFD_CLOEXEC));
  if (!memfd) return FailErrno("memfd_create for the seccomp filter");
  if (int rc = seccomp_export_bpf(ctx, memfd.Get()); rc < 0) {
    return FailErrno("exporting the seccomp filter", -rc);
  }
  struct stat st;
  if (fstat(memfd.Get(), &st) != 0) return FailErrno("fstat of the exported seccomp filter");
  std::vector<sock_filter> program(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  size_t want = program.size() * sizeof(sock_filter);
  if (pread(memfd.Get(), program.data(), want, 0) != static_cast<ssize_t>(want)) {
    return FailErrno("reading the exported seccomp filter");
  }
  return program;
}

// Notifies `nr` when `test` holds and allows it otherwise; the rules cover every value, so no
// call falls through to the default action.
int NotifyWhen(scmp_filter_ctx ctx, int nr, const syscalls::ArgumentTest& test) {
  auto arg = static_cast<unsigned>(test.argument);
  if (test.bits == 0) {
    int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1, SCMP_CMP64(arg, SCMP_CMP_NE, 0));
    return rc == 0 ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_CMP64(arg, SCMP_CMP_EQ, 0))
                   : rc;
  }
  // Any of the bits: one rule per bit, as the conditions cannot say "not zero" of a mask.
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, test.bits, 0));
  for (uint64_t bit = 1; rc == 0 && bit != 0; bit <<= 1) {
    if (test.bits & bit) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
                            SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, bit, bit));
    }
  }
  return rc;
}

}  // namespace

Result<SeccompProgram> BuildSeccompProgram(const std::vector<int>& notified) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
  if (ctx == nullptr) return Fail("libseccomp could not create a filter");
  ScopeExit release([&] { seccomp_release(ctx); });
  auto check = [](int rc, const std::string& what) -> Result<void> {
    if (rc < 0) return FailErrno("seccomp filter: " + what, -rc);
    return {};
  };
  if (auto r = check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
                     "bad-arch action");
      !r) {
    return tl::unexpected(r.error());
  }
  if (auto r = check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "no_new_privs attribute"); !r) {
    return tl::unexpected(r.error());
  }
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);  // binary tree; older libseccomp: linear

  std::set<int> denied;
  for (const auto& group : syscalls::DeniedGroups()) {
    for (std::string_view name : group.members) {
      int nr = seccomp_syscall_resolve_name(std::string(name).c_str());
      if (nr >= 0) denied.insert(nr);
    }
  }

  const int nr_clone = seccomp_syscall_resolve_name("clone");
  const int nr_unshare = seccomp_syscall_resolve_name("unshare");
  const int nr_seccomp = seccomp_syscall_resolve_name("seccomp");
  const int nr_clone3 = seccomp_syscall_resolve_name("clone3");
  for (int nr = 0; nr <= kHighestProbedSyscall; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    bool known = name != nullptr;
    free(name);
    std::string what = "rule for syscall " + std::to_string(nr);
    int rc = 0;
    bool listed = std::find(notified.begin(), notified.end(), nr) != notified.end();
    std::optional<syscalls::ArgumentTest> test;
    if (listed) {
      test = syscalls::NotifiedOnlyWhen(nr);
    } else if (!notified.empty()) {
      test = syscalls::NotifiedWhenLeftOut(nr);
    }
    if (test) {
      rc = NotifyWhen(ctx, nr, *test);
    } else if (listed) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
    } else if (!known || nr == nr_clone3) {
      continue;  // the default action: ENOSYS
    } else if (denied.count(nr)) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    } else if (nr == nr_clone || nr == nr_unshare) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceFlags, 0));
      // Any namespace flag: EPERM, one rule per flag (the conditions cannot say "not zero").
      for (uint64_t bit = 1; rc == 0 && bit != 0; bit <<= 1) {
        if (kNamespaceFlags & bit) {
          rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
                                SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit));
        }
      }
    } else if (nr == nr_seccomp) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                            SCMP_A1(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0));
      if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                      SECCOMP_FILTER_FLAG_NEW_LISTENER));
      }
    } else {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    if (auto r = check(rc, what); !r) return tl::unexpected(r.error());
  }

  auto body = ExportBpf(ctx);
  if (!body) return tl::unexpected(body.error());
  SeccompProgram program;
  program.instructions = Prologue();
  if (program.instructions.empty()) {
    return Fail("seccomp filter: a prologue jump goes backward or too far, or a label is placed "
                "twice");
  }
  program.instructions.insert(program.instructions.end(), body->begin(), body->end());
  if (program.instructions.size() > BPF_MAXINSNS) {
    return Fail("seccomp filter too long (" + std::to_string(program.instructions.size()) +
                " instructions)");
  }
  return program;
}

StepFailure InstallSeccompProgram(const SeccompProgram& program, unsigned flags, int* listener) {
  sock_fprog fprog{static_cast<unsigned short>(program.instructions.size()),
                   const_cast<sock_filter*>(program.instructions.data())};
  int rc = linux_api::Seccomp(SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (rc < 0) return {SetupStep::kSeccomp, errno};
  if (listener) *listener = rc;
  return {};
}

}  // namespace aarm::sandbox
