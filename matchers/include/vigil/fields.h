// The fields rules can test, and the values an event offers for them.
//
// One vocabulary everywhere: the names below are the names in rule files, in
// alert JSON and in code. A field is a string (one value) or a list (several
// values held as one buffer of NUL-terminated items, the way the kernel holds
// argv; the last item may lack its terminator).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil::rules {

enum class FieldType : uint8_t {
  String,  //!< one value
  List,    //!< NUL-separated values; tests apply to any one of them
};

enum class FieldId : uint8_t {
  ProcExe,         //!< proc.exe: resolved path of the executable
  ProcName,        //!< proc.name: base name of the file the caller passed to exec
  ProcArgs,        //!< proc.args: the arguments, argv[0] included
  ProcCmdline,     //!< proc.cmdline: the arguments joined by single spaces
  ProcCwd,         //!< proc.cwd: working directory at exec
  ParentExe,       //!< parent.exe
  ParentName,      //!< parent.name
  ParentCmdline,   //!< parent.cmdline
  FilePath,        //!< file.path: absolute path of the file acted on (exec_failed: the one tried)
  FileRequested,   //!< file.requested: that path as the caller passed it
  FilePath2,       //!< file.path2: rename's and link's new name, mount's source
  FileRequested2,  //!< file.requested2: that as passed; symlink's target
  FileFstype,      //!< file.fstype: mount's file system type
  NetSaddr,        //!< net.saddr: local address as text ("10.0.0.1", "::1")
  NetDaddr,        //!< net.daddr: remote address as text
  NetUnixPath,     //!< net.unix_path: unix socket path; abstract names as "@name"
  PrivName,        //!< priv.name: PR_SET_NAME's name, a module's, a BPF program's or map's
  Count,
};

inline constexpr size_t kFieldCount = static_cast<size_t>(FieldId::Count);

struct FieldInfo {
  FieldId id;
  std::string_view name;
  FieldType type;
};

//! Every field, in FieldId order.
const std::array<FieldInfo, kFieldCount>& all_fields();
//! The field with that name, if any.
std::optional<FieldId> field_by_name(std::string_view name);
inline std::string_view field_name(FieldId f) {
  return all_fields()[static_cast<size_t>(f)].name;
}

//! What one event offers the matcher: its kind and the value of each field it
//! has. Views only: whoever fills it keeps the bytes alive during match().
struct EventFields {
  uint16_t kind = 0;  //!< enum vigil_kind
  std::array<std::string_view, kFieldCount> value{};
  uint32_t present = 0;  //!< bit (1 << FieldId) set when the event has the field

  void set(FieldId f, std::string_view v) {
    value[static_cast<size_t>(f)] = v;
    present |= 1u << static_cast<unsigned>(f);
  }
  bool has(FieldId f) const { return present & (1u << static_cast<unsigned>(f)); }
  std::string_view get(FieldId f) const { return value[static_cast<size_t>(f)]; }
};

static_assert(kFieldCount <= 32, "EventFields::present is 32 bits");

}  // namespace vigil::rules
