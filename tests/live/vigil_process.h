// Test-only: runs the real `vigil` binary as a child, waits until its
// programs are attached, stops it with SIGTERM and hands back what it wrote.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace vigil::test {

namespace fs = std::filesystem;

//! A scratch directory removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = fs::temp_directory_path() / ("vigil-" + tag + "-" + std::to_string(getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string vigil_binary() {
  return std::string(VIGIL_BINARY_DIR) + "/vigil";
}

class VigilProcess {
 public:
  //! Starts `vigil <args...>`; its stderr is collected.
  explicit VigilProcess(std::vector<std::string> args) {
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], STDERR_FILENO);
    args.insert(args.begin(), vigil_binary());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(err_pipe[1]);
    if (rc != 0) throw std::runtime_error("cannot spawn " + args[0]);
    reader_ = std::thread([this, fd = err_pipe[0]] { collect(fd); });
  }

  ~VigilProcess() {
    if (pid_ > 0 && status_ < 0) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (reader_.joinable()) reader_.join();
  }

  //! Waits until stderr shows `marker` (the pipeline started); false on
  //! timeout or if vigil exited first.
  bool wait_for(const std::string& marker,
                std::chrono::seconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return stderr_.find(marker) != std::string::npos || eof_;
    }) && stderr_.find(marker) != std::string::npos;
  }

  bool wait_ready() { return wait_for("pipeline: "); }

  //! Sends SIGTERM and returns the exit status.
  int stop() {
    kill(pid_, SIGTERM);
    return wait();
  }

  //! Waits for exit; returns the exit code, or 128 + signal.
  int wait() {
    if (status_ >= 0) return status_;
    int st = 0;
    waitpid(pid_, &st, 0);
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (reader_.joinable()) reader_.join();
    return status_;
  }

  std::string err() {
    std::lock_guard lock(mu_);
    return stderr_;
  }

  pid_t pid() const { return pid_; }

 private:
  void collect(int fd) {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      std::lock_guard lock(mu_);
      stderr_.append(buf, static_cast<size_t>(n));
      cv_.notify_all();
    }
    close(fd);
    std::lock_guard lock(mu_);
    eof_ = true;
    cv_.notify_all();
  }

  pid_t pid_ = -1;
  int status_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string stderr_;
  bool eof_ = false;
};

//! Runs argv[0] (a path) with `argv` from directory `cwd`; returns its pid
//! after it exited, and its wait status in `status`.
inline pid_t run_child(const std::vector<std::string>& argv, const fs::path& cwd,
                       int* status = nullptr) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (status) *status = st;
  return pid;
}

//! Parses one line of Vigil's JSON, which may hold \udcXX escapes for raw
//! bytes (vigil/json.h) that nlohmann::json rejects: they are read as the
//! private-use characters U+E080..U+E0FF instead, which bytes() turns back
//! into the raw bytes. Test input must not use those characters itself.
inline nlohmann::json parse_line(std::string line) {
  for (size_t i = line.find("\\udc"); i != std::string::npos; i = line.find("\\udc", i + 1)) {
    size_t slashes = 0;
    for (size_t k = i; k > 0 && line[k - 1] == '\\'; --k) ++slashes;
    if (slashes % 2 == 0) line.replace(i, 4, "\\ue0");
  }
  return nlohmann::json::parse(line);
}

//! The bytes of a JSON string parsed by parse_line().
inline std::string bytes(const nlohmann::json& j) {
  const std::string s = j.get<std::string>();
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    // U+E080..U+E0FF is EE 82 80 .. EE 83 BF in UTF-8.
    if (c == 0xee && i + 2 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xfe) == 0x82) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]);
      const auto b2 = static_cast<unsigned char>(s[i + 2]);
      out.push_back(static_cast<char>(((b1 & 0x01) << 6) | (b2 & 0x3f) | 0x80));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

//! Every JSON line of a file, read with parse_line().
inline std::vector<nlohmann::json> read_json_lines(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(parse_line(line));
  }
  return out;
}

//! Runs `fn` in a forked child, which then exits with fn's return value;
//! returns the child's pid once it has exited, its wait status in `status`.
template <class Fn>
pid_t run_in_child(Fn&& fn, int* status = nullptr) {
  const pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int st = 0;
  waitpid(pid, &st, 0);
  if (status) *status = st;
  return pid;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace vigil::test

namespace vigil::test {

//! `vigil trace --kinds <kinds>` writing to a scratch file: started and
//! attached on construction; stop() ends it and returns its lines.
class Trace {
 public:
  explicit Trace(const std::string& kinds, const std::vector<std::string>& extra = {})
      : dir_("trace-" + kinds.substr(0, kinds.find(','))),
        out_(dir_.path() / "events.json"),
        vigil_(args(kinds, extra)) {}

  bool ready() { return vigil_.wait_ready(); }
  std::string err() { return vigil_.err(); }
  const fs::path& dir() const { return dir_.path(); }

  //! Lets the reader catch up, stops vigil and returns every line it wrote.
  std::vector<nlohmann::json> stop() {
    usleep(300 * 1000);
    status_ = vigil_.stop();
    return read_json_lines(out_);
  }
  int status() const { return status_; }

 private:
  std::vector<std::string> args(const std::string& kinds, const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"trace", "--kinds", kinds, "--output", out_.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  TempDir dir_;
  fs::path out_;
  VigilProcess vigil_;
  int status_ = -1;
};

//! The events of `kind` whose process is `pid`.
inline std::vector<nlohmann::json> events_of(const std::vector<nlohmann::json>& lines, pid_t pid,
                                             const std::string& kind) {
  std::vector<nlohmann::json> out;
  for (const auto& j : lines) {
    if (j["proc"]["pid"] == pid && j["event"]["kind"] == kind) out.push_back(j);
  }
  return out;
}

}  // namespace vigil::test
