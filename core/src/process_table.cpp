#include "vigil/process_table.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace vigil {
namespace {

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = std::move(ss).str();
  return true;
}

bool read_link(const std::string& path, std::string& out) {
  char buf[4096];
  const ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  if (n < 0) return false;
  out.assign(buf, static_cast<size_t>(n));
  return true;
}

template <class T>
bool parse_num(std::string_view s, T& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc{};
}

// Fields of /proc/PID/stat after the command name, which may hold spaces and
// parentheses: everything after the last ')'.
bool parse_stat(const std::string& stat, uint32_t& ppid, uint64_t& start_ticks) {
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  // Fields 3.. : state, ppid, ..., starttime is field 22.
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 4 && !parse_num(field, ppid)) return false;
    if (i == 22) return parse_num(field, start_ticks);
  }
  return false;
}

uint32_t parse_uid(const std::string& status) {
  const size_t at = status.find("\nUid:");
  if (at == std::string::npos) return 0;
  std::istringstream line(status.substr(at + 5));
  uint32_t uid = 0;
  line >> uid;
  return uid;
}

}  // namespace

// "/dev/fd/N", "/proc/self/fd/N", "/proc/PID/fd/N", "/proc/thread-self/fd/N".
bool names_a_descriptor(std::string_view f) {
  if (f.starts_with("/dev/fd/")) return true;
  if (!f.starts_with("/proc/")) return false;
  f.remove_prefix(6);
  const size_t slash = f.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view who = f.substr(0, slash);
  const bool pid = !who.empty() && who.find_first_not_of("0123456789") == std::string_view::npos;
  return (pid || who == "self" || who == "thread-self") && f.substr(slash).starts_with("/fd/");
}

std::string_view exec_name(std::string_view filename, std::string_view exe) {
  return base_name(filename.empty() || names_a_descriptor(filename) ? exe : filename);
}

std::string join_args(std::string_view args) {
  if (!args.empty() && args.back() == '\0') args.remove_suffix(1);
  std::string out(args);
  for (char& c : out) {
    if (c == '\0') c = ' ';
  }
  return out;
}

std::shared_ptr<const ProcessImage> ProcessImage::from_exec(const EventView& ev) {
  const auto& e = ev.as<vigil_exec>();
  auto img = std::make_shared<ProcessImage>();
  img->exe = ev.str(e.exe);
  img->args = ev.str(e.args);
  img->cmdline = join_args(img->args);
  img->cwd = ev.str(e.cwd);
  img->argc = e.argc;
  img->args_truncated = e.flags & VIGIL_EXEC_ARGS_TRUNCATED;

  img->name = exec_name(ev.str(e.filename), img->exe);
  return img;
}

void ProcessTable::put(ProcessInfo info) {
  Stripe& s = stripe(info.pid);
  std::lock_guard lock(s.mu);
  s.map.insert_or_assign(info.pid, std::move(info));
}

void ProcessTable::apply(const EventView& ev) {
  const vigil_task& t = ev.task();
  switch (ev.kind()) {
    case VIGIL_KIND_FORK: {
      const auto& f = ev.as<vigil_fork>();
      if (f.flags & VIGIL_FORK_THREAD) return;
      ProcessInfo child;
      ProcessInfo creator;
      if (lookup(f.creator_pid, creator)) child.image = creator.image;
      child.pid = t.pid;
      child.ppid = t.ppid;
      child.start_ns = t.start_ns;
      child.uid = t.uid;
      put(std::move(child));
      return;
    }
    case VIGIL_KIND_EXEC: {
      ProcessInfo info;
      info.pid = t.pid;
      info.ppid = t.ppid;
      info.start_ns = t.start_ns;
      info.uid = t.uid;
      info.image = ProcessImage::from_exec(ev);
      put(std::move(info));
      return;
    }
    case VIGIL_KIND_EXIT: {
      if (ev.as<vigil_exit>().flags & VIGIL_EXIT_THREAD) return;
      Stripe& s = stripe(t.pid);
      std::lock_guard lock(s.mu);
      auto it = s.map.find(t.pid);
      if (it != s.map.end() && it->second.start_ns == t.start_ns) {
        it->second.exit_ns = ev.hdr().ts_ns;
      }
      return;
    }
    default:
      return;
  }
}

bool ProcessTable::lookup(uint32_t pid, ProcessInfo& out) const {
  const Stripe& s = stripe(pid);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(pid);
  if (it == s.map.end()) return false;
  out = it->second;
  return true;
}

size_t ProcessTable::size() const {
  size_t n = 0;
  for (const auto& s : stripes_) {
    std::lock_guard lock(s.mu);
    n += s.map.size();
  }
  return n;
}

size_t ProcessTable::expire(uint64_t now_ns) {
  size_t n = 0;
  for (auto& s : stripes_) {
    std::lock_guard lock(s.mu);
    n += std::erase_if(s.map, [now_ns](const auto& kv) {
      const uint64_t exit_ns = kv.second.exit_ns;
      return exit_ns != 0 && now_ns > exit_ns + kExitGraceNs;
    });
  }
  return n;
}

size_t ProcessTable::seed_from_proc(const std::string& proc_root) {
  DIR* dir = opendir(proc_root.c_str());
  if (!dir) return 0;
  const uint64_t ns_per_tick = 1'000'000'000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));

  std::vector<uint32_t> pids;
  while (dirent* d = readdir(dir)) {
    uint32_t pid = 0;
    if (parse_num(std::string_view(d->d_name), pid) && pid != 0) pids.push_back(pid);
  }
  closedir(dir);

  size_t added = 0;
  for (uint32_t pid : pids) {
    ProcessInfo known;
    if (lookup(pid, known)) continue;

    const std::string base = proc_root + "/" + std::to_string(pid);
    std::string stat, status;
    uint64_t start_ticks = 0;
    ProcessInfo info;
    info.pid = pid;
    if (!read_file(base + "/stat", stat) || !parse_stat(stat, info.ppid, start_ticks)) continue;
    info.start_ns = start_ticks * ns_per_tick;
    if (read_file(base + "/status", status)) info.uid = parse_uid(status);

    // Kernel threads have no executable and no arguments: leave the image out.
    auto img = std::make_shared<ProcessImage>();
    if (read_link(base + "/exe", img->exe)) {
      constexpr std::string_view kDeleted = " (deleted)";
      if (img->exe.ends_with(kDeleted)) img->exe.resize(img->exe.size() - kDeleted.size());
      read_file(base + "/cmdline", img->args);
      read_link(base + "/cwd", img->cwd);
      img->cmdline = join_args(img->args);
      for (char c : img->args) img->argc += c == '\0';
      const std::string_view argv0(img->args.c_str());
      img->name = base_name(argv0.empty() ? std::string_view(img->exe) : argv0);
      info.image = std::move(img);
    }
    put(std::move(info));
    ++added;
  }
  return added;
}

}  // namespace vigil
