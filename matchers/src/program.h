// The rule set as parsed from YAML, before it is compiled into Hyperscan
// databases: rules, their condition trees, their field tests and the lists
// those tests name. Private to matchers/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vigil/fields.h"
#include "vigil/rules.h"

namespace vigil::rules::detail {

//! A place in a rule file, 1-based, for error messages.
struct Where {
  uint32_t file = 0;  //!< index into Program::files
  int line = 0;
  int column = 0;
};

enum class Op : uint8_t { Equals, StartsWith, EndsWith, Contains, Regex, In };

//! One operator of a field test, with its operand.
struct Atom {
  Op op = Op::Equals;
  bool nocase = false;
  std::vector<std::string> values;  //!< one value; for In, every item (once resolved)
  std::string list;                 //!< In only: the named list, empty for an inline one
  Where where;                      //!< the operand's node
};

//! A field test: holds when every atom holds on the same value (for a List
//! field: on the same item).
struct Test {
  FieldId field = FieldId::ProcExe;
  uint32_t rule = 0;
  std::vector<Atom> atoms;
};

enum class NodeOp : uint8_t { All, Any, Not, Test };

//! A condition node. All/Any: children are kids[a, a + n). Not: child node a.
//! Test: test a.
struct Node {
  NodeOp op = NodeOp::Test;
  uint32_t a = 0;
  uint32_t n = 0;
};

struct ListDef {
  std::vector<std::string> items;
  Where where;
};

//! Everything read from the rule files. add_file() and resolve() throw
//! RuleError; nothing here touches Hyperscan.
struct Program {
  std::vector<std::string> files;
  std::vector<Rule> rules;        //!< in the order they were read
  std::vector<uint32_t> roots;    //!< condition root node of each rule
  std::vector<Where> rule_where;  //!< the "rule:" value of each rule
  std::vector<Node> nodes;
  std::vector<uint32_t> kids;
  std::vector<Test> tests;
  std::map<std::string, ListDef, std::less<>> lists;
  std::unordered_map<std::string, uint32_t> rule_index;

  //! Reads one rule file's text; `name` is the file name used in errors.
  void add_file(std::string_view yaml, std::string name);
  //! Replaces every named list by its items, once all files are read.
  void resolve();
  //! Throws the RuleError for `w`.
  [[noreturn]] void fail(const Where& w, const std::string& message) const;
};

//! The literal prefixes one of which `field` must start with for any enabled
//! rule of `kind` among `rules` to hold (see RuleSet::required_prefixes), or
//! nullopt when one of them can hold without. The other arguments are the
//! Program's condition trees.
std::optional<std::vector<std::string>> required_prefixes(const std::vector<Rule>& rules,
                                                          const std::vector<uint32_t>& roots,
                                                          const std::vector<Node>& nodes,
                                                          const std::vector<uint32_t>& kids,
                                                          const std::vector<Test>& tests,
                                                          FieldId field, uint16_t kind);

}  // namespace vigil::rules::detail
