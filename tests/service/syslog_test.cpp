// The syslog output against a real rsyslogd: RFC 5424 over its unix socket
// and over TCP with octet-counting, every field parsed by rsyslog as sent,
// long and non-ASCII messages intact, and a receiver that goes away and
// comes back loses nothing that fit in the queue.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemons.h"
#include "vigil/output.h"

namespace vigil::test {
namespace {

using nlohmann::json;
using std::chrono::seconds;

MessagePtr alert(int i, size_t pad = 0, uint8_t severity = 3) {
  auto m = std::make_shared<Message>();
  m->json = json({{"rule", "r" + std::to_string(i)},
                  {"n", i},
                  {"text", "ünï ✓"},
                  {"pad", std::string(pad, 'p')}})
                .dump() +
            "\n";
  m->time_ns = 1796314063123456789 + i;
  m->severity = severity;
  m->alert = true;
  return m;
}

OutputConfig syslog_output(const std::string& address) {
  OutputConfig c;
  c.kind = OutputKind::Syslog;
  c.name = "syslog";
  c.address = address;
  c.facility = 10;  // authpriv
  c.backoff_ms = 50;
  return c;
}

struct Received {
  int facility = -1, severity = -1;
  std::string host, app, procid, msgid, time;
  json msg;
};

std::vector<Received> received(const fs::path& out) {
  std::vector<Received> all;
  for (const std::string& line : read_lines(out)) {
    Received r;
    std::vector<std::string> f;
    size_t start = 0;
    for (int i = 0; i < 7; ++i) {
      const size_t bar = line.find('|', start);
      f.push_back(line.substr(start, bar - start));
      start = bar + 1;
    }
    r.facility = std::stoi(f[0]);
    r.severity = std::stoi(f[1]);
    r.host = f[2];
    r.app = f[3];
    r.procid = f[4];
    r.msgid = f[5];
    r.time = f[6];
    r.msg = json::parse(line.substr(start));
    all.push_back(std::move(r));
  }
  return all;
}

void expect_all_delivered(const fs::path& out, int n, size_t pad) {
  ASSERT_TRUE(wait_until([&] { return static_cast<int>(read_lines(out).size()) >= n; }))
      << read_file(out);
  const auto got = received(out);
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  for (int i = 0; i < n; ++i) {
    const Received& r = got[i];
    EXPECT_EQ(r.facility, 10);
    EXPECT_EQ(r.severity, 3);
    EXPECT_EQ(r.host, host);
    EXPECT_EQ(r.app, "vigil");
    EXPECT_EQ(r.procid, std::to_string(getpid()));
    EXPECT_EQ(r.msgid, "alert");
    EXPECT_TRUE(r.time.starts_with("2026-12-03T16:07:43.12345")) << r.time;
    EXPECT_EQ(r.msg["n"], i) << "in order";
    EXPECT_EQ(r.msg["text"], "ünï ✓");
    EXPECT_EQ(r.msg["pad"].get<std::string>().size(), pad);
  }
}

class Syslog : public ::testing::Test {
 protected:
  ScratchDir dir{"syslog"};
  Rsyslogd rsyslogd{dir.path()};
};

TEST_F(Syslog, unix_socket_delivers_rfc5424_that_rsyslog_parses) {
  auto out = Output::open(syslog_output("unix:" + rsyslogd.socket_path().string()));
  out->start();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(out->submit(alert(i, i == 7 ? 20000 : 0)));
  out->close(seconds(10));
  EXPECT_EQ(out->counts().delivered, 50u);

  ASSERT_TRUE(wait_until([&] { return read_lines(rsyslogd.out_path()).size() >= 50; }));
  const auto got = received(rsyslogd.out_path());
  ASSERT_EQ(got.size(), 50u);
  EXPECT_EQ(got[7].msg["pad"].get<std::string>().size(), 20000u) << "a 20 KB alert, whole";
  EXPECT_EQ(got[0].severity, 3);
  EXPECT_EQ(got[0].msgid, "alert");
  EXPECT_EQ(got[49].msg["n"], 49);
}

TEST_F(Syslog, tcp_octet_counting_delivers_every_message_in_order) {
  auto out = Output::open(syslog_output("tcp:127.0.0.1:" + std::to_string(rsyslogd.port())));
  out->start();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(out->submit(alert(i, 3000)));
  out->close(seconds(10));
  EXPECT_EQ(out->counts().delivered, 200u);
  expect_all_delivered(rsyslogd.out_path(), 200, 3000);
}

// The receiver is down for a while: the output holds what it has, retries
// with backoff, and delivers everything once rsyslogd is back; submit()
// never waits meanwhile.
TEST_F(Syslog, tcp_receiver_down_then_back_loses_nothing_the_queue_held) {
  auto out = Output::open(syslog_output("tcp:127.0.0.1:" + std::to_string(rsyslogd.port())));
  out->start();
  for (int i = 0; i < 10; ++i) out->submit(alert(i));
  ASSERT_TRUE(wait_until([&] { return out->counts().delivered == 10; }));

  rsyslogd.stop();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 10; i < 60; ++i) ASSERT_TRUE(out->submit(alert(i)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(1));
  ASSERT_TRUE(wait_until([&] { return out->counts().retries > 0; }));
  EXPECT_LT(out->counts().delivered, 60u);

  rsyslogd.start();
  ASSERT_TRUE(wait_until([&] { return out->counts().delivered >= 60; }, seconds(20)))
      << out->counts().delivered;
  out->close(seconds(10));
  const OutputCounts c = out->counts();
  EXPECT_EQ(c.received, 60u);
  EXPECT_EQ(c.dropped + c.failed, 0u);

  // The first connection may have taken one message into its socket buffer
  // before the reset was seen; every one of the 50 sent while down arrives.
  ASSERT_TRUE(wait_until([&] { return read_lines(rsyslogd.out_path()).size() >= 60; }));
  std::set<int> seen;
  for (const auto& r : received(rsyslogd.out_path())) seen.insert(r.msg["n"].get<int>());
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(seen.count(i)) << "message " << i << " lost";
}

TEST_F(Syslog, dead_socket_with_a_full_queue_drops_and_counts_and_close_is_bounded) {
  rsyslogd.stop();
  OutputConfig cfg = syslog_output("unix:" + rsyslogd.socket_path().string());
  cfg.queue = 20;
  auto out = Output::open(cfg);
  out->start();
  for (int i = 0; i < 500; ++i) out->submit(alert(i));
  const auto t0 = std::chrono::steady_clock::now();
  out->close(std::chrono::milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(2));
  const OutputCounts c = out->counts();
  EXPECT_EQ(c.received, 500u);
  EXPECT_EQ(c.delivered, 0u);
  EXPECT_EQ(c.dropped + c.failed, 500u);
  EXPECT_GE(c.dropped, 480u);
}

}  // namespace
}  // namespace vigil::test
