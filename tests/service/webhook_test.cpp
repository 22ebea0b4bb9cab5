// The webhook output against a real nginx: one POST per alert with Falco's
// payload (what falcosidekick takes), over HTTP and HTTPS; a server that
// stops mid-run never stalls submit(), loses only what overflowed the queue
// (counted), and gets the rest once it is back; 5xx answers are retried,
// then counted as failed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemons.h"
#include "vigil/output.h"
#include "vigil/record_builder.h"

namespace vigil::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

OutputConfig webhook(const std::string& url) {
  OutputConfig c;
  c.kind = OutputKind::Webhook;
  c.name = "webhook";
  c.format = OutputFormat::Falco;
  c.url = url;
  c.timeout_ms = 2000;
  c.backoff_ms = 50;
  c.retries = 2;
  return c;
}

// Alerts rendered as the shards render them.
struct Alerts {
  BootClock clock;
  RenderContext ctx{"host-a", &clock};
  rules::Rule rule;
  Alerts() {
    rule.id = "reverse_shell";
    rule.description = "a shell talks to the network";
    rule.severity = rules::Severity::Critical;
    rule.tags = {"mitre.execution", "mitre.T1059.004"};
  }
  void emit(OutputSet& set, uint32_t pid) {
    ExecSpec s;
    s.task = make_task(pid, 1, "bash");
    s.ts_ns = 1'000'000'000;
    s.filename = "/bin/bash";
    s.exe = "/usr/bin/bash";
    s.argv = {"bash", "-i", "ünï"};
    s.cwd = "/";
    const auto rec = build_exec(s);
    set.alert(rule, EventView(rec.data()), {}, ctx);
  }
};

// The bodies nginx logged: "content-type<TAB>body" per line.
std::vector<json> bodies(const fs::path& log) {
  std::vector<json> out;
  for (const auto& line : read_lines(log)) {
    const auto tab = line.find('\t');
    EXPECT_EQ(line.substr(0, tab), "application/json");
    out.push_back(json::parse(line.substr(tab + 1)));
  }
  return out;
}

class Webhook : public ::testing::Test {
 protected:
  ScratchDir dir{"webhook"};
  Nginx nginx{dir.path()};
  Alerts alerts;
  std::string url(const std::string& path = "/alerts") const {
    return "http://127.0.0.1:" + std::to_string(nginx.port()) + path;
  }
};

TEST_F(Webhook, posts_each_alert_as_a_falco_payload) {
  auto set = OutputSet::open({webhook(url())});
  set->start();
  for (uint32_t pid = 1000; pid < 1020; ++pid) alerts.emit(*set, pid);
  set->close(seconds(10));
  EXPECT_EQ(set->counts().passed, 20u);

  ASSERT_TRUE(wait_until([&] { return read_lines(nginx.bodies_path()).size() >= 20; }));
  const auto got = bodies(nginx.bodies_path());
  ASSERT_EQ(got.size(), 20u);
  for (size_t i = 0; i < got.size(); ++i) {
    const json& b = got[i];
    // The fields falcosidekick's FalcoPayload decodes, with their types.
    EXPECT_TRUE(b["output"].is_string());
    EXPECT_EQ(b["priority"], "Critical");
    EXPECT_EQ(b["rule"], "reverse_shell");
    EXPECT_TRUE(b["time"].is_string());
    EXPECT_TRUE(b["output_fields"].is_object());
    EXPECT_EQ(b["source"], "syscall");
    EXPECT_EQ(b["tags"], json({"mitre.execution", "mitre.T1059.004"}));
    EXPECT_EQ(b["hostname"], "host-a");
    EXPECT_EQ(b["output_fields"]["proc.pid"], 1000 + i) << "in order";
    EXPECT_EQ(b["output_fields"]["proc.cmdline"], "bash -i ünï");
  }
}

TEST_F(Webhook, https_with_the_servers_ca_delivers_and_an_unknown_ca_fails) {
  OutputConfig good = webhook("https://127.0.0.1:" + std::to_string(nginx.tls_port()) + "/alerts");
  good.ca_file = nginx.cert_path().string();
  OutputConfig bad = good;
  bad.name = "untrusted";
  bad.ca_file = "";  // the system's CAs do not know the test's certificate
  auto set = OutputSet::open({good, bad});
  set->start();
  for (uint32_t pid = 1; pid <= 3; ++pid) alerts.emit(*set, pid);
  set->close(seconds(20));

  const OutputCounts g = set->outputs()[0]->counts();
  EXPECT_EQ(g.delivered, 3u);
  const OutputCounts b = set->outputs()[1]->counts();
  EXPECT_EQ(b.delivered, 0u);
  EXPECT_EQ(b.failed, 3u);
  EXPECT_EQ(b.retries, 6u) << "two retries per alert";
  ASSERT_TRUE(wait_until([&] { return read_lines(nginx.bodies_path()).size() >= 3; }));
  EXPECT_EQ(bodies(nginx.bodies_path()).size(), 3u);
}

TEST_F(Webhook, server_errors_are_retried_then_counted_failed) {
  auto set = OutputSet::open({webhook(url("/fail"))});
  set->start();
  alerts.emit(*set, 1);
  alerts.emit(*set, 2);
  set->close(seconds(10));
  const OutputCounts c = set->outputs()[0]->counts();
  EXPECT_EQ(c.delivered, 0u);
  EXPECT_EQ(c.failed, 2u);
  EXPECT_EQ(c.retries, 4u);
  ASSERT_TRUE(wait_until([&] { return read_lines(nginx.failed_path()).size() >= 6; }));
  EXPECT_EQ(read_lines(nginx.failed_path()).size(), 6u) << "three attempts per alert";
}

// The server stops mid-run: submit() keeps returning at once, the queue (50)
// holds what it can and the rest is dropped and counted; once the server is
// back, the held alerts arrive.
TEST_F(Webhook, server_stopped_mid_run_never_stalls_and_counts_what_overflowed) {
  OutputConfig cfg = webhook(url());
  cfg.queue = 50;
  auto set = OutputSet::open({cfg});
  set->start();
  const Output& out = *set->outputs()[0];
  for (uint32_t pid = 1; pid <= 10; ++pid) alerts.emit(*set, pid);
  ASSERT_TRUE(wait_until([&] { return out.counts().delivered == 10; }));

  nginx.stop();
  const auto t0 = std::chrono::steady_clock::now();
  for (uint32_t pid = 11; pid <= 1010; ++pid) alerts.emit(*set, pid);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(1)) << "submit never waits";
  ASSERT_TRUE(wait_until([&] { return out.counts().retries > 0; }));
  OutputCounts c = out.counts();
  EXPECT_EQ(c.received, 1010u);
  EXPECT_EQ(c.dropped, 1000u - 50u) << "all but what the queue holds";

  nginx.start();
  ASSERT_TRUE(wait_until([&] { return out.counts().queued == 0; }, seconds(30)));
  set->close(seconds(10));
  c = out.counts();
  EXPECT_EQ(c.received, c.delivered + c.dropped + c.failed);
  EXPECT_EQ(c.failed, 0u);
  EXPECT_GE(c.delivered, 10u + 50u);
  ASSERT_TRUE(wait_until([&] { return read_lines(nginx.bodies_path()).size() >= c.delivered; }));
  EXPECT_EQ(read_lines(nginx.bodies_path()).size(), c.delivered);
}

TEST_F(Webhook, dead_server_at_shutdown_is_bounded_by_the_deadline) {
  nginx.stop();
  auto set = OutputSet::open({webhook(url())});
  set->start();
  for (uint32_t pid = 1; pid <= 100; ++pid) alerts.emit(*set, pid);
  const auto t0 = std::chrono::steady_clock::now();
  set->close(milliseconds(500));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(3));
  const OutputCounts c = set->outputs()[0]->counts();
  EXPECT_EQ(c.delivered, 0u);
  EXPECT_EQ(c.dropped + c.failed, 100u);
}

}  // namespace
}  // namespace vigil::test
