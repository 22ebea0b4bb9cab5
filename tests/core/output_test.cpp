// Outputs to stdout and files: lines arrive whole and in order; files rotate
// by size and reopen on request; a stalled reader or a full disk drops and
// counts instead of blocking; close() honours its deadline.
#include "vigil/output.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(fs::temp_directory_path() /
              ("vigil-output-" + tag + "-" + std::to_string(getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    umount2(path_.c_str(), MNT_DETACH);
    fs::remove_all(path_);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

MessagePtr line(std::string text) {
  auto m = std::make_shared<Message>();
  m->json = std::move(text);
  return m;
}

std::string read_all(const fs::path& p) {
  std::stringstream ss;
  ss << std::ifstream(p).rdbuf();
  return ss.str();
}

OutputConfig file_output(const fs::path& path) {
  OutputConfig c;
  c.kind = OutputKind::File;
  c.name = "file";
  c.path = path.string();
  c.rotate_bytes = 0;
  return c;
}

void expect_balanced(const OutputCounts& c) {
  EXPECT_EQ(c.received, c.delivered + c.dropped + c.failed + c.queued)
      << "received=" << c.received << " delivered=" << c.delivered << " dropped=" << c.dropped
      << " failed=" << c.failed << " queued=" << c.queued;
}

TEST(FileOutput, writes_every_line_in_order) {
  TempDir dir("order");
  const auto path = dir.path() / "out.json";
  auto out = Output::open(file_output(path));
  out->start();
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(out->submit(line(std::to_string(i) + "\n")));
  out->close(seconds(10));
  const auto c = out->counts();
  EXPECT_EQ(c.received, 10000u);
  EXPECT_EQ(c.delivered, 10000u);
  EXPECT_EQ(c.dropped + c.failed, 0u);

  std::ifstream in(path);
  std::string l;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(std::getline(in, l));
    ASSERT_EQ(l, std::to_string(i));
  }
  EXPECT_FALSE(std::getline(in, l));
}

TEST(FileOutput, appends_to_an_existing_file) {
  TempDir dir("append");
  const auto path = dir.path() / "out.json";
  std::ofstream(path) << "before\n";
  {
    auto out = Output::open(file_output(path));
    out->start();
    out->submit(line("after\n"));
  }
  EXPECT_EQ(read_all(path), "before\nafter\n");
}

TEST(FileOutput, unopenable_path_is_an_error_naming_it) {
  try {
    OutputSet::open({file_output("/nonexistent-dir/out.json")});
    FAIL() << "expected an error";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/out.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'file'"), std::string::npos) << e.what();
  }
}

TEST(FileOutput, rotates_by_size_keeping_whole_lines_and_n_files) {
  TempDir dir("rotate");
  const auto path = dir.path() / "out.json";
  OutputConfig c = file_output(path);
  c.rotate_bytes = 1000;
  c.rotate_keep = 2;
  auto out = Output::open(c);
  out->start();
  const std::string l(99, 'x');  // 100 bytes with its newline
  for (int i = 0; i < 45; ++i) out->submit(line(l + "\n"));
  out->close(seconds(10));
  EXPECT_EQ(out->counts().delivered, 45u);

  // 45 lines of 100 bytes, 10 per file: out.json holds the last 5, .1 and .2
  // the 10 before each; the oldest were rotated away (keep = 2).
  EXPECT_EQ(fs::file_size(path), 500u);
  EXPECT_EQ(fs::file_size(dir.path() / "out.json.1"), 1000u);
  EXPECT_EQ(fs::file_size(dir.path() / "out.json.2"), 1000u);
  EXPECT_FALSE(fs::exists(dir.path() / "out.json.3"));
}

// logrotate's way: move the file, then SIGHUP; new lines go to a new file.
TEST(FileOutput, reopen_after_the_file_was_moved_writes_a_new_file) {
  TempDir dir("reopen");
  const auto path = dir.path() / "out.json";
  auto out = Output::open(file_output(path));
  out->start();
  out->submit(line("one\n"));
  for (int i = 0; i < 200 && out->counts().delivered < 1; ++i) usleep(10 * 1000);
  fs::rename(path, dir.path() / "moved.json");
  out->request_reopen();
  usleep(200 * 1000);  // the writer reopens on its next wake-up (50 ms at most)
  out->submit(line("two\n"));
  out->close(seconds(10));
  EXPECT_EQ(read_all(dir.path() / "moved.json"), "one\n");
  EXPECT_EQ(read_all(path), "two\n");
}

// A pipe nobody reads: the writer stalls, the queue fills, submit() must
// neither block nor lose count, and close() must return by its deadline.
TEST(StreamOutput, stalled_reader_never_blocks_submit_and_drops_are_counted) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  OutputConfig c = file_output("/proc/self/fd/" + std::to_string(fds[1]));
  c.queue = 100;
  auto out = Output::open(c);
  out->start();

  const std::string l(1000, 'x');
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5000; ++i) out->submit(line(l + "\n"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(2));

  const auto t1 = std::chrono::steady_clock::now();
  out->close(milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, seconds(2));
  const auto counts = out->counts();
  EXPECT_EQ(counts.received, 5000u);
  EXPECT_GT(counts.dropped, 4000u);
  EXPECT_EQ(counts.queued, 0u);
  expect_balanced(counts);
  close(fds[0]);
  close(fds[1]);
}

// Large alerts (an argv of invalid UTF-8 renders six bytes per byte) must
// not let a stalled output hold more than its byte bound, whatever the count.
TEST(StreamOutput, queued_bytes_are_bounded_not_just_alerts) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  OutputConfig c = file_output("/proc/self/fd/" + std::to_string(fds[1]));
  c.queue = 100000;
  c.queue_bytes = 1 << 20;
  auto out = Output::open(c);
  out->start();

  const std::string big(100 * 1024, 'x');
  for (int i = 0; i < 100; ++i) out->submit(line(big + "\n"));
  // Nobody reads the pipe: at most a pipe's worth was written, and at most
  // 1 MiB (ten alerts) waits; the rest was dropped at once.
  const auto mid = out->counts();
  EXPECT_LE(mid.queued, 11u);
  EXPECT_GE(mid.dropped, 88u);

  out->close(milliseconds(300));
  expect_balanced(out->counts());
  close(fds[0]);
  close(fds[1]);
}

// A 64 KiB tmpfs fills up: writes fail with ENOSPC, alerts are counted as
// failed, the file never holds half a line, and submit() never waits.
TEST(FileOutput, full_disk_fails_alerts_counted_and_keeps_lines_whole) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir dir("full");
  ASSERT_EQ(mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=64k"), 0) << strerror(errno);
  const auto path = dir.path() / "out.json";
  OutputConfig c = file_output(path);
  c.queue = 100000;
  auto out = Output::open(c);
  out->start();

  const std::string l(299, 'y');  // 300 bytes with the newline
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) out->submit(line(l + "\n"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(1));
  out->close(seconds(10));

  const auto counts = out->counts();
  EXPECT_EQ(counts.received, 1000u);
  EXPECT_GT(counts.delivered, 100u);  // 64 KiB hold about 218 lines
  EXPECT_GT(counts.failed, 500u);
  expect_balanced(counts);
  const std::string text = read_all(path);
  EXPECT_EQ(text.size(), counts.delivered * 300) << "only whole lines, one per delivered alert";
  EXPECT_EQ(text.back(), '\n');
}

TEST(OutputSet, every_output_gets_each_line_and_counts_add_up) {
  TempDir dir("set");
  OutputConfig a = file_output(dir.path() / "a.json");
  OutputConfig b = file_output(dir.path() / "b.json");
  b.name = "b";
  auto set = OutputSet::open({a, b});
  set->start();
  for (int i = 0; i < 100; ++i) set->submit("x\n");
  set->close(seconds(10));
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "x\n";
  EXPECT_EQ(read_all(dir.path() / "a.json"), expected);
  EXPECT_EQ(read_all(dir.path() / "b.json"), read_all(dir.path() / "a.json"));
  const StageCounts total = set->counts();
  EXPECT_EQ(total.received, 200u);
  EXPECT_EQ(total.passed, 200u);
  EXPECT_EQ(total.dropped, 0u);
}

// Accepts nothing until closed.
class StuckTransport : public Transport {
 public:
  size_t deliver(std::span<const MessagePtr>, WriterContext& ctx) override {
    while (ctx.wait(milliseconds(20))) {
    }
    return 0;
  }
};

TEST(OutputSet, when_every_queue_is_full_alerts_are_counted_dropped_without_waiting) {
  OutputConfig c;
  c.queue = 1;
  std::vector<std::unique_ptr<Output>> outs;
  outs.push_back(std::make_unique<Output>(c, std::make_unique<StuckTransport>()));
  OutputSet set(std::move(outs));
  set.start();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) set.submit("x\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(1));
  set.close(milliseconds(100));
  const OutputCounts counts = set.outputs()[0]->counts();
  EXPECT_EQ(counts.received, 10000u);
  EXPECT_GE(counts.dropped, 9999u - 1);
  expect_balanced(counts);
}

TEST(Rfc5424, header_fields_and_micro_second_time) {
  // 2026-12-03T16:07:43.123456789Z
  const int64_t t = 1796314063123456789;
  const std::string m =
      format_rfc5424(16, 3, t, "host-a", "vigil", 42, "alert", "{\"rule\":\"r\"}\n");
  EXPECT_EQ(m, "<131>1 2026-12-03T16:07:43.123456Z host-a vigil 42 alert - {\"rule\":\"r\"}");
}

}  // namespace
}  // namespace vigil
