// Live: the real eBPF programs on this machine's kernel, driven through the
// `vigil` binary. Needs root (tools/test.sh runs ctest as root).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "vigil_process.h"

namespace vigil::test {
namespace {

using nlohmann::json;

class Live : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "live tests load BPF programs: run them as root";
  }
};

std::string self_exe() {
  return fs::read_symlink("/proc/self/exe").string();
}

std::string self_cmdline() {
  std::string raw = read_text("/proc/self/cmdline");
  if (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  return raw;
}

std::vector<json> alerts_for(const std::vector<json>& lines, pid_t pid) {
  std::vector<json> out;
  for (const auto& j : lines) {
    if (j["proc"]["pid"] == pid) out.push_back(j);
  }
  return out;
}

// The spine's acceptance test: a process with awkward arguments yields one
// alert whose pid, exe, arguments (byte for byte), cwd and parent are right,
// and a process that matches no rule yields none.
TEST_F(Live, run_alerts_once_with_exact_process_and_parent) {
  TempDir dir("live-run");
  const std::string marker = "vigil-live-marker-" + std::to_string(getpid());
  const fs::path rules = dir.path() / "rules.yaml";
  std::ofstream(rules) << "- rule: live_marker\n"
                          "  description: the live test's marker argument\n"
                          "  severity: high\n"
                          "  tags: [mitre.execution, mitre.T1059.004]\n"
                          "  condition:\n"
                          "    proc.args: {equals: \""
                       << marker << "\"}\n";
  const fs::path out = dir.path() / "alerts.json";
  const fs::path cwd = dir.path() / "work dir";
  fs::create_directories(cwd);

  VigilProcess vigil({"run", "--rules", rules.string(), "--output", out.string()});
  ASSERT_TRUE(vigil.wait_ready()) << vigil.err();

  const std::string long_arg(3 * 1024, 'L');
  const std::vector<std::string> argv = {"/bin/sh", "-c",    "exit 0",    marker,
                                         "",        "ünï ✓", "two words", long_arg};
  int status = 0;
  const pid_t hit = run_child(argv, cwd, &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const pid_t miss = run_child({"/bin/true", "vigil-live-no-match"}, cwd);

  // Give the ring buffer reader a moment, then stop: stop drains everything.
  usleep(300 * 1000);
  ASSERT_EQ(vigil.stop(), 0) << vigil.err();
  const auto lines = read_json_lines(out);

  const auto hits = alerts_for(lines, hit);
  ASSERT_EQ(hits.size(), 1u) << read_text(out);
  const json& a = hits[0];
  EXPECT_EQ(a["rule"], "live_marker");
  EXPECT_EQ(a["severity"], "high");
  EXPECT_EQ(a["event"]["kind"], "exec");
  EXPECT_EQ(a["proc"]["exe"], fs::canonical("/bin/sh").string());
  EXPECT_EQ(a["proc"]["name"], "sh");
  EXPECT_EQ(a["proc"]["args"], json(argv));
  EXPECT_EQ(a["proc"]["argc"], argv.size());
  EXPECT_EQ(a["proc"]["args_truncated"], false);
  EXPECT_EQ(a["proc"]["cwd"], cwd.string());
  EXPECT_EQ(a["proc"]["uid"], 0);
  EXPECT_EQ(a["proc"]["ppid"], getpid());
  EXPECT_EQ(a["parent"]["pid"], getpid());
  EXPECT_EQ(a["parent"]["exe"], self_exe());
  EXPECT_EQ(a["parent"]["cmdline"], self_cmdline());

  EXPECT_TRUE(alerts_for(lines, miss).empty());
  EXPECT_EQ(lines.size(), 1u) << "only the marker matches the test rule:\n" << read_text(out);

  const std::string log = vigil.err();
  EXPECT_NE(log.find("reader: received="), std::string::npos) << log;
  EXPECT_NE(log.find("output: received=1 written=1 dropped=0"), std::string::npos) << log;
}

TEST_F(Live, trace_reports_exec_fork_and_exit_of_a_child) {
  TempDir dir("live-trace");
  const fs::path out = dir.path() / "events.json";
  VigilProcess vigil({"trace", "--output", out.string()});
  ASSERT_TRUE(vigil.wait_ready()) << vigil.err();

  int status = 0;
  const pid_t child = run_child({"/bin/sh", "-c", "exit 7"}, dir.path(), &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
  usleep(300 * 1000);
  ASSERT_EQ(vigil.stop(), 0) << vigil.err();

  bool fork_seen = false, exec_seen = false, exit_seen = false;
  for (const auto& j : read_json_lines(out)) {
    if (j["proc"]["pid"] != child) continue;
    const std::string kind = j["event"]["kind"];
    if (kind == "fork") {
      fork_seen = true;
      EXPECT_EQ(j["event"]["creator_pid"], getpid());
      EXPECT_EQ(j["event"]["thread"], false);
      EXPECT_EQ(j["proc"]["ppid"], getpid());
    } else if (kind == "exec") {
      exec_seen = true;
      EXPECT_EQ(j["event"]["filename"], "/bin/sh");
      EXPECT_EQ(j["proc"]["args"], json({"/bin/sh", "-c", "exit 7"}));
      EXPECT_EQ(j["proc"]["cwd"], dir.path().string());
      EXPECT_EQ(j["parent"]["exe"], self_exe());
    } else if (kind == "exit") {
      exit_seen = true;
      EXPECT_EQ(j["event"]["code"], 7);
    }
  }
  EXPECT_TRUE(fork_seen);
  EXPECT_TRUE(exec_seen);
  EXPECT_TRUE(exit_seen);
}

// Stopped in the middle of an exec storm, the sensor still accounts for
// every record the kernel emitted: each was read (or counted dropped).
TEST_F(Live, stop_during_a_storm_loses_nothing_uncounted) {
  TempDir dir("live-storm");
  VigilProcess vigil({"trace", "--output", (dir.path() / "events.json").string()});
  ASSERT_TRUE(vigil.wait_ready()) << vigil.err();

  const pid_t storm = fork();
  if (storm == 0) {
    execl("/bin/sh", "sh", "-c", "while :; do /bin/true; done", nullptr);
    _exit(127);
  }
  usleep(500 * 1000);
  const int rc = vigil.stop();
  kill(storm, SIGKILL);
  waitpid(storm, nullptr, 0);
  ASSERT_EQ(rc, 0) << vigil.err();

  const std::string log = vigil.err();
  // Every kind trace attached (all by default) counts, not only exec's.
  uint64_t emitted = 0, kernel_dropped = 0;
  const std::regex counts(R"(ebpf [a-z_]+: emitted=(\d+) dropped=(\d+))");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), counts); it != std::sregex_iterator();
       ++it) {
    emitted += std::stoull((*it)[1]);
    kernel_dropped += std::stoull((*it)[2]);
  }
  ASSERT_NE(log.find("ebpf exec: emitted="), std::string::npos) << log;
  const auto at = log.find("reader: received=");
  ASSERT_NE(at, std::string::npos) << log;
  unsigned long long received = 0;
  ASSERT_EQ(sscanf(log.c_str() + at, "reader: received=%llu", &received), 1);
  EXPECT_GT(emitted, 100u) << "the storm should have produced events";
  EXPECT_EQ(received, emitted) << log;
  EXPECT_EQ(kernel_dropped, 0u) << log;
}

// `vigil trace | head -n 1` must end once head has its line, as any command
// in a pipeline does when its reader goes away.
TEST_F(Live, trace_stops_when_its_stdout_reader_is_gone) {
  const std::string script =
      "(timeout 20 " + vigil_binary() +
      " trace --kinds exec 2>/dev/null | head -n 1 >/dev/null; echo \"${PIPESTATUS[0]}\") & "
      "for i in $(seq 50); do /bin/true; sleep 0.1; done; wait";
  const auto t0 = std::chrono::steady_clock::now();
  FILE* p = popen(("bash -c '" + script + "'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {};
  ASSERT_NE(fgets(buf, sizeof(buf), p), nullptr);
  pclose(p);
  EXPECT_EQ(std::string(buf), "0\n") << "124 means timeout had to kill it";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
}

TEST_F(Live, long_argv_is_cut_and_flagged_with_exact_argc) {
  TempDir dir("live-long");
  const fs::path out = dir.path() / "events.json";
  VigilProcess vigil({"trace", "--kinds", "exec", "--output", out.string()});
  ASSERT_TRUE(vigil.wait_ready()) << vigil.err();

  std::vector<std::string> argv = {"/bin/true"};
  for (int i = 0; i < 40; ++i) argv.push_back(std::string(1000, static_cast<char>('a' + i % 26)));
  const pid_t child = run_child(argv, dir.path());
  usleep(300 * 1000);
  ASSERT_EQ(vigil.stop(), 0) << vigil.err();

  int seen = 0;
  for (const auto& j : read_json_lines(out)) {
    if (j["proc"]["pid"] != child) continue;
    ++seen;
    EXPECT_EQ(j["proc"]["argc"], argv.size());
    EXPECT_EQ(j["proc"]["args_truncated"], true);
    const auto& args = j["proc"]["args"];
    ASSERT_GT(args.size(), 10u);
    ASSERT_LT(args.size(), argv.size());
    // Every argument but the cut one is whole and in place.
    for (size_t i = 0; i + 1 < args.size(); ++i) EXPECT_EQ(args[i], argv[i]) << i;
    const std::string last = args.back();
    EXPECT_EQ(last, argv[args.size() - 1].substr(0, last.size()));
  }
  EXPECT_EQ(seen, 1);
  EXPECT_NE(vigil.err().find("ebpf exec: emitted="), std::string::npos);
}

// mimalloc is the allocator: linked in, it must have taken over malloc.
TEST(Binary, malloc_is_mimalloc) {
  FILE* p = popen((vigil_binary() + " --version").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {};
  ASSERT_NE(fgets(buf, sizeof(buf), p), nullptr);
  pclose(p);
  EXPECT_NE(std::string(buf).find("malloc redirected: yes"), std::string::npos) << buf;
}

TEST_F(Live, bad_rule_file_fails_start_with_file_and_line) {
  TempDir dir("live-bad");
  const fs::path rules = dir.path() / "bad.yaml";
  std::ofstream(rules) << "- rule: broken\n"
                          "  description: x\n"
                          "  severity: high\n"
                          "  tags: [mitre.T1059]\n"
                          "  condition:\n"
                          "    proc.nonsense: {equals: x}\n";
  VigilProcess vigil({"run", "--rules", rules.string(), "--duration", "1"});
  EXPECT_EQ(vigil.wait(), 2);
  const std::string err = vigil.err();
  EXPECT_NE(err.find(rules.string() + ":6:"), std::string::npos) << err;
  EXPECT_NE(err.find("proc.nonsense"), std::string::npos) << err;
}

}  // namespace
}  // namespace vigil::test
