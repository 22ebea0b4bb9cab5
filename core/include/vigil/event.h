// Typed, bounds-checked access to event ABI records (core/abi/vigil_event.h).
//
// Records come from the kernel (bpf/, kmod/) or from capture files; either may
// be damaged, so every record is validated once, by validate_record(), before
// any other code looks inside it. After that, the accessors here are plain
// loads: they never fail and never read past the record.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "vigil_event.h"

namespace vigil {

enum class Kind : uint16_t {
  Exec = VIGIL_KIND_EXEC,
  Fork = VIGIL_KIND_FORK,
  Exit = VIGIL_KIND_EXIT,
};

inline constexpr size_t kKindCount = VIGIL_KIND_MAX;
static_assert(kKindCount <= 64, "kind masks are 64 bits");

//! Bit of a kind in a kind mask.
constexpr uint64_t kind_bit(uint16_t kind) {
  return uint64_t{1} << kind;
}
//! Every kind.
inline constexpr uint64_t kAllKinds = ((uint64_t{1} << kKindCount) - 1) & ~uint64_t{1};

//! The body struct a kind's records have.
enum class Family : uint8_t {
  None,        //!< not a known kind
  Exec,        //!< vigil_exec
  Fork,        //!< vigil_fork
  Exit,        //!< vigil_exit
  ExecFailed,  //!< vigil_exec_failed
  File,        //!< vigil_file
  Net,         //!< vigil_net
  Priv,        //!< vigil_priv
};
Family kind_family(uint16_t kind);

//! Lowercase name of a kind ("exec"), or "unknown".
std::string_view kind_name(uint16_t kind);
//! Kind for a name, or 0 when there is none.
uint16_t kind_from_name(std::string_view name);
//! Name of a system call (enum vigil_sys): "openat"; "" for none.
std::string_view syscall_name(uint16_t sys);

enum class RecordError : uint8_t {
  None,
  Truncated,  //!< fewer bytes than the header or its size field says
  BadSize,    //!< size not a multiple of 8, too small for its kind, or over VIGIL_RECORD_MAX
  BadKind,    //!< unknown kind
  BadString,  //!< a string descriptor points outside the record
};

std::string_view record_error_name(RecordError e);

//! Checks that `bytes` starts with one whole, well-formed record. On success
//! the record's size is hdr->size (<= bytes.size()). Thread-safe, never throws.
RecordError validate_record(std::span<const std::byte> bytes);

//! A validated record. Cheap to copy; does not own the bytes.
class EventView {
 public:
  explicit EventView(const std::byte* record) : p_(record) {}

  const vigil_hdr& hdr() const { return *reinterpret_cast<const vigil_hdr*>(p_); }
  uint16_t kind() const { return hdr().kind; }
  uint32_t size() const { return hdr().size; }
  const std::byte* data() const { return p_; }

  //! The task context; every kind carries one right after the header.
  const vigil_task& task() const {
    return *reinterpret_cast<const vigil_task*>(p_ + sizeof(vigil_hdr));
  }

  template <class Body>
  const Body& as() const {
    return *reinterpret_cast<const Body*>(p_);
  }

  //! Bytes of a string field of this record (validated on entry).
  std::string_view str(const vigil_str& s) const {
    return {reinterpret_cast<const char*>(p_) + s.off, s.len};
  }

 private:
  const std::byte* p_;
};

//! Iterates the NUL-terminated arguments of an exec record's args field. The
//! last argument may lack its terminator when argv was cut.
class ArgIterator {
 public:
  explicit ArgIterator(std::string_view args) : rest_(args) {}
  bool next(std::string_view& arg) {
    if (rest_.empty()) return false;
    const size_t nul = rest_.find('\0');
    if (nul == std::string_view::npos) {
      arg = rest_;
      rest_ = {};
    } else {
      arg = rest_.substr(0, nul);
      rest_.remove_prefix(nul + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
};

//! Converts the kernel's boot-clock timestamps to wall-clock time. The offset
//! between the clocks is sampled at construction and again by refresh() (the
//! wall clock can be stepped). Thread-safe.
class BootClock {
 public:
  BootClock() { refresh(); }
  void refresh();
  //! Nanoseconds since the Unix epoch for a CLOCK_BOOTTIME value.
  int64_t to_realtime_ns(uint64_t boot_ns) const {
    // Relaxed: the offset is a lone value, nothing is published with it.
    return static_cast<int64_t>(boot_ns) + offset_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> offset_{0};
};

}  // namespace vigil
