#include "vigil/event.h"

#include <ctime>
#include <initializer_list>

namespace vigil {
namespace {

constexpr std::string_view kKindNames[kKindCount] = {
    "none",   "exec",    "fork",   "exit",         "exec_failed", "open",        "truncate",
    "unlink", "rmdir",   "rename", "chmod",        "chown",       "link",        "symlink",
    "mkdir",  "mount",   "umount", "memfd_create", "connect",     "accept",      "bind",
    "listen", "setuid",  "setgid", "capset",       "ptrace",      "module_load", "module_delete",
    "bpf",    "unshare", "setns",  "kill",         "prctl",
};

constexpr std::string_view kSyscallNames[VIGIL_SYS_MAX] = {
    "",          "execve",       "execveat",    "fork",         "vfork",
    "clone",     "clone3",       "open",        "openat",       "openat2",
    "creat",     "truncate",     "ftruncate",   "unlink",       "unlinkat",
    "rmdir",     "rename",       "renameat",    "renameat2",    "chmod",
    "fchmod",    "fchmodat",     "fchmodat2",   "chown",        "fchown",
    "lchown",    "fchownat",     "link",        "linkat",       "symlink",
    "symlinkat", "mkdir",        "mkdirat",     "mount",        "move_mount",
    "umount2",   "memfd_create", "connect",     "accept",       "accept4",
    "bind",      "listen",       "setuid",      "setreuid",     "setresuid",
    "setfsuid",  "setgid",       "setregid",    "setresgid",    "setfsgid",
    "capset",    "ptrace",       "init_module", "finit_module", "delete_module",
    "bpf",       "unshare",      "setns",       "kill",         "tkill",
    "tgkill",    "prctl",
};

constexpr bool all_named() {
  for (std::string_view n : kKindNames) {
    if (n.empty()) return false;
  }
  for (size_t i = 1; i < VIGIL_SYS_MAX; ++i) {
    if (kSyscallNames[i].empty()) return false;
  }
  return true;
}
static_assert(all_named(), "every kind and system call needs a name");

// The body struct of a kind and its fixed size, rounded up to 8.
uint32_t fixed_size(uint16_t kind) {
  switch (kind_family(kind)) {
    case Family::Exec:
      return (sizeof(vigil_exec) + 7) & ~7u;
    case Family::Fork:
      return sizeof(vigil_fork);
    case Family::Exit:
      return sizeof(vigil_exit);
    case Family::ExecFailed:
      return sizeof(vigil_exec_failed);
    case Family::File:
      return sizeof(vigil_file);
    case Family::Net:
      return sizeof(vigil_net);
    case Family::Priv:
      return sizeof(vigil_priv);
    case Family::None:
      return 0;
  }
  return 0;
}

bool string_fits(const vigil_str& s, uint32_t fixed, uint32_t size) {
  return s.len == 0 || (s.off >= fixed && uint32_t{s.off} + s.len <= size);
}

template <class Body>
bool strings_fit(const std::byte* rec, uint32_t size,
                 std::initializer_list<vigil_str Body::*> members) {
  const auto& body = *reinterpret_cast<const Body*>(rec);
  for (vigil_str Body::*m : members) {
    if (!string_fits(body.*m, sizeof(Body), size)) return false;
  }
  return true;
}

}  // namespace

Family kind_family(uint16_t kind) {
  switch (kind) {
    case VIGIL_KIND_EXEC:
      return Family::Exec;
    case VIGIL_KIND_FORK:
      return Family::Fork;
    case VIGIL_KIND_EXIT:
      return Family::Exit;
    case VIGIL_KIND_EXEC_FAILED:
      return Family::ExecFailed;
    default:
      break;
  }
  if (kind >= VIGIL_KIND_OPEN && kind <= VIGIL_KIND_MEMFD_CREATE) return Family::File;
  if (kind >= VIGIL_KIND_CONNECT && kind <= VIGIL_KIND_LISTEN) return Family::Net;
  if (kind >= VIGIL_KIND_SETUID && kind <= VIGIL_KIND_PRCTL) return Family::Priv;
  return Family::None;
}

std::string_view syscall_name(uint16_t sys) {
  return sys < VIGIL_SYS_MAX ? kSyscallNames[sys] : "unknown";
}

std::string_view kind_name(uint16_t kind) {
  return kind > 0 && kind < kKindCount ? kKindNames[kind] : "unknown";
}

uint16_t kind_from_name(std::string_view name) {
  for (uint16_t k = 1; k < kKindCount; ++k) {
    if (kKindNames[k] == name) return k;
  }
  return 0;
}

std::string_view record_error_name(RecordError e) {
  switch (e) {
    case RecordError::None:
      return "none";
    case RecordError::Truncated:
      return "truncated record";
    case RecordError::BadSize:
      return "bad record size";
    case RecordError::BadKind:
      return "unknown record kind";
    case RecordError::BadString:
      return "string outside its record";
  }
  return "unknown";
}

RecordError validate_record(std::span<const std::byte> bytes) {
  if (bytes.size() < sizeof(vigil_hdr)) return RecordError::Truncated;
  vigil_hdr hdr;
  std::memcpy(&hdr, bytes.data(), sizeof(hdr));

  const uint32_t fixed = fixed_size(hdr.kind);
  if (fixed == 0) return RecordError::BadKind;
  if (hdr.size % 8 != 0 || hdr.size < fixed || hdr.size > VIGIL_RECORD_MAX) {
    return RecordError::BadSize;
  }
  if (hdr.size > bytes.size()) return RecordError::Truncated;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) != 0) {
    return RecordError::BadSize;
  }

  const std::byte* rec = bytes.data();
  bool fits = true;
  switch (kind_family(hdr.kind)) {
    case Family::Exec:
      fits = strings_fit<vigil_exec>(
          rec, hdr.size,
          {&vigil_exec::filename, &vigil_exec::exe, &vigil_exec::args, &vigil_exec::cwd});
      break;
    case Family::ExecFailed:
      fits = strings_fit<vigil_exec_failed>(
          rec, hdr.size, {&vigil_exec_failed::filename, &vigil_exec_failed::path});
      break;
    case Family::File:
      fits = strings_fit<vigil_file>(rec, hdr.size,
                                     {&vigil_file::path, &vigil_file::requested, &vigil_file::path2,
                                      &vigil_file::requested2, &vigil_file::fstype});
      break;
    case Family::Net:
      fits = strings_fit<vigil_net>(rec, hdr.size, {&vigil_net::unix_path});
      break;
    case Family::Priv:
      fits = strings_fit<vigil_priv>(rec, hdr.size, {&vigil_priv::name, &vigil_priv::path});
      break;
    case Family::Fork:
    case Family::Exit:
    case Family::None:
      break;
  }
  return fits ? RecordError::None : RecordError::BadString;
}

void BootClock::refresh() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  offset_.store((real.tv_sec - boot.tv_sec) * 1'000'000'000LL + (real.tv_nsec - boot.tv_nsec),
                std::memory_order_relaxed);
}

}  // namespace vigil
