#include "vigil/event.h"

#include <ctime>

namespace vigil {
namespace {

constexpr std::string_view kKindNames[kKindCount] = {"none", "exec", "fork", "exit"};

// Smallest valid size of each kind: its fixed part, rounded up to 8.
constexpr uint32_t fixed_size(uint16_t kind) {
  switch (kind) {
    case VIGIL_KIND_EXEC:
      return (sizeof(vigil_exec) + 7) & ~7u;
    case VIGIL_KIND_FORK:
      return sizeof(vigil_fork);
    case VIGIL_KIND_EXIT:
      return sizeof(vigil_exit);
    default:
      return 0;
  }
}

bool string_fits(const vigil_str& s, uint32_t fixed, uint32_t size) {
  return s.len == 0 || (s.off >= fixed && uint32_t{s.off} + s.len <= size);
}

}  // namespace

std::string_view kind_name(uint16_t kind) {
  return kind > 0 && kind < kKindCount ? kKindNames[kind] : "unknown";
}

uint16_t kind_from_name(std::string_view name) {
  for (uint16_t k = 1; k < kKindCount; ++k) {
    if (kKindNames[k] == name) return k;
  }
  return 0;
}

std::string_view record_error_name(RecordError e) {
  switch (e) {
    case RecordError::None:
      return "none";
    case RecordError::Truncated:
      return "truncated record";
    case RecordError::BadSize:
      return "bad record size";
    case RecordError::BadKind:
      return "unknown record kind";
    case RecordError::BadString:
      return "string outside its record";
  }
  return "unknown";
}

RecordError validate_record(std::span<const std::byte> bytes) {
  if (bytes.size() < sizeof(vigil_hdr)) return RecordError::Truncated;
  vigil_hdr hdr;
  std::memcpy(&hdr, bytes.data(), sizeof(hdr));

  const uint32_t fixed = fixed_size(hdr.kind);
  if (fixed == 0) return RecordError::BadKind;
  if (hdr.size % 8 != 0 || hdr.size < fixed || hdr.size > VIGIL_RECORD_MAX) {
    return RecordError::BadSize;
  }
  if (hdr.size > bytes.size()) return RecordError::Truncated;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) != 0) {
    return RecordError::BadSize;
  }

  if (hdr.kind == VIGIL_KIND_EXEC) {
    const auto& e = *reinterpret_cast<const vigil_exec*>(bytes.data());
    for (const vigil_str* s : {&e.filename, &e.exe, &e.args, &e.cwd}) {
      if (!string_fits(*s, sizeof(vigil_exec), hdr.size)) return RecordError::BadString;
    }
  }
  return RecordError::None;
}

void BootClock::refresh() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  offset_.store((real.tv_sec - boot.tv_sec) * 1'000'000'000LL + (real.tv_nsec - boot.tv_nsec),
                std::memory_order_relaxed);
}

}  // namespace vigil
