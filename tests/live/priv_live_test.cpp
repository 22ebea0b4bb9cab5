// Live: privilege and tampering events through the real eBPF programs and
// `vigil trace`: the setuid and setgid families, capset, ptrace, bpf(),
// unshare, setns, signals to another process, PR_SET_NAME, and module
// loading where the kernel has it. Needs root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "vigil_process.h"

namespace vigil::test {
namespace {

using nlohmann::json;

class PrivLive : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(geteuid(), 0u) << "live tests load BPF programs: run as root"; }
};

json one(const std::vector<json>& v, const std::string& what) {
  EXPECT_EQ(v.size(), 1u) << what;
  return v.empty() ? json::object() : v[0];
}

TEST_F(PrivLive, setuid_and_setgid_families_report_ids_asked_before_and_after) {
  Trace trace("setuid,setgid");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t child = run_in_child([] {
    int rc = 0;
    rc |= setresgid(2001, 2002, 2003);
    rc |= setregid(-1, 2004);
    rc |= setresuid(1001, 1002, 1003);
    // Unprivileged now: setuid to another id fails, and says so.
    rc |= setuid(0) == 0;
    return rc == 0 ? 0 : 1;
  });
  const auto lines = trace.stop();

  const auto gids = events_of(lines, child, "setgid");
  ASSERT_EQ(gids.size(), 2u);
  EXPECT_EQ(gids[0]["event"]["syscall"], "setresgid");
  EXPECT_EQ(gids[0]["priv"]["ids"], json({2001, 2002, 2003, 4294967295u}));
  EXPECT_EQ(gids[0]["priv"]["old_ids"], json({0, 0, 0, 0}));
  EXPECT_EQ(gids[0]["priv"]["new_ids"], json({2001, 2002, 2003, 2002}));
  EXPECT_EQ(gids[1]["event"]["syscall"], "setregid");
  EXPECT_EQ(gids[1]["priv"]["ids"], json({4294967295u, 2004, 4294967295u, 4294967295u}));
  EXPECT_EQ(gids[1]["priv"]["new_ids"][1], 2004);

  const auto uids = events_of(lines, child, "setuid");
  ASSERT_EQ(uids.size(), 2u);
  EXPECT_EQ(uids[0]["priv"]["old_ids"], json({0, 0, 0, 0}));
  EXPECT_EQ(uids[0]["priv"]["new_ids"], json({1001, 1002, 1003, 1002}));
  EXPECT_EQ(uids[0]["event"]["ret"], 0);
  EXPECT_EQ(uids[0]["proc"]["uid"], 1001) << "the task context is taken after the call";
  EXPECT_EQ(uids[1]["event"]["syscall"], "setuid");
  EXPECT_EQ(uids[1]["event"]["error"], "EPERM");
  EXPECT_EQ(uids[1]["priv"]["ids"][0], 0);
  EXPECT_EQ(uids[1]["priv"]["old_ids"], uids[1]["priv"]["new_ids"]);
}

TEST_F(PrivLive, capset_reports_the_sets_asked_and_the_old_ones) {
  Trace trace("capset");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t child = run_in_child([] {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) != 0) return 1;
    // Drop everything but CAP_NET_BIND_SERVICE (10) and CAP_SYS_ADMIN (21).
    const uint32_t keep = (1u << 10) | (1u << 21);
    data[0].effective = data[0].permitted = keep;
    data[0].inheritable = 0;
    data[1] = {};
    return syscall(SYS_capset, &hdr, data) == 0 ? 0 : 2;
  });
  const auto lines = trace.stop();

  const json c = one(events_of(lines, child, "capset"), "capset");
  EXPECT_EQ(c["event"]["ret"], 0);
  EXPECT_EQ(c["priv"]["cap_effective"], "0x0000000000200400");
  EXPECT_EQ(c["priv"]["cap_permitted"], "0x0000000000200400");
  EXPECT_EQ(c["priv"]["cap_inheritable"], "0x0000000000000000");
  EXPECT_NE(c["priv"]["old_cap_effective"], "0x0000000000000000") << "root had them all";
}

TEST_F(PrivLive, ptrace_kill_and_prctl_name_their_target) {
  Trace trace("ptrace,kill,prctl");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t victim = fork();
  if (victim == 0) {
    pause();
    _exit(0);
  }
  const pid_t child = run_in_child([&] {
    if (ptrace(PTRACE_ATTACH, victim, nullptr, nullptr) != 0) return 1;
    waitpid(victim, nullptr, __WALL);
    ptrace(PTRACE_DETACH, victim, nullptr, nullptr);
    kill(getpid(), 0);  // itself: not reported
    if (kill(victim, SIGTERM) != 0) return 2;
    return prctl(PR_SET_NAME, "vigil-renamed", 0, 0, 0) == 0 ? 0 : 3;
  });
  waitpid(victim, nullptr, 0);
  const auto lines = trace.stop();

  const auto traces = events_of(lines, child, "ptrace");
  ASSERT_GE(traces.size(), 2u);
  EXPECT_EQ(traces[0]["priv"]["request"], PTRACE_ATTACH);
  EXPECT_EQ(traces[0]["priv"]["target_pid"], victim);
  EXPECT_EQ(traces[0]["event"]["ret"], 0);
  EXPECT_EQ(traces[1]["priv"]["request"], PTRACE_DETACH);
  const json k = one(events_of(lines, child, "kill"), "kill of another process only");
  EXPECT_EQ(k["priv"]["target_pid"], victim);
  EXPECT_EQ(k["priv"]["signal"], SIGTERM);
  EXPECT_EQ(k["event"]["syscall"], "kill");
  const json p = one(events_of(lines, child, "prctl"), "prctl");
  EXPECT_EQ(p["priv"]["option"], PR_SET_NAME);
  EXPECT_EQ(p["priv"]["name"], "vigil-renamed");
  EXPECT_EQ(p["proc"]["comm"], "vigil-renamed");
}

TEST_F(PrivLive, bpf_unshare_and_setns_report_command_flags_and_namespace) {
  Trace trace("bpf,unshare,setns");
  ASSERT_TRUE(trace.ready()) << trace.err();
  const pid_t child = run_in_child([] {
    bpf_attr attr{};
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 8;
    attr.max_entries = 1;
    std::strncpy(attr.map_name, "vigil_probe", sizeof(attr.map_name));
    if (syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)) < 0) return 1;
    const int own_uts = open("/proc/self/ns/uts", O_RDONLY);  // the test's, inherited
    if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0) return 2;
    return setns(own_uts, CLONE_NEWUTS) == 0 ? 0 : 3;
  });
  const auto lines = trace.stop();

  const json b = one(events_of(lines, child, "bpf"), "bpf");
  EXPECT_EQ(b["priv"]["command"], BPF_MAP_CREATE);
  EXPECT_EQ(b["priv"]["type"], BPF_MAP_TYPE_ARRAY);
  EXPECT_EQ(b["priv"]["name"], "vigil_probe");
  EXPECT_GE(b["event"]["ret"], 0);
  const json u = one(events_of(lines, child, "unshare"), "unshare");
  EXPECT_EQ(u["priv"]["flags"], "0x000000000c000000");  // CLONE_NEWIPC | CLONE_NEWUTS
  EXPECT_EQ(u["event"]["ret"], 0);
  const json s = one(events_of(lines, child, "setns"), "setns");
  EXPECT_EQ(s["priv"]["flags"], "0x0000000004000000");  // CLONE_NEWUTS
  EXPECT_EQ(s["priv"]["namespace"], "uts");
  const std::string own = fs::read_symlink("/proc/self/ns/uts").string();
  EXPECT_EQ("uts:[" + std::to_string(s["priv"]["ns_ino"].get<uint64_t>()) + "]", own);
  EXPECT_EQ(s["event"]["ret"], 0);
}

// Kernels built without module support have no such system calls, hence no
// tracepoints: vigil says the kinds are off, and this test is skipped.
TEST_F(PrivLive, module_load_and_delete_report_file_and_name) {
  if (access("/sys/kernel/tracing/events/syscalls/sys_exit_finit_module", F_OK) != 0) {
    Trace trace("module_load,module_delete");
    ASSERT_TRUE(trace.ready()) << trace.err();
    trace.stop();
    EXPECT_NE(trace.err().find("kind 'module_load' is off"), std::string::npos) << trace.err();
    GTEST_SKIP() << "this kernel has no module system calls";
  }
  Trace trace("module_load,module_delete");
  ASSERT_TRUE(trace.ready()) << trace.err();
  std::ofstream(trace.dir() / "bogus.ko") << "not an ELF module";
  const pid_t child = run_in_child([&] {
    const int fd = open((trace.dir() / "bogus.ko").c_str(), O_RDONLY);
    syscall(SYS_finit_module, fd, "vigil=1", 0);
    syscall(SYS_delete_module, "vigil_no_such_module", O_NONBLOCK);
    return 0;
  });
  const auto lines = trace.stop();
  const json l = one(events_of(lines, child, "module_load"), "finit_module");
  EXPECT_EQ(l["priv"]["path"], (trace.dir() / "bogus.ko").string());
  EXPECT_EQ(l["priv"]["params"], "vigil=1");
  EXPECT_LT(l["event"]["ret"], 0);
  const json d = one(events_of(lines, child, "module_delete"), "delete_module");
  EXPECT_EQ(d["priv"]["name"], "vigil_no_such_module");
}

}  // namespace
}  // namespace vigil::test
