// What Vigil knows about every live process: its parent and what it runs.
//
// One writer (the reader thread, through Pipeline::push, in the drivers'
// order) and many readers (the shards). Each entry points at an immutable
// ProcessImage shared with every entry that runs the same image: a fork
// shares its parent's, an exec makes a new one. Readers copy an entry out
// under a stripe lock and keep the image alive through its shared_ptr.
//
// Exited processes stay for a grace period so that events still in flight
// for them, and their children's parent lookups, resolve.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "vigil/counters.h"
#include "vigil/event.h"

namespace vigil {

//! The process name an exec gives: the base name of the file the caller
//! passed, or of the executable when it ran through a descriptor
//! (/dev/fd/N, /proc/{self,thread-self,PID}/fd/N) or passed no name.
std::string_view exec_name(std::string_view filename, std::string_view exe);

//! Arguments as the kernel holds them ("a\0b\0") joined by single spaces ("a b").
std::string join_args(std::string_view args);

//! What a process runs, from its exec (or from /proc for processes that
//! predate the sensor). Immutable once published.
struct ProcessImage {
  std::string exe;      //!< resolved path of the executable
  std::string name;     //!< base name of the file passed to exec
  std::string args;     //!< argv, each argument NUL-terminated (as the kernel holds it)
  std::string cmdline;  //!< argv joined by single spaces
  std::string cwd;      //!< working directory at exec
  uint32_t argc = 0;    //!< exact argument count, even when args was cut
  bool args_truncated = false;

  //! Builds an image from an exec record.
  static std::shared_ptr<const ProcessImage> from_exec(const EventView& ev);
};

struct ProcessInfo {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint64_t start_ns = 0;  //!< CLOCK_BOOTTIME; with pid, names one process
  uint32_t uid = 0;
  uint64_t exit_ns = 0;                       //!< CLOCK_BOOTTIME of its exit; 0 while alive
  std::shared_ptr<const ProcessImage> image;  //!< null when nothing is known
};

class ProcessTable {
 public:
  //! Nanoseconds an exited process stays in the table.
  static constexpr uint64_t kExitGraceNs = 10'000'000'000ull;

  //! Whether apply() wants records of this kind.
  static bool tracks(uint16_t kind) {
    return kind == VIGIL_KIND_EXEC || kind == VIGIL_KIND_FORK || kind == VIGIL_KIND_EXIT;
  }

  //! Writer only. Applies a fork, exec or exit record; ignores other kinds.
  void apply(const EventView& ev);

  //! Writer only. Adds every process in `proc_root` (a /proc mount) not
  //! already known; returns how many were added. Entries added by events win
  //! over what /proc says.
  size_t seed_from_proc(const std::string& proc_root = "/proc");

  //! Writer only. Drops processes that exited more than kExitGraceNs before
  //! `now_ns` (CLOCK_BOOTTIME); returns how many.
  size_t expire(uint64_t now_ns);

  //! Any thread. Copies the entry for `pid` into `out`; false if unknown.
  bool lookup(uint32_t pid, ProcessInfo& out) const;

  //! Any thread. Entries, exited ones included.
  size_t size() const;

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    mutable std::mutex mu;
    std::unordered_map<uint32_t, ProcessInfo> map;
  };

  Stripe& stripe(uint32_t pid) { return stripes_[pid % kStripes]; }
  const Stripe& stripe(uint32_t pid) const { return stripes_[pid % kStripes]; }
  void put(ProcessInfo info);

  std::array<Stripe, kStripes> stripes_;
};

}  // namespace vigil
