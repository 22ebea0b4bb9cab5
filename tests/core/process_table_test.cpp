// The process table: fork shares the parent's image, exec replaces it, exit
// keeps the entry for a grace period, and /proc seeds what predates us.
#include "vigil/process_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vigil/record_builder.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

void apply(ProcessTable& t, const RecordBuffer& rec) {
  t.apply(EventView(rec.data()));
}

RecordBuffer exec_of(uint32_t pid, uint32_t ppid, std::vector<std::string> argv, std::string exe,
                     std::string filename = "") {
  ExecSpec s;
  s.task = make_task(pid, ppid);
  s.exe = exe;
  s.filename = filename.empty() ? exe : filename;
  s.argv = std::move(argv);
  s.cwd = "/work";
  return build_exec(s);
}

TEST(ProcessTable, exec_records_image_and_parent) {
  ProcessTable t;
  apply(t, exec_of(10, 1, {"bash", "-c", "x y"}, "/usr/bin/bash", "/bin/bash"));
  ProcessInfo p;
  ASSERT_TRUE(t.lookup(10, p));
  EXPECT_EQ(p.ppid, 1u);
  ASSERT_TRUE(p.image);
  EXPECT_EQ(p.image->exe, "/usr/bin/bash");
  EXPECT_EQ(p.image->name, "bash");
  EXPECT_EQ(p.image->cmdline, "bash -c x y");
  EXPECT_EQ(p.image->args, std::string("bash\0-c\0x y\0", 12));
  EXPECT_EQ(p.image->argc, 3u);
  EXPECT_EQ(p.image->cwd, "/work");
}

TEST(ProcessTable, fork_shares_creator_image_until_exec) {
  ProcessTable t;
  apply(t, exec_of(10, 1, {"sh"}, "/usr/bin/dash", "/bin/sh"));
  apply(t, build_fork(make_task(11, 10), 10, false));
  ProcessInfo parent, child;
  ASSERT_TRUE(t.lookup(10, parent));
  ASSERT_TRUE(t.lookup(11, child));
  EXPECT_EQ(child.ppid, 10u);
  EXPECT_EQ(child.image, parent.image);

  apply(t, exec_of(11, 10, {"ls", "-l"}, "/usr/bin/ls"));
  ASSERT_TRUE(t.lookup(11, child));
  EXPECT_EQ(child.image->cmdline, "ls -l");
  ASSERT_TRUE(t.lookup(10, parent));
  EXPECT_EQ(parent.image->cmdline, "sh");
}

TEST(ProcessTable, thread_creation_adds_nothing) {
  ProcessTable t;
  auto task = make_task(10, 1);
  task.tid = 12;
  apply(t, build_fork(task, 10, true));
  EXPECT_EQ(t.size(), 0u);
}

TEST(ProcessTable, exit_keeps_entry_for_grace_period) {
  ProcessTable t;
  apply(t, exec_of(10, 1, {"true"}, "/usr/bin/true"));
  apply(t, build_exit(make_task(10, 1), 0, 1'000));
  ProcessInfo p;
  ASSERT_TRUE(t.lookup(10, p));
  EXPECT_EQ(p.exit_ns, 1'000u);
  EXPECT_EQ(t.expire(1'000 + ProcessTable::kExitGraceNs), 0u);
  EXPECT_EQ(t.expire(1'001 + ProcessTable::kExitGraceNs), 1u);
  EXPECT_FALSE(t.lookup(10, p));
}

TEST(ProcessTable, exit_of_a_reused_pid_leaves_the_new_process) {
  ProcessTable t;
  auto newer = make_task(10, 1);
  newer.start_ns = 5'000;
  ExecSpec s;
  s.task = newer;
  s.exe = "/usr/bin/new";
  apply(t, build_exec(s));
  auto older = make_task(10, 1);
  older.start_ns = 1'000;
  apply(t, build_exit(older, 0, 6'000));
  ProcessInfo p;
  ASSERT_TRUE(t.lookup(10, p));
  EXPECT_EQ(p.exit_ns, 0u);
}

TEST(ProcessTable, exec_through_descriptor_is_named_after_the_file) {
  EXPECT_EQ(exec_name("/dev/fd/3", "/usr/bin/python3.11"), "python3.11");
  EXPECT_EQ(exec_name("/proc/self/fd/7", "/tmp/x"), "x");
  EXPECT_EQ(exec_name("/proc/4242/fd/3", "/memfd:evil"), "memfd:evil");
  EXPECT_EQ(exec_name("/proc/thread-self/fd/3", "/usr/bin/id"), "id");
  EXPECT_EQ(exec_name("/proc/4242/cwd/run", "/srv/run"), "run");
  EXPECT_EQ(exec_name("/proc/x/fd/3", "/usr/bin/id"), "3");
  EXPECT_EQ(exec_name("./run.sh", "/usr/bin/bash"), "run.sh");
  EXPECT_EQ(exec_name("", "/usr/bin/ls"), "ls");
}

TEST(ProcessTable, join_args_keeps_empty_arguments_in_place) {
  EXPECT_EQ(join_args(std::string_view("a\0\0b\0", 5)), "a  b");
  EXPECT_EQ(join_args(std::string_view("a\0 \0", 4)), "a  ");
  EXPECT_EQ(join_args(std::string_view("cut", 3)), "cut");
  EXPECT_EQ(join_args(""), "");
}

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("vigil-proc-" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void add(uint32_t pid, const std::string& stat, const std::string& cmdline, const char* exe,
           const char* cwd, uint32_t uid) {
    const fs::path dir = root_ / std::to_string(pid);
    fs::create_directories(dir);
    std::ofstream(dir / "stat") << stat;
    std::ofstream(dir / "cmdline", std::ios::binary) << cmdline;
    std::ofstream(dir / "status") << "Name:\tx\nUid:\t" << uid << "\t" << uid << "\t0\t0\n";
    if (exe) fs::create_symlink(exe, dir / "exe");
    if (cwd) fs::create_symlink(cwd, dir / "cwd");
  }

  fs::path root_;
};

TEST_F(FakeProc, seeds_parent_image_and_start_time) {
  const long hz = sysconf(_SC_CLK_TCK);
  add(1, "1 (systemd) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0",
      std::string("/sbin/init\0", 11), "/usr/lib/systemd/systemd", "/", 0);
  // A command name with spaces and parentheses must not shift the fields.
  add(200, "200 (we ird) (x) S 1 200 200 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 250 0 0",
      std::string("python3\0app.py\0--x\0", 19), "/usr/bin/python3.11 (deleted)", "/srv", 1000);
  add(2, "2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0", "", nullptr, nullptr, 0);
  fs::create_directories(root_ / "self");  // not a pid: ignored

  ProcessTable t;
  EXPECT_EQ(t.seed_from_proc(root_.string()), 3u);

  ProcessInfo p;
  ASSERT_TRUE(t.lookup(200, p));
  EXPECT_EQ(p.ppid, 1u);
  EXPECT_EQ(p.uid, 1000u);
  EXPECT_EQ(p.start_ns, 250u * (1'000'000'000u / hz));
  ASSERT_TRUE(p.image);
  EXPECT_EQ(p.image->exe, "/usr/bin/python3.11");
  EXPECT_EQ(p.image->cmdline, "python3 app.py --x");
  EXPECT_EQ(p.image->argc, 3u);
  EXPECT_EQ(p.image->name, "python3");
  EXPECT_EQ(p.image->cwd, "/srv");

  ASSERT_TRUE(t.lookup(2, p));
  EXPECT_FALSE(p.image) << "kernel threads have no image";
}

TEST_F(FakeProc, events_win_over_proc) {
  add(300, "300 (sh) S 1 300 300 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0", std::string("sh\0", 3),
      "/usr/bin/dash", "/", 0);
  ProcessTable t;
  apply(t, exec_of(300, 1, {"ls"}, "/usr/bin/ls"));
  EXPECT_EQ(t.seed_from_proc(root_.string()), 0u);
  ProcessInfo p;
  ASSERT_TRUE(t.lookup(300, p));
  EXPECT_EQ(p.image->exe, "/usr/bin/ls");
}

TEST(ProcessTable, seeds_this_process_from_real_proc) {
  ProcessTable t;
  EXPECT_GT(t.seed_from_proc(), 0u);
  ProcessInfo p;
  ASSERT_TRUE(t.lookup(static_cast<uint32_t>(getpid()), p));
  EXPECT_EQ(p.ppid, static_cast<uint32_t>(getppid()));
  ASSERT_TRUE(p.image);
  EXPECT_EQ(p.image->exe, fs::read_symlink("/proc/self/exe").string());
}

}  // namespace
}  // namespace vigil
