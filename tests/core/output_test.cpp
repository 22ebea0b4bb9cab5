// The line sink: lines arrive whole and in order; a full queue or a stalled
// reader drops and counts instead of blocking; close() honours its deadline.
#include "vigil/sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil {
namespace {

namespace fs = std::filesystem;

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("vigil-sink-" + std::to_string(getpid()) + "-" + name);
}

TEST(LineSink, writes_every_line_in_order_to_a_file) {
  const auto path = temp_file("order");
  fs::remove(path);
  {
    auto sink = LineSink::open(path.string());
    for (int i = 0; i < 10000; ++i) ASSERT_TRUE(sink->submit(std::to_string(i) + "\n"));
    sink->close(std::chrono::seconds(10));
    const auto c = sink->counts();
    EXPECT_EQ(c.received, 10000u);
    EXPECT_EQ(c.passed, 10000u);
    EXPECT_EQ(c.dropped, 0u);
  }
  std::ifstream in(path);
  std::string line;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(std::getline(in, line));
    ASSERT_EQ(line, std::to_string(i));
  }
  EXPECT_FALSE(std::getline(in, line));
  fs::remove(path);
}

TEST(LineSink, appends_to_an_existing_file) {
  const auto path = temp_file("append");
  std::ofstream(path) << "before\n";
  {
    auto sink = LineSink::open(path.string());
    sink->submit("after\n");
  }
  std::stringstream all;
  all << std::ifstream(path).rdbuf();
  EXPECT_EQ(all.str(), "before\nafter\n");
  fs::remove(path);
}

TEST(LineSink, unopenable_path_is_an_error_naming_it) {
  try {
    LineSink::open("/nonexistent-dir/out.json");
    FAIL() << "expected an error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/out.json"), std::string::npos);
  }
}

// A pipe nobody reads: the writer stalls, the queue fills, submit() must
// neither block nor lose count, and close() must return by its deadline.
TEST(LineSink, stalled_reader_never_blocks_submit_and_drops_are_counted) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const std::string path = "/proc/self/fd/" + std::to_string(fds[1]);
  LineSink::Options opts;
  opts.max_queued = 100;
  auto sink = LineSink::open(path, opts);

  const std::string line(1000, 'x');
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5000; ++i) sink->submit(line + "\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));

  const auto t1 = std::chrono::steady_clock::now();
  sink->close(std::chrono::milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(2));

  const auto c = sink->counts();
  EXPECT_EQ(c.received, 5000u);
  EXPECT_GT(c.dropped, 0u);
  EXPECT_EQ(c.passed + c.dropped, 5000u);
  close(fds[0]);
  close(fds[1]);
}

TEST(LineSink, closed_reader_counts_lines_as_dropped) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  close(fds[0]);
  signal(SIGPIPE, SIG_IGN);
  auto sink = LineSink::open("/proc/self/fd/" + std::to_string(fds[1]));
  for (int i = 0; i < 10; ++i) sink->submit("gone\n");
  sink->close(std::chrono::seconds(1));
  const auto c = sink->counts();
  EXPECT_EQ(c.passed, 0u);
  EXPECT_EQ(c.dropped, 10u);
  close(fds[1]);
}

}  // namespace
}  // namespace vigil
