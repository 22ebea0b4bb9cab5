// Helpers for the matcher tests: events built from plain strings, and the ids
// of the rules an event matches.
#pragma once

#include <array>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/fields.h"
#include "vigil/rules.h"
#include "vigil_event.h"

namespace vigil::rules::testing {

//! An event that owns its field values.
class Event {
 public:
  explicit Event(uint16_t kind = VIGIL_KIND_EXEC) : kind_(kind) {}

  Event& set(FieldId f, std::string_view v) {
    values_[static_cast<size_t>(f)] = std::string(v);
    present_ |= 1u << static_cast<unsigned>(f);
    return *this;
  }

  //! Sets proc.args (each argument NUL-terminated, the last one too unless
  //! `last_nul` is false) and proc.cmdline (the arguments joined by spaces).
  Event& argv(std::initializer_list<std::string_view> args, bool last_nul = true) {
    return argv(std::vector<std::string_view>(args), last_nul);
  }
  Event& argv(const std::vector<std::string_view>& args, bool last_nul = true) {
    std::string buf, cmdline;
    for (size_t i = 0; i < args.size(); ++i) {
      buf += args[i];
      if (i + 1 < args.size() || last_nul) buf.push_back('\0');
      cmdline += i ? " " : "";
      cmdline += args[i];
    }
    set(FieldId::ProcArgs, buf);
    return set(FieldId::ProcCmdline, cmdline);
  }

  //! Views of the values; valid while this Event lives and is not changed.
  EventFields fields() const {
    EventFields f;
    f.kind = kind_;
    for (size_t i = 0; i < kFieldCount; ++i) {
      if (present_ & (1u << i)) f.set(static_cast<FieldId>(i), values_[i]);
    }
    return f;
  }

 private:
  uint16_t kind_;
  uint32_t present_ = 0;
  std::array<std::string, kFieldCount> values_;
};

//! Ids of the rules `ev` matches, in the order match() gave them.
inline std::vector<std::string> match_ids(const RuleSet& set, RuleSet::Scratch& scratch,
                                          const Event& ev) {
  std::vector<const Rule*> out;
  set.match(ev.fields(), scratch, out);
  std::vector<std::string> ids;
  for (const Rule* r : out) ids.push_back(r->id);
  return ids;
}

inline std::vector<std::string> match_ids(const RuleSet& set, const Event& ev) {
  RuleSet::Scratch scratch(set);
  return match_ids(set, scratch, ev);
}

//! A rule file with one rule, "r", whose condition is `condition` (YAML flow
//! text such as `{proc.name: curl}`).
inline std::string one_rule_yaml(std::string_view condition) {
  return "- rule: r\n  severity: low\n  tags: [mitre.T1059]\n  condition: " +
         std::string(condition) + "\n";
}

inline std::shared_ptr<const RuleSet> one_rule(std::string_view condition) {
  return RuleSet::parse(one_rule_yaml(condition), "test.yaml");
}

}  // namespace vigil::rules::testing
