// Live: `vigil run` as systemd runs it. The notify protocol over a socket the
// test owns (READY once attached, WATCHDOG pings, STATUS, STOPPING), every
// capability gone while running, metrics and /healthz, SIGHUP reopening the
// output file, and the configuration file with flags on top. Needs root.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <regex>

#include "../service/daemons.h"
#include "vigil_process.h"

namespace vigil::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A unix datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      throw std::runtime_error("cannot bind " + path.string());
    }
  }
  ~NotifySocket() { close(fd_); }

  //! The next datagram, or "" after `timeout`.
  std::string next(milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  //! Datagrams until one contains `what` (included), or "" on timeout.
  std::string until(const std::string& what, std::vector<std::string>& seen,
                    seconds timeout = seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      std::string m = next(milliseconds(200));
      if (m.empty()) continue;
      seen.push_back(m);
      if (m.find(what) != std::string::npos) return m;
    }
    return "";
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

// The rule file and configuration each test runs with.
struct Sensor {
  TempDir dir;
  std::string marker;
  int port = free_port();
  fs::path rules, config, alerts;

  explicit Sensor(const std::string& tag, const std::string& extra = "")
      : dir("svc-" + tag), marker("vigil-svc-marker-" + std::to_string(getpid())) {
    rules = dir.path() / "rules.yaml";
    std::ofstream(rules) << "- rule: live_marker\n"
                            "  description: the service test's marker\n"
                            "  severity: critical\n"
                            "  tags: [mitre.execution, mitre.T1059.004]\n"
                            "  condition:\n"
                            "    proc.args: {equals: \""
                         << marker << "\"}\n";
    alerts = dir.path() / "alerts.json";
    config = dir.path() / "vigil.yaml";
    std::ofstream(config) << "rules: [" << rules.string() << "]\n"
                          << "shards: 1\n"
                          << "outputs:\n  - type: file\n    path: " << alerts.string() << "\n"
                          << "metrics:\n  listen: 127.0.0.1:" << port << "\n"
                          << "limits:\n  status_interval: 1\n"
                          << extra;
  }

  void trigger() const { run_child({"/bin/true", marker}, dir.path()); }
};

bool wait_for_lines(const fs::path& p, size_t n, seconds timeout = seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (read_json_lines(p).size() >= n) return true;
    usleep(50 * 1000);
  }
  return false;
}

class ServiceLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "live tests load BPF programs: run them as root";
  }
};

TEST_F(ServiceLive, notify_protocol_ready_after_attach_then_watchdog_status_and_stopping) {
  Sensor s("notify");
  NotifySocket notify(s.dir.path() / "notify.sock");
  setenv("NOTIFY_SOCKET", (s.dir.path() / "notify.sock").c_str(), 1);
  setenv("WATCHDOG_USEC", "400000", 1);
  VigilProcess vigil({"run", "--config", s.config.string()});
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");

  std::vector<std::string> seen;
  const std::string ready = notify.until("READY=1", seen);
  ASSERT_FALSE(ready.empty()) << vigil.err();
  EXPECT_EQ(seen.size(), 1u) << "READY is the first thing said";
  EXPECT_NE(ready.find("STATUS=running: driver ebpf"), std::string::npos) << ready;
  // Ready means attached and compiled: both were logged before READY was sent.
  const std::string log_at_ready = vigil.err();
  EXPECT_NE(log_at_ready.find("driver: ebpf attached"), std::string::npos) << log_at_ready;
  EXPECT_NE(log_at_ready.find("rules: 1 loaded"), std::string::npos) << log_at_ready;

  // Pings every WATCHDOG_USEC / 2 = 200 ms, and a STATUS line every second.
  seen.clear();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(notify.until("events/s", seen, seconds(5)).empty()) << vigil.err();
  while (std::chrono::steady_clock::now() - t0 < milliseconds(1500)) {
    const std::string m = notify.next(milliseconds(200));
    if (!m.empty()) seen.push_back(m);
  }
  const auto pings = std::count(seen.begin(), seen.end(), std::string("WATCHDOG=1"));
  EXPECT_GE(pings, 4) << "about 7 pings in 1.5 s";
  EXPECT_LE(pings, 12);

  kill(vigil.pid(), SIGTERM);
  seen.clear();
  EXPECT_FALSE(notify.until("STOPPING=1", seen, seconds(10)).empty());
  EXPECT_EQ(vigil.wait(), 0) << vigil.err();
}

TEST_F(ServiceLive, running_sensor_holds_no_capability_in_any_thread) {
  Sensor s("caps");
  VigilProcess vigil({"run", "--config", s.config.string()});
  ASSERT_TRUE(vigil.wait_for("metrics: serving")) << vigil.err();
  const fs::path tasks = fs::path("/proc") / std::to_string(vigil.pid()) / "task";
  size_t threads = 0;
  for (const auto& t : fs::directory_iterator(tasks)) {
    const std::string status = read_text(t.path() / "status");
    for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
      EXPECT_NE(status.find(std::string(key) + ":\t0000000000000000"), std::string::npos)
          << t.path() << "\n"
          << status;
    }
    EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos);
    ++threads;
  }
  EXPECT_GE(threads, 4u) << "main, shard, output writer, metrics";

  // With no capability left the sensor still sees, matches and writes.
  s.trigger();
  EXPECT_TRUE(wait_for_lines(s.alerts, 1)) << vigil.err();
  EXPECT_EQ(vigil.stop(), 0);
  EXPECT_NE(vigil.err().find("capabilities: dropped; now '='"), std::string::npos);
  EXPECT_NE(vigil.err().find("ebpf exec: emitted="), std::string::npos);
}

TEST_F(ServiceLive, metrics_and_healthz_describe_the_running_sensor) {
  Sensor s("metrics");
  VigilProcess vigil({"run", "--config", s.config.string()});
  ASSERT_TRUE(vigil.wait_for("metrics: serving")) << vigil.err();
  s.trigger();
  ASSERT_TRUE(wait_for_lines(s.alerts, 1)) << vigil.err();

  httplib::Client http("127.0.0.1", s.port);
  auto health = http.Get("/healthz");
  ASSERT_TRUE(health) << "no answer from /healthz";
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");

  std::string text;
  for (int i = 0; i < 50; ++i) {  // the writer counts a delivery after the write
    auto res = http.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    text = res->body;
    if (text.find("vigil_output_alerts_total{output=\"file\",result=\"delivered\"} 1\n") !=
        std::string::npos) {
      break;
    }
    usleep(100 * 1000);
  }
  for (const char* want : {
           "# TYPE vigil_kernel_events_total counter\n",
           "vigil_info{version=\"" VIGIL_VERSION "\",driver=\"ebpf\"} 1\n",
           "vigil_rule_matches_total{rule=\"live_marker\"} 1\n",
           "vigil_detector_alerts_total 1\n",
           "vigil_output_alerts_total{output=\"file\",result=\"delivered\"} 1\n",
           "vigil_output_alerts_total{output=\"file\",result=\"dropped\"} 0\n",
           "vigil_output_queue_depth{output=\"file\"} 0\n",
           "vigil_reader_records_total{result=\"dropped\"} 0\n",
           "vigil_shard_queue_batches{shard=\"0\"} ",
           "# TYPE vigil_match_duration_seconds histogram\n",
           "vigil_match_duration_seconds_bucket{le=\"+Inf\"} ",
           "vigil_resident_memory_bytes ",
           "vigil_mimalloc_committed_bytes ",
       }) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\n" << text;
  }
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(text, m,
                        std::regex("vigil_kernel_events_total\\{driver=\"ebpf\",kind=\"exec\","
                                   "result=\"emitted\"\\} (\\d+)")));
  EXPECT_GE(std::stoull(m[1]), 1u);
  ASSERT_TRUE(std::regex_search(text, m, std::regex("vigil_match_duration_seconds_count (\\d+)")));
  EXPECT_GE(std::stoull(m[1]), 1u);
  EXPECT_EQ(vigil.stop(), 0);
}

// logrotate moves the file and sends SIGHUP: the next alert starts a new file.
TEST_F(ServiceLive, sighup_reopens_the_output_file) {
  Sensor s("hup");
  VigilProcess vigil({"run", "--config", s.config.string()});
  ASSERT_TRUE(vigil.wait_for("metrics: serving")) << vigil.err();
  s.trigger();
  ASSERT_TRUE(wait_for_lines(s.alerts, 1)) << vigil.err();

  const fs::path moved = s.dir.path() / "alerts.json.1";
  fs::rename(s.alerts, moved);
  kill(vigil.pid(), SIGHUP);
  ASSERT_TRUE(vigil.wait_for("SIGHUP, reopening output files")) << vigil.err();
  usleep(200 * 1000);  // the writer reopens at its next wake-up, within 50 ms
  s.trigger();
  ASSERT_TRUE(wait_for_lines(s.alerts, 1)) << vigil.err();
  EXPECT_EQ(vigil.stop(), 0);
  EXPECT_EQ(read_json_lines(moved).size(), 1u);
  EXPECT_EQ(read_json_lines(s.alerts).size(), 1u);
}

TEST_F(ServiceLive, flags_override_the_configuration_file) {
  Sensor s("flags");
  VigilProcess vigil({"run", "--config", s.config.string(), "--shards", "3", "--duration", "1"});
  EXPECT_EQ(vigil.wait(), 0) << vigil.err();
  EXPECT_NE(vigil.err().find("config: '" + s.config.string() + "'"), std::string::npos);
  EXPECT_NE(vigil.err().find("pipeline: 3 shards"), std::string::npos) << vigil.err();
}

// trace with an explicit --config writes to its outputs: here OCSF lines.
TEST_F(ServiceLive, trace_to_an_ocsf_output_writes_process_activity) {
  Sensor s("ocsf");
  {
    std::string text = read_text(s.config);
    const std::string path_line = "    path: " + s.alerts.string() + "\n";
    text.replace(text.find(path_line), path_line.size(), path_line + "    format: ocsf\n");
    std::ofstream(s.config) << text;
  }
  VigilProcess vigil({"trace", "--config", s.config.string(), "--kinds", "exec"});
  ASSERT_TRUE(vigil.wait_for("metrics: serving")) << vigil.err();
  s.trigger();
  const auto found = [&] {
    for (const json& j : read_json_lines(s.alerts)) {
      if (j["process"].value("cmd_line", "") == "/bin/true " + s.marker) return j;
    }
    return json();
  };
  const auto end = std::chrono::steady_clock::now() + seconds(10);
  while (found().is_null() && std::chrono::steady_clock::now() < end) usleep(50 * 1000);
  EXPECT_EQ(vigil.stop(), 0);
  const json j = found();
  ASSERT_FALSE(j.is_null()) << read_text(s.alerts);
  EXPECT_EQ(j["class_uid"], 1007);
  EXPECT_EQ(j["activity_id"], 1);
  EXPECT_EQ(j["process"]["file"]["path"], "/usr/bin/true");
}

TEST_F(ServiceLive, metrics_port_taken_is_logged_and_the_sensor_runs_on) {
  Sensor s("port");
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(s.port));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  VigilProcess vigil({"run", "--config", s.config.string()});
  ASSERT_TRUE(vigil.wait_for("running without metrics")) << vigil.err();
  s.trigger();
  EXPECT_TRUE(wait_for_lines(s.alerts, 1)) << vigil.err();
  EXPECT_EQ(vigil.stop(), 0);
  close(fd);
}

TEST_F(ServiceLive, bad_configuration_stops_start_up_naming_file_and_line) {
  TempDir dir("svc-bad");
  const fs::path config = dir.path() / "vigil.yaml";
  std::ofstream(config) << "shards: 2\noutputs:\n  - type: file\n    path: relative.json\n";
  VigilProcess vigil({"run", "--config", config.string()});
  EXPECT_EQ(vigil.wait(), 2);
  EXPECT_NE(vigil.err().find(config.string() + ":4:11: 'path' must be absolute"), std::string::npos)
      << vigil.err();
  EXPECT_EQ(vigil.err().find("driver: ebpf attached"), std::string::npos) << "nothing started";
}

// End to end: one alert reaches both configured outputs, the file as Vigil's
// JSON and nginx as Falco's payload; with nginx stopped, alerts still reach
// the file and the webhook's losses are counted in the summary.
TEST_F(ServiceLive, alert_reaches_file_and_webhook_and_a_dead_webhook_costs_only_its_own) {
  ScratchDir web_dir("svc-nginx");
  Nginx nginx(web_dir.path());
  Sensor s("webhook");
  {
    // A webhook before the file output, and a short shutdown deadline.
    std::string text = read_text(s.config);
    text.replace(text.find("limits:\n"), std::string("limits:\n").size(),
                 "limits:\n  shutdown_timeout: 1\n");
    text.replace(text.find("outputs:\n"), std::string("outputs:\n").size(),
                 "outputs:\n  - type: webhook\n    url: http://127.0.0.1:" +
                     std::to_string(nginx.port()) + "/alerts\n    queue: 2\n    backoff: 0.05\n");
    std::ofstream(s.config) << text;
  }
  VigilProcess vigil({"run", "--config", s.config.string()});
  ASSERT_TRUE(vigil.wait_for("metrics: serving")) << vigil.err();

  s.trigger();
  ASSERT_TRUE(wait_for_lines(s.alerts, 1)) << vigil.err();
  ASSERT_TRUE(wait_until([&] { return read_lines(nginx.bodies_path()).size() >= 1; }))
      << vigil.err();
  const std::string body = read_lines(nginx.bodies_path())[0];
  const json falco = json::parse(body.substr(body.find('\t') + 1));
  EXPECT_EQ(falco["rule"], "live_marker");
  EXPECT_EQ(falco["priority"], "Critical");
  EXPECT_EQ(falco["output_fields"]["proc.cmdline"], "/bin/true " + s.marker);

  nginx.stop();
  for (int i = 0; i < 10; ++i) s.trigger();
  ASSERT_TRUE(wait_for_lines(s.alerts, 11)) << "the file output does not wait for the webhook";
  EXPECT_EQ(vigil.stop(), 0);
  EXPECT_NE(vigil.err().find("output 'file': received=11 delivered=11 dropped=0 failed=0"),
            std::string::npos)
      << vigil.err();
  // The webhook's queue holds 2: of the 10 alerts sent while nginx was down,
  // 8 were dropped at once and 2 at the shutdown deadline.
  EXPECT_NE(vigil.err().find("output 'webhook': received=11 delivered=1 dropped=10 failed=0"),
            std::string::npos)
      << vigil.err();
}

// Started by systemd (JOURNAL_STREAM set), vigil logs to the journal's
// native socket with structured fields. The journal is stood in for by a
// socket the test binds at /run/systemd/journal/socket inside a private
// mount namespace, over a tmpfs /run, so the host's /run is untouched.
TEST_F(ServiceLive, under_systemd_logs_go_to_the_journal_with_priority_and_component) {
  Sensor s("journal");
  const fs::path got = s.dir.path() / "journal.txt";
  const pid_t child = fork();
  if (child == 0) {
    // Single-threaded here: unshare() refuses a multi-threaded caller.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
        mount("tmpfs", "/run", "tmpfs", 0, "size=1m") != 0) {
      _exit(10);
    }
    fs::create_directories("/run/systemd/journal");
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, "/run/systemd/journal/socket");
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) _exit(11);
    setenv("JOURNAL_STREAM", "8:12345", 1);
    VigilProcess vigil({"run", "--config", s.config.string(), "--duration", "1"});
    std::ofstream out(got, std::ios::binary);
    timeval tv{0, 200 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const auto end = std::chrono::steady_clock::now() + seconds(30);
    char buf[65536];
    while (std::chrono::steady_clock::now() < end) {
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n > 0) {
        out.write(buf, n);
        out << "\n--\n";
        out.flush();
        if (std::string_view(buf, static_cast<size_t>(n)).find("MESSAGE=detector: ") !=
            std::string_view::npos) {
          break;
        }
      }
    }
    _exit(vigil.wait());
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "child failed; journal:\n" << read_text(got);

  const std::string journal = read_text(got);
  // One datagram per message, native protocol: KEY=value lines.
  EXPECT_NE(journal.find("MESSAGE=driver: ebpf attached (ring buffer 16 MiB)\nPRIORITY=6\n"
                         "SYSLOG_IDENTIFIER=vigil\nCOMPONENT=driver\n"),
            std::string::npos)
      << journal;
  EXPECT_NE(journal.find("MESSAGE=rules: 1 loaded\nPRIORITY=6\nSYSLOG_IDENTIFIER=vigil\n"
                         "COMPONENT=rules\n"),
            std::string::npos)
      << journal;
  EXPECT_NE(journal.find("COMPONENT=output\n"), std::string::npos) << journal;
}

}  // namespace
}  // namespace vigil::test
