// Builds event ABI records in userspace, exactly as a driver would lay them
// out: for tests, benchmarks and synthetic capture files. Not for the hot
// path of the sensor itself.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "vigil_event.h"

namespace vigil {

//! Bytes of one record, 8-byte aligned.
class RecordBuffer {
 public:
  const std::byte* data() const { return reinterpret_cast<const std::byte*>(words_.data()); }
  std::byte* data() { return reinterpret_cast<std::byte*>(words_.data()); }
  size_t size() const { return size_; }
  void resize(size_t n) {
    words_.assign((n + 7) / 8, 0);
    size_ = n;
  }

 private:
  std::vector<uint64_t> words_;
  size_t size_ = 0;
};

//! A task context with plausible defaults; tests override what they need.
inline vigil_task make_task(uint32_t pid, uint32_t ppid, std::string_view comm = "test") {
  vigil_task t{};
  t.pid = pid;
  t.tid = pid;
  t.ppid = ppid;
  t.ns_pid = pid;
  t.start_ns = uint64_t{pid} * 1000;
  t.parent_start_ns = uint64_t{ppid} * 1000;
  t.auid = 0xffffffffu;
  t.sessionid = 0xffffffffu;
  std::memcpy(t.comm, comm.data(), std::min(comm.size(), sizeof(t.comm) - 1));
  return t;
}

struct ExecSpec {
  vigil_task task{};
  uint64_t ts_ns = 0;
  std::string filename;
  std::string exe;
  std::vector<std::string> argv;
  std::string cwd;
  uint32_t flags = 0;
  //! When set, used as the raw args bytes instead of argv (NUL-separated).
  std::string raw_args;
  bool use_raw_args = false;
};

//! Lays out an exec record with its strings after the fixed part.
inline RecordBuffer build_exec(const ExecSpec& spec) {
  std::string args = spec.raw_args;
  if (!spec.use_raw_args) {
    args.clear();
    for (const auto& a : spec.argv) {
      args += a;
      args.push_back('\0');
    }
  }
  const size_t fixed = sizeof(vigil_exec);
  const size_t total =
      fixed + spec.filename.size() + spec.exe.size() + args.size() + spec.cwd.size();
  RecordBuffer buf;
  buf.resize((total + 7) & ~size_t{7});

  vigil_exec e{};
  e.hdr.size = static_cast<uint32_t>(buf.size());
  e.hdr.kind = VIGIL_KIND_EXEC;
  e.hdr.ts_ns = spec.ts_ns;
  e.task = spec.task;
  e.argc = static_cast<uint32_t>(spec.argv.size());
  e.flags = spec.flags;
  e.old_pid = spec.task.tid;

  size_t off = fixed;
  auto put = [&](vigil_str& s, const std::string& v) {
    s.off = static_cast<uint16_t>(off);
    s.len = static_cast<uint16_t>(v.size());
    std::memcpy(buf.data() + off, v.data(), v.size());
    off += v.size();
  };
  put(e.args, args);
  put(e.filename, spec.filename);
  put(e.exe, spec.exe);
  put(e.cwd, spec.cwd);
  std::memcpy(buf.data(), &e, sizeof(e));
  return buf;
}

inline RecordBuffer build_fork(const vigil_task& child, uint32_t creator_pid, bool thread,
                               uint64_t ts_ns = 0) {
  vigil_fork f{};
  f.hdr.size = sizeof(f);
  f.hdr.kind = VIGIL_KIND_FORK;
  f.hdr.ts_ns = ts_ns;
  f.task = child;
  f.creator_pid = creator_pid;
  f.creator_tid = creator_pid;
  f.flags = thread ? VIGIL_FORK_THREAD : 0;
  RecordBuffer buf;
  buf.resize(sizeof(f));
  std::memcpy(buf.data(), &f, sizeof(f));
  return buf;
}

inline RecordBuffer build_exit(const vigil_task& task, uint32_t status, uint64_t ts_ns = 0,
                               bool thread = false) {
  vigil_exit x{};
  x.hdr.size = sizeof(x);
  x.hdr.kind = VIGIL_KIND_EXIT;
  x.hdr.ts_ns = ts_ns;
  x.task = task;
  x.status = status;
  x.flags = thread ? VIGIL_EXIT_THREAD : 0;
  RecordBuffer buf;
  buf.resize(sizeof(x));
  std::memcpy(buf.data(), &x, sizeof(x));
  return buf;
}

}  // namespace vigil
