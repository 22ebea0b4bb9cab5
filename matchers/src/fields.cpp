#include "vigil/fields.h"

namespace vigil::rules {
namespace {

constexpr std::array<FieldInfo, kFieldCount> kFields{{
    {FieldId::ProcExe, "proc.exe", FieldType::String},
    {FieldId::ProcName, "proc.name", FieldType::String},
    {FieldId::ProcArgs, "proc.args", FieldType::List},
    {FieldId::ProcCmdline, "proc.cmdline", FieldType::String},
    {FieldId::ProcCwd, "proc.cwd", FieldType::String},
    {FieldId::ParentExe, "parent.exe", FieldType::String},
    {FieldId::ParentName, "parent.name", FieldType::String},
    {FieldId::ParentCmdline, "parent.cmdline", FieldType::String},
    {FieldId::FilePath, "file.path", FieldType::String},
    {FieldId::FileRequested, "file.requested", FieldType::String},
    {FieldId::FilePath2, "file.path2", FieldType::String},
    {FieldId::FileRequested2, "file.requested2", FieldType::String},
    {FieldId::FileFstype, "file.fstype", FieldType::String},
    {FieldId::NetSaddr, "net.saddr", FieldType::String},
    {FieldId::NetDaddr, "net.daddr", FieldType::String},
    {FieldId::NetUnixPath, "net.unix_path", FieldType::String},
    {FieldId::PrivName, "priv.name", FieldType::String},
}};

constexpr bool in_id_order() {
  for (size_t i = 0; i < kFields.size(); ++i) {
    if (static_cast<size_t>(kFields[i].id) != i) return false;
  }
  return true;
}
static_assert(in_id_order(), "kFields must list every field in FieldId order");

}  // namespace

const std::array<FieldInfo, kFieldCount>& all_fields() {
  return kFields;
}

std::optional<FieldId> field_by_name(std::string_view name) {
  for (const FieldInfo& f : kFields) {
    if (f.name == name) return f.id;
  }
  return std::nullopt;
}

}  // namespace vigil::rules
