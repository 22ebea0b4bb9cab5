// Reading rule files: YAML nodes into a Program, with every error pointing at
// the node that caused it.
#include "program.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <optional>

#include "vigil_event.h"

namespace vigil::rules::detail {
namespace {

constexpr std::string_view kRuleKeys =
    "rule, description, severity, tags, kinds, enabled, condition";
constexpr std::string_view kListKeys = "list, items";
constexpr std::string_view kOperators = "equals, startswith, endswith, contains, regex, in, nocase";

struct KindName {
  std::string_view name;
  uint16_t kind;
};
constexpr KindName kKinds[] = {
    {"exec", VIGIL_KIND_EXEC},
    {"fork", VIGIL_KIND_FORK},
    {"exit", VIGIL_KIND_EXIT},
    {"exec_failed", VIGIL_KIND_EXEC_FAILED},
    {"open", VIGIL_KIND_OPEN},
    {"truncate", VIGIL_KIND_TRUNCATE},
    {"unlink", VIGIL_KIND_UNLINK},
    {"rmdir", VIGIL_KIND_RMDIR},
    {"rename", VIGIL_KIND_RENAME},
    {"chmod", VIGIL_KIND_CHMOD},
    {"chown", VIGIL_KIND_CHOWN},
    {"link", VIGIL_KIND_LINK},
    {"symlink", VIGIL_KIND_SYMLINK},
    {"mkdir", VIGIL_KIND_MKDIR},
    {"mount", VIGIL_KIND_MOUNT},
    {"umount", VIGIL_KIND_UMOUNT},
    {"memfd_create", VIGIL_KIND_MEMFD_CREATE},
    {"connect", VIGIL_KIND_CONNECT},
    {"accept", VIGIL_KIND_ACCEPT},
    {"bind", VIGIL_KIND_BIND},
    {"listen", VIGIL_KIND_LISTEN},
    {"setuid", VIGIL_KIND_SETUID},
    {"setgid", VIGIL_KIND_SETGID},
    {"capset", VIGIL_KIND_CAPSET},
    {"ptrace", VIGIL_KIND_PTRACE},
    {"module_load", VIGIL_KIND_MODULE_LOAD},
    {"module_delete", VIGIL_KIND_MODULE_DELETE},
    {"bpf", VIGIL_KIND_BPF},
    {"unshare", VIGIL_KIND_UNSHARE},
    {"setns", VIGIL_KIND_SETNS},
    {"kill", VIGIL_KIND_KILL},
    {"prctl", VIGIL_KIND_PRCTL},
};
static_assert(std::size(kKinds) + 1 == VIGIL_KIND_MAX, "every kind needs its rule name");

struct OpName {
  std::string_view name;
  Op op;
};
constexpr OpName kOps[] = {
    {"equals", Op::Equals},     {"startswith", Op::StartsWith}, {"endswith", Op::EndsWith},
    {"contains", Op::Contains}, {"regex", Op::Regex},           {"in", Op::In},
};

constexpr std::string_view kSeverities[] = {"info", "low", "medium", "high", "critical"};

bool is_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// YAML 1.2 core schema: a plain scalar that reads as a number.
bool looks_like_number(std::string_view s) {
  if (s.empty()) return false;
  if (s == ".inf" || s == "-.inf" || s == "+.inf" || s == ".nan" || s == ".NaN" || s == ".Inf") {
    return true;
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    std::string_view digits = s.substr(2);
    unsigned long long v = 0;
    auto [p, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), v, s[1] == 'x' ? 16 : 8);
    return ec == std::errc() && p == digits.data() + digits.size();
  }
  std::string_view body = s[0] == '+' ? s.substr(1) : s;
  if (body.empty()) return false;
  const char c = body[0] == '-' && body.size() > 1 ? body[1] : body[0];
  if (!(c == '.' || (c >= '0' && c <= '9'))) return false;
  double v = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  return ec == std::errc() && p == body.data() + body.size();
}

bool looks_like_bool(std::string_view s) {
  for (std::string_view b : {"true", "True", "TRUE", "false", "False", "FALSE"}) {
    if (s == b) return true;
  }
  return false;
}

// How a node reads, for "expected X, got Y" messages.
std::string_view describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      if (n.Tag() != "!") {
        if (looks_like_number(n.Scalar())) return "a number";
        if (looks_like_bool(n.Scalar())) return "a boolean";
      }
      return "a string";
    default:
      return "nothing";
  }
}

bool is_string(const YAML::Node& n) {
  return describe(n) == "a string";
}

// Reads one file. Holds the file's index so every node can become a Where.
class FileReader {
 public:
  FileReader(Program& p, uint32_t file) : p_(p), file_(file) {}

  void read(std::string_view yaml) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(std::string(yaml));
    } catch (const YAML::Exception& e) {
      p_.fail({file_, e.mark.line + 1, e.mark.column + 1}, "yaml syntax error: " + e.msg);
    }
    if (docs.size() > 1) {
      fail(docs[1], "a rule file holds one yaml document; found " + std::to_string(docs.size()));
    }
    if (docs.empty() || docs[0].IsNull()) return;
    const YAML::Node& top = docs[0];
    if (!top.IsSequence()) {
      fail(top, fmt::format("a rule file is a sequence of 'rule' and 'list' entries, not {}",
                            describe(top)));
    }
    for (const YAML::Node& entry : top) read_entry(entry);
  }

 private:
  Where where(const YAML::Node& n) const { return {file_, n.Mark().line + 1, n.Mark().column + 1}; }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& message) const {
    p_.fail(where(n), message);
  }

  // The entries of a mapping as (key, value) pairs, rejecting duplicate and
  // non-string keys.
  std::vector<std::pair<YAML::Node, YAML::Node>> entries(const YAML::Node& map) const {
    std::vector<std::pair<YAML::Node, YAML::Node>> out;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) fail(kv.first, "a key must be a string");
      for (const auto& [k, v] : out) {
        if (k.Scalar() == kv.first.Scalar()) {
          fail(kv.first, fmt::format("duplicate key '{}'", kv.first.Scalar()));
        }
      }
      out.emplace_back(kv.first, kv.second);
    }
    return out;
  }

  std::string string_value(const YAML::Node& key, const YAML::Node& value) const {
    if (!is_string(value)) {
      fail(value.IsNull() ? key : value,
           fmt::format("expected a string for '{}', got {}", key.Scalar(), describe(value)));
    }
    return value.Scalar();
  }

  std::vector<std::pair<std::string, Where>> string_sequence(const YAML::Node& key,
                                                             const YAML::Node& value) const {
    if (!value.IsSequence()) {
      fail(value.IsNull() ? key : value,
           fmt::format("expected a sequence of strings for '{}', got {}", key.Scalar(),
                       describe(value)));
    }
    std::vector<std::pair<std::string, Where>> out;
    for (const YAML::Node& item : value) {
      if (!is_string(item)) {
        fail(item, fmt::format("expected a string in '{}', got {}", key.Scalar(), describe(item)));
      }
      out.emplace_back(item.Scalar(), where(item));
    }
    return out;
  }

  void read_entry(const YAML::Node& entry) {
    if (!entry.IsMap()) {
      fail(entry, fmt::format("an entry is a mapping with a 'rule' or a 'list' key, not {}",
                              describe(entry)));
    }
    if (entry["list"]) return read_list(entry);
    if (entry["rule"]) return read_rule(entry);
    fail(entry, "entry has no 'rule' or 'list' key");
  }

  void read_list(const YAML::Node& entry) {
    std::string name;
    Where name_at;
    std::optional<std::vector<std::pair<std::string, Where>>> items;
    for (const auto& [k, v] : entries(entry)) {
      const std::string& key = k.Scalar();
      if (key == "list") {
        name = string_value(k, v);
        name_at = where(v);
        if (!is_identifier(name)) {
          fail(v, fmt::format("invalid list name '{}'; use a-z, 0-9, '_', '.' and '-'", name));
        }
      } else if (key == "items") {
        items = string_sequence(k, v);
      } else {
        fail(k, fmt::format("unknown key '{}' in a list; expected one of: {}", key, kListKeys));
      }
    }
    if (!items) fail(entry, fmt::format("list '{}' has no 'items'", name));
    if (auto it = p_.lists.find(name); it != p_.lists.end()) {
      const Where& first = it->second.where;
      p_.fail(name_at, fmt::format("list '{}' is already defined at {}:{}", name,
                                   p_.files[first.file], first.line));
    }
    ListDef def;
    def.where = name_at;
    for (auto& [item, at] : *items) def.items.push_back(std::move(item));
    p_.lists.emplace(std::move(name), std::move(def));
  }

  void read_rule(const YAML::Node& entry) {
    Rule rule;
    rule.file = p_.files[file_];
    rule.line = entry.Mark().line + 1;
    rule.kinds = uint64_t{1} << VIGIL_KIND_EXEC;
    Where id_at;
    std::optional<YAML::Node> severity, tags, condition;

    // The id first, so that every later message can name the rule.
    for (const auto& [k, v] : entries(entry)) {
      if (k.Scalar() != "rule") continue;
      rule.id = string_value(k, v);
      id_at = where(v);
      if (!is_identifier(rule.id)) {
        fail(v, fmt::format("invalid rule id '{}'; use a-z, 0-9, '_', '.' and '-'", rule.id));
      }
      if (auto it = p_.rule_index.find(rule.id); it != p_.rule_index.end()) {
        const Rule& first = p_.rules[it->second];
        fail(v, fmt::format("duplicate rule id '{}'; first defined at {}:{}", rule.id, first.file,
                            first.line));
      }
    }

    for (const auto& [k, v] : entries(entry)) {
      const std::string& key = k.Scalar();
      if (key == "rule") {
        continue;
      } else if (key == "description") {
        rule.description = string_value(k, v);
      } else if (key == "severity") {
        severity = v;
        const std::string s = string_value(k, v);
        auto it = std::find(std::begin(kSeverities), std::end(kSeverities), s);
        if (it == std::end(kSeverities)) {
          fail(v, fmt::format("bad severity '{}' in rule '{}'; expected info, low, medium, high "
                              "or critical",
                              s, rule.id));
        }
        rule.severity = static_cast<Severity>(it - std::begin(kSeverities));
      } else if (key == "tags") {
        tags = v;
        for (auto& [tag, at] : string_sequence(k, v)) rule.tags.push_back(std::move(tag));
      } else if (key == "kinds") {
        rule.kinds = read_kinds(k, v);
      } else if (key == "enabled") {
        if (v.IsScalar() && v.Tag() != "!" && looks_like_bool(v.Scalar())) {
          rule.enabled = v.Scalar()[0] == 't' || v.Scalar()[0] == 'T';
        } else {
          fail(v.IsNull() ? k : v,
               fmt::format("expected true or false for 'enabled', got {}", describe(v)));
        }
      } else if (key == "condition") {
        condition = v;
      } else {
        fail(k, fmt::format("unknown key '{}' in rule '{}'; expected one of: {}", key, rule.id,
                            kRuleKeys));
      }
    }

    if (!severity) fail(entry, fmt::format("rule '{}' has no 'severity'", rule.id));
    if (!tags) fail(entry, fmt::format("rule '{}' has no 'tags'", rule.id));
    if (!condition) fail(entry, fmt::format("rule '{}' has no 'condition'", rule.id));
    const bool has_technique = std::any_of(rule.tags.begin(), rule.tags.end(), [](auto& t) {
      return t.size() > 7 && t.starts_with("mitre.T") && t[7] >= '0' && t[7] <= '9';
    });
    if (!has_technique) {
      fail(*tags,
           fmt::format("rule '{}' has no mitre technique tag (such as 'mitre.T1059')", rule.id));
    }

    const uint32_t index = static_cast<uint32_t>(p_.rules.size());
    rule_ = index;
    const uint32_t root = read_condition(*condition);
    p_.rule_index.emplace(rule.id, index);
    p_.rules.push_back(std::move(rule));
    p_.roots.push_back(root);
    p_.rule_where.push_back(id_at);
  }

  uint64_t read_kinds(const YAML::Node& k, const YAML::Node& v) const {
    uint64_t kinds = 0;
    auto names = string_sequence(k, v);
    if (names.empty()) fail(v, "empty 'kinds'");
    for (const auto& [name, at] : names) {
      auto it = std::find_if(std::begin(kKinds), std::end(kKinds),
                             [&](const KindName& kn) { return kn.name == name; });
      if (it == std::end(kKinds)) {
        std::string known;
        for (const KindName& kn : kKinds) {
          known += known.empty() ? "" : ", ";
          known += kn.name;
        }
        p_.fail(at, fmt::format("unknown kind '{}'; expected one of: {}", name, known));
      }
      kinds |= uint64_t{1} << it->kind;
    }
    return kinds;
  }

  // Appends the node (and its subtree) and returns its index.
  uint32_t add_node(Node n) {
    p_.nodes.push_back(n);
    return static_cast<uint32_t>(p_.nodes.size() - 1);
  }

  uint32_t read_condition(const YAML::Node& c) {
    if (!c.IsMap() || c.size() == 0) {
      fail(c, fmt::format("a condition is a mapping with one key ('all', 'any', 'not' or a "
                          "field), not {}",
                          c.IsMap() ? "an empty mapping" : describe(c)));
    }
    auto kv = entries(c);
    if (kv.size() > 1) {
      fail(kv[1].first, fmt::format("a condition has exactly one key, found '{}' and '{}'; "
                                    "combine them with 'all' or 'any'",
                                    kv[0].first.Scalar(), kv[1].first.Scalar()));
    }
    const auto& [k, v] = kv[0];
    const std::string& key = k.Scalar();

    if (key == "all" || key == "any") {
      if (!v.IsSequence()) {
        fail(v.IsNull() ? k : v,
             fmt::format("expected a sequence of conditions under '{}', got {}", key, describe(v)));
      }
      if (v.size() == 0) fail(v, fmt::format("empty '{}'", key));
      std::vector<uint32_t> children;
      for (const YAML::Node& child : v) children.push_back(read_condition(child));
      Node n{key == "all" ? NodeOp::All : NodeOp::Any, static_cast<uint32_t>(p_.kids.size()),
             static_cast<uint32_t>(children.size())};
      p_.kids.insert(p_.kids.end(), children.begin(), children.end());
      return add_node(n);
    }
    if (key == "not") {
      if (v.IsNull()) fail(k, "expected a condition under 'not'");
      return add_node({NodeOp::Not, read_condition(v), 0});
    }
    return add_node({NodeOp::Test, read_test(k, v), 0});
  }

  uint32_t read_test(const YAML::Node& k, const YAML::Node& spec) {
    const std::optional<FieldId> field = field_by_name(k.Scalar());
    if (!field) {
      std::string names;
      for (const FieldInfo& f : all_fields()) {
        names += names.empty() ? "" : ", ";
        names += f.name;
      }
      fail(k, fmt::format("unknown field '{}'; fields are {}", k.Scalar(), names));
    }
    Test test;
    test.field = *field;
    test.rule = rule_;

    if (!spec.IsMap()) {
      // A plain value: equals.
      Atom a;
      a.values.push_back(string_value(k, spec));
      a.where = where(spec);
      test.atoms.push_back(std::move(a));
    } else {
      bool nocase = false;
      for (const auto& [op_key, operand] : entries(spec)) {
        const std::string& name = op_key.Scalar();
        if (name == "nocase") {
          if (!(operand.IsScalar() && operand.Tag() != "!" && looks_like_bool(operand.Scalar()))) {
            fail(operand.IsNull() ? op_key : operand,
                 fmt::format("expected true or false for 'nocase', got {}", describe(operand)));
          }
          nocase = operand.Scalar()[0] == 't' || operand.Scalar()[0] == 'T';
          continue;
        }
        auto it = std::find_if(std::begin(kOps), std::end(kOps),
                               [&](const OpName& o) { return o.name == name; });
        if (it == std::end(kOps)) {
          fail(op_key, fmt::format("unknown operator '{}'; operators are {}", name, kOperators));
        }
        Atom a;
        a.op = it->op;
        a.where = where(operand);
        if (a.op != Op::In) {
          a.values.push_back(string_value(op_key, operand));
        } else if (operand.IsSequence()) {
          for (auto& [item, at] : string_sequence(op_key, operand)) {
            a.values.push_back(std::move(item));
          }
        } else if (is_string(operand)) {
          a.list = operand.Scalar();
        } else {
          fail(operand.IsNull() ? op_key : operand,
               fmt::format("expected a sequence of strings or a list name for 'in', got {}",
                           describe(operand)));
        }
        test.atoms.push_back(std::move(a));
      }
      if (test.atoms.empty()) {
        fail(spec,
             fmt::format("test of '{}' has no operator; operators are {}", k.Scalar(), kOperators));
      }
      for (Atom& a : test.atoms) a.nocase = nocase;
    }

    p_.tests.push_back(std::move(test));
    return static_cast<uint32_t>(p_.tests.size() - 1);
  }

  Program& p_;
  uint32_t file_;
  uint32_t rule_ = 0;  // index of the rule being read
};

}  // namespace

void Program::fail(const Where& w, const std::string& message) const {
  throw RuleError(files.at(w.file), w.line, w.column, message);
}

void Program::add_file(std::string_view yaml, std::string name) {
  files.push_back(std::move(name));
  FileReader(*this, static_cast<uint32_t>(files.size() - 1)).read(yaml);
}

void Program::resolve() {
  for (Test& t : tests) {
    for (Atom& a : t.atoms) {
      if (a.op != Op::In || a.list.empty()) continue;
      auto it = lists.find(a.list);
      if (it == lists.end()) fail(a.where, fmt::format("undefined list '{}'", a.list));
      a.values = it->second.items;
    }
  }
}

}  // namespace vigil::rules::detail
