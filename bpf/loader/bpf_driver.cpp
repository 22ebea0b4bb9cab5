#include "vigil/bpf_driver.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "vigil_knobs.h"
// The skeleton after the knobs: its read-only data uses their types.
#include "vigil_bpf.skel.h"

namespace vigil {
namespace {

// libbpf's own messages go to our log: warnings as warnings, the rest
// (verifier logs included) at debug level, shown with -v.
int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  // Verifier logs run to many kilobytes: size the text to fit.
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return n;
  std::string buf(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(buf.data(), buf.size(), fmt, args);
  std::string_view msg(buf.data(), static_cast<size_t>(n));
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  if (level == LIBBPF_WARN) {
    spdlog::warn("libbpf: {}", msg);
  } else {
    spdlog::debug("libbpf: {}", msg);
  }
  return n;
}

std::string errno_text(int err) {
  return std::strerror(err < 0 ? -err : err);
}

constexpr uint64_t bit(vigil_kind k) {
  return uint64_t{1} << k;
}

// Where the programs attach and the kinds each attachment reports. A
// family's dispatcher (vigil_file_exit, ...) serves every call of the
// family: it is attached to the exit (or entry) tracepoint of each call of
// a wanted kind, and not loaded at all when no kind of its family is
// wanted. Programs with a full "tp/<category>/<name>" section attach there
// themselves; they load when their kinds are wanted. The process programs
// (tp_btf, and execveat's) are not listed: they always load.
struct Attachment {
  std::string_view program;
  std::string_view tracepoint;  // under syscalls/; empty: its own section
  uint64_t kinds;
};
constexpr Attachment kAttachments[] = {
    {"vigil_execve_exit", "", bit(VIGIL_KIND_EXEC_FAILED)},
    {"vigil_uring_submit_req", "", bit(VIGIL_KIND_OPEN)},
    {"vigil_uring_submit_sqe", "", bit(VIGIL_KIND_OPEN)},
    {"vigil_uring_complete", "", bit(VIGIL_KIND_OPEN)},
    {"vigil_file_exit", "sys_exit_open", bit(VIGIL_KIND_OPEN)},
    {"vigil_file_exit", "sys_exit_openat", bit(VIGIL_KIND_OPEN)},
    {"vigil_file_exit", "sys_exit_openat2", bit(VIGIL_KIND_OPEN)},
    {"vigil_file_exit", "sys_exit_creat", bit(VIGIL_KIND_OPEN)},
    {"vigil_file_exit", "sys_exit_truncate", bit(VIGIL_KIND_TRUNCATE)},
    {"vigil_file_exit", "sys_exit_ftruncate", bit(VIGIL_KIND_TRUNCATE)},
    {"vigil_file_exit", "sys_exit_unlink", bit(VIGIL_KIND_UNLINK)},
    {"vigil_file_exit", "sys_exit_unlinkat", bit(VIGIL_KIND_UNLINK) | bit(VIGIL_KIND_RMDIR)},
    {"vigil_file_exit", "sys_exit_rmdir", bit(VIGIL_KIND_RMDIR)},
    {"vigil_file_exit", "sys_exit_rename", bit(VIGIL_KIND_RENAME)},
    {"vigil_file_exit", "sys_exit_renameat", bit(VIGIL_KIND_RENAME)},
    {"vigil_file_exit", "sys_exit_renameat2", bit(VIGIL_KIND_RENAME)},
    {"vigil_file_exit", "sys_exit_chmod", bit(VIGIL_KIND_CHMOD)},
    {"vigil_file_exit", "sys_exit_fchmod", bit(VIGIL_KIND_CHMOD)},
    {"vigil_file_exit", "sys_exit_fchmodat", bit(VIGIL_KIND_CHMOD)},
    {"vigil_file_exit", "sys_exit_fchmodat2", bit(VIGIL_KIND_CHMOD)},
    {"vigil_file_exit", "sys_exit_chown", bit(VIGIL_KIND_CHOWN)},
    {"vigil_file_exit", "sys_exit_lchown", bit(VIGIL_KIND_CHOWN)},
    {"vigil_file_exit", "sys_exit_fchown", bit(VIGIL_KIND_CHOWN)},
    {"vigil_file_exit", "sys_exit_fchownat", bit(VIGIL_KIND_CHOWN)},
    {"vigil_file_exit", "sys_exit_link", bit(VIGIL_KIND_LINK)},
    {"vigil_file_exit", "sys_exit_linkat", bit(VIGIL_KIND_LINK)},
    {"vigil_file_exit", "sys_exit_symlink", bit(VIGIL_KIND_SYMLINK)},
    {"vigil_file_exit", "sys_exit_symlinkat", bit(VIGIL_KIND_SYMLINK)},
    {"vigil_file_exit", "sys_exit_mkdir", bit(VIGIL_KIND_MKDIR)},
    {"vigil_file_exit", "sys_exit_mkdirat", bit(VIGIL_KIND_MKDIR)},
    {"vigil_file_exit", "sys_exit_mount", bit(VIGIL_KIND_MOUNT)},
    {"vigil_file_exit", "sys_exit_move_mount", bit(VIGIL_KIND_MOUNT)},
    {"vigil_file_exit", "sys_exit_umount", bit(VIGIL_KIND_UMOUNT)},
    {"vigil_file_exit", "sys_exit_memfd_create", bit(VIGIL_KIND_MEMFD_CREATE)},
    {"vigil_net_exit", "sys_exit_connect", bit(VIGIL_KIND_CONNECT)},
    {"vigil_net_exit", "sys_exit_accept", bit(VIGIL_KIND_ACCEPT)},
    {"vigil_net_exit", "sys_exit_accept4", bit(VIGIL_KIND_ACCEPT)},
    {"vigil_net_exit", "sys_exit_bind", bit(VIGIL_KIND_BIND)},
    {"vigil_net_exit", "sys_exit_listen", bit(VIGIL_KIND_LISTEN)},
    {"vigil_priv_enter", "sys_enter_setuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_enter", "sys_enter_setreuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_enter", "sys_enter_setresuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_enter", "sys_enter_setfsuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_enter", "sys_enter_setgid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_enter", "sys_enter_setregid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_enter", "sys_enter_setresgid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_enter", "sys_enter_setfsgid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_enter", "sys_enter_capset", bit(VIGIL_KIND_CAPSET)},
    {"vigil_priv_exit", "sys_exit_setuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_exit", "sys_exit_setreuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_exit", "sys_exit_setresuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_exit", "sys_exit_setfsuid", bit(VIGIL_KIND_SETUID)},
    {"vigil_priv_exit", "sys_exit_setgid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_exit", "sys_exit_setregid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_exit", "sys_exit_setresgid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_exit", "sys_exit_setfsgid", bit(VIGIL_KIND_SETGID)},
    {"vigil_priv_exit", "sys_exit_capset", bit(VIGIL_KIND_CAPSET)},
    {"vigil_priv_exit", "sys_exit_ptrace", bit(VIGIL_KIND_PTRACE)},
    {"vigil_priv_exit", "sys_exit_init_module", bit(VIGIL_KIND_MODULE_LOAD)},
    {"vigil_priv_exit", "sys_exit_finit_module", bit(VIGIL_KIND_MODULE_LOAD)},
    {"vigil_priv_exit", "sys_exit_delete_module", bit(VIGIL_KIND_MODULE_DELETE)},
    {"vigil_priv_exit", "sys_exit_bpf", bit(VIGIL_KIND_BPF)},
    {"vigil_priv_exit", "sys_exit_unshare", bit(VIGIL_KIND_UNSHARE)},
    {"vigil_priv_exit", "sys_exit_setns", bit(VIGIL_KIND_SETNS)},
    {"vigil_priv_exit", "sys_exit_kill", bit(VIGIL_KIND_KILL)},
    {"vigil_priv_exit", "sys_exit_tkill", bit(VIGIL_KIND_KILL)},
    {"vigil_priv_exit", "sys_exit_tgkill", bit(VIGIL_KIND_KILL)},
    {"vigil_priv_exit", "sys_exit_prctl", bit(VIGIL_KIND_PRCTL)},
};

constexpr uint64_t kAlwaysKinds =
    bit(VIGIL_KIND_EXEC) | bit(VIGIL_KIND_FORK) | bit(VIGIL_KIND_EXIT);

// The programs that always load. Every other program must be in
// kAttachments, so that none is loaded for every kind by omission.
constexpr std::string_view kAlwaysPrograms[] = {"vigil_exec", "vigil_fork", "vigil_exit",
                                                "vigil_execveat_enter", "vigil_execveat_exit"};

constexpr const char* kTracefs = "/sys/kernel/tracing";

// libbpf attaches tp/ programs through tracefs: mount it where it belongs
// when the host has not (a bare VM often has not).
void ensure_tracefs() {
  const std::string events = std::string(kTracefs) + "/events";
  if (access(events.c_str(), F_OK) == 0) return;
  if (mount("tracefs", kTracefs, "tracefs", 0, nullptr) != 0) {
    throw DriverError(std::string("bpf: tracefs is not mounted and mounting it at '") + kTracefs +
                      "' failed: " + errno_text(errno));
  }
  spdlog::info("bpf: mounted tracefs at '{}'", kTracefs);
}

// Whether the kernel has the tracepoint an attachment needs: its own under
// syscalls/, or the one a "tp/<category>/<name>" section names.
bool tracepoint_exists(const Attachment& a, std::string_view section) {
  std::string path = std::string(kTracefs) + "/events/";
  if (!a.tracepoint.empty()) {
    path += "syscalls/" + std::string(a.tracepoint);
  } else if (section.starts_with("tp/")) {
    path += section.substr(3);
  } else {
    return true;
  }
  return access(path.c_str(), F_OK) == 0;
}

// How long the reader sleeps when no wake-up comes: the most a record
// waits in the ring on a quiet host.
constexpr int kPollMs = 20;

int on_record(void* ctx, void* data, size_t size) {
  auto* pipeline = static_cast<Pipeline*>(ctx);
  pipeline->push({static_cast<const std::byte*>(data), size});
  return 0;
}

}  // namespace

struct BpfDriver::Impl {
  vigil_bpf* skel = nullptr;
  ring_buffer* ring = nullptr;
  Pipeline* target = nullptr;
  uint64_t attached = 0;
  std::vector<const Attachment*> to_attach;  // the dispatchers' tracepoints
  std::vector<bpf_link*> links;

  ~Impl() {
    ring_buffer__free(ring);
    for (bpf_link* l : links) bpf_link__destroy(l);
    vigil_bpf__destroy(skel);
  }
};

BpfDriver::BpfDriver(const BpfOptions& opts) : impl_(std::make_unique<Impl>()) {
  libbpf_set_print(libbpf_log);

  impl_->skel = vigil_bpf__open();
  if (!impl_->skel) throw DriverError("bpf: cannot open programs: " + errno_text(errno));
  vigil_bpf* skel = impl_->skel;

  skel->rodata->vigil_self_tgid = static_cast<uint32_t>(getpid());
  skel->rodata->vigil_threads = opts.threads;
  skel->rodata->vigil_kinds = opts.kinds | kAlwaysKinds;
  skel->rodata->vigil_wakeup_bytes = opts.ring_bytes / 8;
  set_open_prefixes(opts.open_prefixes);
  int err = bpf_map__set_max_entries(skel->maps.vigil_events, opts.ring_bytes);
  if (err) throw DriverError("bpf: bad ring buffer size: " + errno_text(err));

  ensure_tracefs();
  select_programs(opts.kinds | kAlwaysKinds);

  err = vigil_bpf__load(skel);
  if (err) {
    throw DriverError("bpf: cannot load programs (run with -v for the verifier log): " +
                      errno_text(err));
  }
  err = vigil_bpf__attach(skel);
  if (err) throw DriverError("bpf: cannot attach programs: " + errno_text(err));
  for (const Attachment* a : impl_->to_attach) {
    bpf_program* prog = bpf_object__find_program_by_name(skel->obj, a->program.data());
    const std::string tp(a->tracepoint);
    bpf_link* link = prog ? bpf_program__attach_tracepoint(prog, "syscalls", tp.c_str()) : nullptr;
    if (!link) {
      throw DriverError("bpf: cannot attach '" + std::string(a->program) + "' to 'syscalls/" + tp +
                        "': " + errno_text(errno));
    }
    impl_->links.push_back(link);
  }
}

void BpfDriver::select_programs(uint64_t wanted) {
  uint64_t attached = kAlwaysKinds, missing = 0;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, impl_->skel->obj) {
    const std::string_view name = bpf_program__name(prog);
    const std::string_view section = bpf_program__section_name(prog);
    bool listed = false, load = false;
    for (const Attachment& a : kAttachments) {
      if (a.program != name) continue;
      listed = true;
      if (!(a.kinds & wanted)) continue;
      if (!tracepoint_exists(a, section)) {
        missing |= a.kinds & wanted;
        spdlog::debug("bpf: no tracepoint '{}' for '{}'", a.tracepoint, name);
        continue;
      }
      load = true;
      attached |= a.kinds & wanted;
      if (!a.tracepoint.empty()) impl_->to_attach.push_back(&a);
    }
    if (!listed) {
      bool always = false;
      for (std::string_view p : kAlwaysPrograms) always = always || p == name;
      if (!always) throw DriverError("bpf: program '" + std::string(name) + "' has no kind");
      continue;
    }
    bpf_program__set_autoload(prog, load);
  }
  impl_->attached = attached;

  // A kind is missing when none of its tracepoints exist (io_uring's
  // submission tracepoint, for one, has two names across kernel versions).
  for (uint16_t k = 1; k < VIGIL_KIND_MAX; ++k) {
    const uint64_t b = uint64_t{1} << k;
    if ((missing & b) && !(attached & b)) {
      spdlog::warn("bpf: kind '{}' is off: this kernel has none of its tracepoints", kind_name(k));
    }
  }
}

void BpfDriver::set_open_prefixes(const std::vector<std::string>& prefixes) {
  if (prefixes.size() > BpfOptions::kMaxOpenPrefixes) {
    throw DriverError("bpf: too many open path prefixes: " + std::to_string(prefixes.size()));
  }
  auto* rodata = impl_->skel->rodata;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const std::string& p = prefixes[i];
    if (p.empty() || p.size() > BpfOptions::kMaxPrefixBytes) {
      throw DriverError("bpf: bad open path prefix '" + p + "'");
    }
    auto& out = rodata->vigil_open_prefixes[i];
    std::memset(&out, 0, sizeof(out));
    std::memcpy(out.word, p.data(), p.size());
    out.len = static_cast<uint32_t>(p.size());
    out.words = static_cast<uint32_t>((p.size() + 7) / 8);
    const size_t tail = p.size() - (out.words - 1) * 8;
    out.last_mask = tail == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * tail)) - 1;
  }
  rodata->vigil_open_prefix_count = static_cast<uint32_t>(prefixes.size());
}

uint64_t BpfDriver::attached_kinds() const {
  return impl_->attached;
}

BpfDriver::~BpfDriver() = default;

void BpfDriver::run(Pipeline& pipeline, const std::atomic<bool>& stop,
                    const std::function<void()>& tick) {
  if (!impl_->ring || impl_->target != &pipeline) {
    ring_buffer__free(impl_->ring);
    impl_->ring = ring_buffer__new(bpf_map__fd(impl_->skel->maps.vigil_events), on_record,
                                   &pipeline, nullptr);
    if (!impl_->ring) throw DriverError("bpf: cannot map ring buffer: " + errno_text(errno));
    impl_->target = &pipeline;
  }

  // Relaxed: stop is a lone flag; the pipeline's own stop() orders the rest.
  while (!stop.load(std::memory_order_relaxed)) {
    // Records only wake us once the ring fills up (vigil_wakeup_bytes):
    // otherwise the timeout does, and consume() drains what came.
    int n = ring_buffer__poll(impl_->ring, kPollMs);
    if (n >= 0) n = ring_buffer__consume(impl_->ring);
    if (n < 0 && n != -EINTR) {
      throw DriverError("bpf: ring buffer poll failed: " + errno_text(n));
    }
    pipeline.flush();
    tick();
  }
  // Detach first, so nothing is written after the last read: then every
  // record the kernel counted as emitted is in the reader's counts too.
  // The dispatchers' links are ours, not the skeleton's.
  for (bpf_link* l : impl_->links) bpf_link__destroy(l);
  impl_->links.clear();
  vigil_bpf__detach(impl_->skel);
  ring_buffer__consume(impl_->ring);
  pipeline.flush();
}

KernelCounts BpfDriver::counts() const {
  KernelCounts out;
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<vigil_stats> per_cpu(static_cast<size_t>(ncpu));
  const uint32_t key = 0;
  if (bpf_map__lookup_elem(impl_->skel->maps.vigil_stats, &key, sizeof(key), per_cpu.data(),
                           per_cpu.size() * sizeof(vigil_stats), 0)) {
    return out;
  }
  for (const auto& cpu : per_cpu) {
    for (size_t k = 0; k < kKindCount; ++k) {
      for (size_t c = 0; c < VIGIL_CNT_MAX; ++c) out.count[k][c] += cpu.count[k][c];
    }
  }
  return out;
}

}  // namespace vigil
