// Live: process events in the awkward cases, through the real eBPF programs
// and the real `vigil trace`. Needs root (tools/test.sh runs ctest as root).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "vigil_process.h"

namespace vigil::test {
namespace {

using nlohmann::json;

class ProcessLive : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(geteuid(), 0u) << "live tests load BPF programs: run as root"; }
};

std::string self_exe() {
  return fs::read_symlink("/proc/self/exe").string();
}

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (auto& a : argv) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

json only(const std::vector<json>& v, const std::string& what) {
  EXPECT_EQ(v.size(), 1u) << what;
  return v.empty() ? json::object() : v[0];
}

TEST_F(ProcessLive, execveat_of_an_o_path_descriptor_reports_the_real_exe_flag_and_argv) {
  Trace trace("exec");
  ASSERT_TRUE(trace.ready()) << trace.err();

  const std::string real = fs::canonical("/bin/true").string();
  std::vector<std::string> argv = {"not-true", "first arg", ""};
  const pid_t child = run_in_child([&] {
    const int fd = open(real.c_str(), O_PATH | O_CLOEXEC);
    auto args = c_argv(argv);
    syscall(SYS_execveat, fd, "", args.data(), environ, AT_EMPTY_PATH);
    return 127;
  });
  const auto lines = trace.stop();

  const json e = only(events_of(lines, child, "exec"), "one exec");
  EXPECT_EQ(e["proc"]["exe"], real);
  EXPECT_EQ(e["event"]["syscall"], "execveat");
  EXPECT_EQ(e["event"]["at_flags"], AT_EMPTY_PATH);
  EXPECT_GE(e["event"]["dirfd"], 0);
  EXPECT_EQ(e["proc"]["args"], json(argv));
  EXPECT_EQ(e["proc"]["argc"], 3);
  EXPECT_EQ(e["proc"]["name"], "true") << "through a descriptor, the name is the file's";
  EXPECT_EQ(e["proc"]["ppid"], getpid());
}

// A copy of /bin/true in a memfd, run through the descriptor and through
// /proc/self/fd/N.
int exec_from_memfd(bool via_proc) {
  const int mfd = memfd_create("vigil-mem", 0);
  const int src = open("/bin/true", O_RDONLY);
  char buf[65536];
  for (ssize_t n; (n = read(src, buf, sizeof(buf))) > 0;) {
    if (write(mfd, buf, static_cast<size_t>(n)) != n) return 126;
  }
  close(src);
  char* args[] = {const_cast<char*>("memfd-child"), nullptr};
  if (via_proc) {
    const std::string path = "/proc/self/fd/" + std::to_string(mfd);
    execve(path.c_str(), args, environ);
  } else {
    fexecve(mfd, args, environ);
  }
  return 127;
}

TEST_F(ProcessLive, program_run_from_a_memfd_is_marked_with_its_name_and_parent) {
  Trace trace("exec");
  ASSERT_TRUE(trace.ready()) << trace.err();
  int st_fd = 0, st_proc = 0;
  const pid_t by_fd = run_in_child([] { return exec_from_memfd(false); }, &st_fd);
  const pid_t by_proc = run_in_child([] { return exec_from_memfd(true); }, &st_proc);
  ASSERT_TRUE(WIFEXITED(st_fd) && WEXITSTATUS(st_fd) == 0);
  ASSERT_TRUE(WIFEXITED(st_proc) && WEXITSTATUS(st_proc) == 0);
  const auto lines = trace.stop();

  for (const pid_t pid : {by_fd, by_proc}) {
    const json e = only(events_of(lines, pid, "exec"), "one exec");
    EXPECT_EQ(e["event"]["exe_memfd"], true);
    EXPECT_EQ(e["proc"]["exe"], "/memfd:vigil-mem");
    EXPECT_EQ(e["proc"]["args"], json({"memfd-child"}));
    EXPECT_EQ(e["proc"]["ppid"], getpid());
    EXPECT_EQ(e["parent"]["pid"], getpid());
    EXPECT_EQ(e["parent"]["exe"], self_exe());
  }
}

TEST_F(ProcessLive, exec_by_relative_path_and_through_dotdot_gives_the_absolute_exe) {
  Trace trace("exec");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const fs::path bin = trace.dir() / "bin";
  fs::create_directories(bin);
  fs::copy_file("/bin/true", bin / "mytrue");
  fs::create_directories(trace.dir() / "other");

  const pid_t rel = run_child({"./bin/mytrue"}, trace.dir());
  const pid_t dots = run_child({"../bin/mytrue"}, trace.dir() / "other");
  const auto lines = trace.stop();

  const json r = only(events_of(lines, rel, "exec"), "relative");
  EXPECT_EQ(r["proc"]["exe"], (bin / "mytrue").string());
  EXPECT_EQ(r["event"]["filename"], "./bin/mytrue");
  EXPECT_EQ(r["proc"]["cwd"], trace.dir().string());
  const json d = only(events_of(lines, dots, "exec"), "dotdot");
  EXPECT_EQ(d["proc"]["exe"], (bin / "mytrue").string());
  EXPECT_EQ(d["event"]["filename"], "../bin/mytrue");
  EXPECT_EQ(d["proc"]["name"], "mytrue");
}

TEST_F(ProcessLive, arguments_keep_invalid_utf8_newlines_quotes_empties_and_spaces) {
  Trace trace("exec");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const std::vector<std::string> argv = {
      "/bin/true", "bad \xff\xfe bytes", "line\nbreak", "q\"uo'te\\", "",
      "   ",       "tab\there",          "\xc3\x28"};
  const pid_t child = run_child(argv, "/");
  const auto lines = trace.stop();

  const json e = only(events_of(lines, child, "exec"), "one exec");
  const auto& args = e["proc"]["args"];
  ASSERT_EQ(args.size(), argv.size());
  for (size_t i = 0; i < argv.size(); ++i) EXPECT_EQ(bytes(args[i]), argv[i]) << i;
  EXPECT_EQ(e["proc"]["argc"], argv.size());
  EXPECT_EQ(e["proc"]["args_truncated"], false);
}

TEST_F(ProcessLive, failed_exec_reports_the_path_tried_and_the_error) {
  Trace trace("exec_failed");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const fs::path dir = trace.dir();
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "noexec") << "data";
  int status = 0;
  const pid_t child = run_in_child(
      [&] {
        if (chdir(dir.c_str()) != 0) return 1;
        char* args[] = {const_cast<char*>("x"), nullptr};
        execve("./sub/../missing", args, environ);
        execve("sub/noexec", args, environ);
        return 0;
      },
      &status);
  const auto lines = trace.stop();

  const auto failed = events_of(lines, child, "exec_failed");
  ASSERT_EQ(failed.size(), 2u) << trace.err();
  EXPECT_EQ(failed[0]["event"]["syscall"], "execve");
  EXPECT_EQ(failed[0]["event"]["filename"], "./sub/../missing");
  EXPECT_EQ(failed[0]["event"]["path"], (dir / "missing").string());
  EXPECT_EQ(failed[0]["event"]["error"], "ENOENT");
  EXPECT_EQ(failed[0]["event"]["ret"], -ENOENT);
  EXPECT_EQ(failed[1]["event"]["path"], (dir / "sub" / "noexec").string());
  EXPECT_EQ(failed[1]["event"]["error"], "EACCES");
}

// clone3 straight from a forked child. A thread created this way starts on
// an empty stack, so it must not return through any C code: the system call
// is issued inline and the new thread exits at once, in the same asm.
pid_t clone3_thread_that_exits(uint64_t flags, void* stack, size_t size) {
  clone_args args{};
  args.flags = flags;
  args.stack = reinterpret_cast<uint64_t>(stack);
  args.stack_size = size;
  long ret = SYS_clone3;
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "mov $60, %%eax\n\t"  // SYS_exit: this thread only
      "xor %%edi, %%edi\n\t"
      "syscall\n\t"
      "1:"
      : "+a"(ret)
      : "D"(&args), "S"(sizeof(args))
      : "rcx", "r11", "memory");
  return static_cast<pid_t>(ret);
}

pid_t clone3_process() {
  clone_args args{};
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof(args)));
}

TEST_F(ProcessLive, clone3_thread_and_process_report_their_kind_flags_and_parent) {
  Trace trace("fork", {"--threads"});
  ASSERT_TRUE(trace.ready()) << trace.err();

  // The creator writes the ids it got to a pipe: the thread's tid and the
  // process's pid.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const uint64_t thread_flags =
      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
  const pid_t creator = run_in_child([&] {
    const size_t size = 64 * 1024;
    void* stack = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const pid_t tid = clone3_thread_that_exits(thread_flags, stack, size);
    const pid_t pid = clone3_process();
    if (pid == 0) syscall(SYS_exit_group, 0);
    waitpid(pid, nullptr, 0);
    usleep(50 * 1000);
    pid_t ids[2] = {tid, pid};
    return write(fds[1], ids, sizeof(ids)) == sizeof(ids) ? 0 : 1;
  });
  close(fds[1]);
  pid_t ids[2] = {};
  ASSERT_EQ(read(fds[0], ids, sizeof(ids)), static_cast<ssize_t>(sizeof(ids)));
  close(fds[0]);
  const auto lines = trace.stop();

  bool thread_seen = false, process_seen = false;
  for (const auto& j : lines) {
    if (j["event"]["kind"] != "fork" || j["event"]["creator_pid"] != creator) continue;
    if (j["proc"]["tid"] == ids[0]) {
      thread_seen = true;
      EXPECT_EQ(j["event"]["thread"], true);
      EXPECT_EQ(j["event"]["syscall"], "clone3");
      EXPECT_EQ(std::stoull(j["event"]["clone_flags"].get<std::string>(), nullptr, 16),
                thread_flags);
      EXPECT_EQ(j["proc"]["pid"], creator) << "a thread belongs to its creator's process";
      EXPECT_EQ(j["proc"]["ppid"], getpid()) << "and shares the creator's parent";
    } else if (j["proc"]["pid"] == ids[1]) {
      process_seen = true;
      EXPECT_EQ(j["event"]["thread"], false);
      EXPECT_EQ(j["event"]["syscall"], "clone3");
      EXPECT_EQ(j["event"]["clone_flags"], "0x0000000000000000");
      EXPECT_EQ(j["proc"]["ppid"], creator);
      EXPECT_EQ(j["parent"]["pid"], creator);
    }
  }
  EXPECT_TRUE(thread_seen);
  EXPECT_TRUE(process_seen);
}

TEST_F(ProcessLive, process_in_a_new_pid_namespace_has_host_and_namespace_pids) {
  Trace trace("exec,fork");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t unshare = run_child(
      {"/usr/bin/unshare", "--pid", "--fork", "/bin/sh", "-c", "exec /bin/true vigil-ns"}, "/");
  const auto lines = trace.stop();

  const auto own_pidns = fs::read_symlink("/proc/self/ns/pid").string();
  bool seen = false;
  for (const auto& j : lines) {
    if (j["event"]["kind"] != "exec" || j["proc"]["args"] != json({"/bin/true", "vigil-ns"})) {
      continue;
    }
    seen = true;
    // unshare forks the namespace's first process: pid 1 inside, a host
    // pid outside, its parent unshare itself.
    EXPECT_EQ(j["proc"]["ns_pid"], 1);
    EXPECT_NE(j["proc"]["pid"], 1);
    EXPECT_EQ(j["proc"]["ppid"], unshare);
    EXPECT_NE("pid:[" + std::to_string(j["proc"]["pidns"].get<uint64_t>()) + "]", own_pidns);
    // Its host pid is the one unshare's fork created.
    const auto forks = events_of(lines, j["proc"]["pid"], "fork");
    ASSERT_EQ(forks.size(), 1u);
    EXPECT_EQ(forks[0]["event"]["creator_pid"], unshare);
    EXPECT_EQ(forks[0]["proc"]["ns_pid"], 1);
  }
  EXPECT_TRUE(seen) << trace.err();
}

// A child that becomes a session leader with a pseudo-terminal as its
// controlling terminal, then execs: the exec's tty is that terminal, encoded
// as the kernel's new_encode_dev() (what /proc/PID/stat shows).
TEST_F(ProcessLive, tty_is_the_controlling_terminal) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave = ptsname(master);
  struct stat st {};
  ASSERT_EQ(stat(slave.c_str(), &st), 0);
  const unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
  const unsigned expected = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);

  Trace trace("exec");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t child = run_in_child([&] {
    if (setsid() < 0 || open(slave.c_str(), O_RDWR) < 0) return 1;
    char* args[] = {const_cast<char*>("/bin/true"), const_cast<char*>("vigil-tty"), nullptr};
    execv(args[0], args);
    return 127;
  });
  const auto lines = trace.stop();
  close(master);

  const json e = only(events_of(lines, child, "exec"), "one exec");
  EXPECT_EQ(e["proc"]["tty"], expected);
  EXPECT_NE(expected, 0u);
}

TEST_F(ProcessLive, task_context_carries_audit_ids_and_namespaces) {
  Trace trace("exec");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t child = run_child({"/bin/true", "vigil-ctx"}, "/");
  const auto lines = trace.stop();

  const json e = only(events_of(lines, child, "exec"), "one exec");
  auto read_num = [](const std::string& path) {
    return std::stoull(read_text(path));
  };
  auto ns_inode = [](const char* ns) {
    const std::string link = fs::read_symlink(std::string("/proc/self/ns/") + ns).string();
    return std::stoull(link.substr(link.find('[') + 1));
  };
  EXPECT_EQ(e["proc"]["auid"], read_num("/proc/self/loginuid"));
  EXPECT_EQ(e["proc"]["sessionid"], read_num("/proc/self/sessionid"));
  EXPECT_EQ(e["proc"]["pidns"], ns_inode("pid"));
  EXPECT_EQ(e["proc"]["mntns"], ns_inode("mnt"));
  EXPECT_EQ(e["proc"]["netns"], ns_inode("net"));
  EXPECT_EQ(e["proc"]["ns_pid"], child);
  // cgroup v2: the id is the inode of the cgroup's directory, wherever
  // the v2 hierarchy is mounted (/sys/fs/cgroup, or .../unified on hybrid
  // hosts).
  std::string v2_root;
  {
    std::istringstream mounts(read_text("/proc/self/mounts"));
    for (std::string dev, dir, type, rest;
         mounts >> dev >> dir >> type && std::getline(mounts, rest);) {
      if (type == "cgroup2") v2_root = dir;
    }
  }
  ASSERT_FALSE(v2_root.empty()) << "no cgroup2 hierarchy mounted";
  const std::string cg = read_text("/proc/self/cgroup");
  const size_t v2 = cg.find("0::");
  ASSERT_NE(v2, std::string::npos) << cg;
  const std::string rel = cg.substr(v2 + 3, cg.find('\n', v2) - v2 - 3);
  struct stat cst {};
  ASSERT_EQ(stat((v2_root + rel).c_str(), &cst), 0) << v2_root << rel;
  EXPECT_EQ(e["proc"]["cgroup_id"], cst.st_ino);
}

}  // namespace
}  // namespace vigil::test
