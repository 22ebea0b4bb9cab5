// Compiling a Program into Hyperscan databases, and matching events.
//
// Each atom (one operator of a field test) becomes one Hyperscan pattern per
// value; identical patterns are compiled once, and a pattern id stands for the
// (test, atom bit) pairs that share it. A test hits when every one of its atom
// bits was seen in the same scan unit (the field's value, or one item of a
// List field).
//
// List tests that need item boundaries (regex, several operators) live in a
// per-item database. Scanning it costs one Hyperscan call per item, so each
// such test has a gate in the whole-buffer database (its literals, its regex
// without anchors) and the per-item scan runs only when some gate opened.
#include "vigil/rules.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "program.h"
#include "vigil_event.h"

namespace vigil::rules {
namespace {

using detail::Atom;
using detail::NodeOp;
using detail::Op;
using detail::Program;
using detail::Where;

// Kinds fit a uint64_t bitmask (Rule::kinds), so at most 64 of them.
constexpr size_t kMaxKinds = 64;

// Which test and which of its atoms a pattern id stands for.
struct PatternRef {
  uint32_t test;
  uint32_t bit;  // the atom's bit; 0 when the test has one atom (a hit is a test hit)
};

// One Hyperscan database. Identical patterns of several tests are compiled
// once: pattern id i stands for refs[first[i]] to refs[first[i + 1]].
struct Database {
  hs_database_t* db = nullptr;
  std::vector<uint32_t> first;
  std::vector<PatternRef> refs;
};

// Hyperscan text for `v`, every byte exact: alphanumerics as they are, the
// rest as \xHH.
std::string escape(std::string_view v) {
  std::string out;
  out.reserve(v.size() * 4);
  for (unsigned char c : v) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

// The expression for a literal operator. `whole_list`: the value is a whole
// NUL-separated List buffer, so item boundaries are NULs as well as the ends.
std::string literal_expression(Op op, std::string_view v, bool whole_list) {
  const std::string_view begin = whole_list ? "(?:\\A|\\x00)" : "\\A";
  const std::string_view end = whole_list ? "(?:\\x00|\\z)" : "\\z";
  switch (op) {
    case Op::Equals:
    case Op::In:
      return fmt::format("{}{}{}", begin, escape(v), end);
    case Op::StartsWith:
      return fmt::format("{}{}", begin, escape(v));
    case Op::EndsWith:
      return fmt::format("{}{}", escape(v), end);
    case Op::Contains:
    case Op::Regex:
      break;
  }
  return escape(v);
}

// Patterns of one database, being gathered.
struct PatternList {
  std::vector<std::string> exprs;
  std::vector<unsigned> flags;
  std::vector<PatternRef> refs;
  std::vector<const Atom*> atoms;  // for errors
  std::vector<uint32_t> rules;     // for errors
};

// Marks test_rule entries that are gates rather than rules (see kGate below).
constexpr uint32_t kGate = 0x80000000u;
constexpr uint32_t kNoRule = 0xffffffffu;

// The regex without its anchors (^ and $ outside classes, \A, \z, \Z, \G),
// or nothing when it uses syntax this scan does not follow. Dropping a
// zero-width assertion only loosens a regex, and what is left is unanchored,
// so a regex that matches one item of a List value leaves this one matching
// the whole NUL-separated buffer: a prefilter for the per-item scan.
std::optional<std::string> without_anchors(std::string_view re) {
  std::string out;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\') {
      if (i + 1 >= re.size()) return std::nullopt;
      const char n = re[i + 1];
      if (n == 'A' || n == 'z' || n == 'Z' || n == 'G') {
        ++i;
      } else if (n == 'Q') {  // \Q...\E quotes: copy it whole
        const size_t end = re.find("\\E", i + 2);
        const size_t stop = end == std::string_view::npos ? re.size() : end + 2;
        out.append(re.substr(i, stop - i));
        i = stop - 1;
      } else if (n == 'c') {  // \cX: X is a control character's letter
        if (i + 2 >= re.size()) return std::nullopt;
        out.append(re.substr(i, 3));
        i += 2;
      } else {
        out.append(re.substr(i, 2));
        ++i;
      }
    } else if (c == '[') {  // a class, copied whole: ^ in it is not an anchor
      size_t j = i + 1;
      if (j < re.size() && re[j] == '^') ++j;
      if (j < re.size() && re[j] == ']') ++j;
      while (j < re.size() && re[j] != ']') {
        if (re[j] == '\\') {
          j += 2;
        } else if (re[j] == '[' && j + 1 < re.size() && re[j + 1] == ':') {
          const size_t end = re.find(":]", j + 2);
          if (end == std::string_view::npos) return std::nullopt;
          j = end + 2;
        } else {
          ++j;
        }
      }
      if (j >= re.size()) return std::nullopt;
      out.append(re.substr(i, j - i + 1));
      i = j;
    } else if (c == '^' || c == '$') {
      continue;
    } else if (c == '(' && i + 1 < re.size() && re[i + 1] == '?') {
      // Extended mode (x) gives # and whitespace meanings this scan ignores.
      for (size_t j = i + 2;
           j < re.size() && (std::isalpha(static_cast<unsigned char>(re[j])) || re[j] == '-');
           ++j) {
        if (re[j] == 'x') return std::nullopt;
      }
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Minimum width of a regex, or nothing when Hyperscan rejects it.
std::optional<unsigned> min_width(const std::string& re, unsigned flags) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(re.c_str(), flags | HS_FLAG_ALLOWEMPTY, &info, &err) != HS_SUCCESS) {
    hs_free_compile_error(err);
    return std::nullopt;
  }
  const unsigned width = info->min_width;
  free(info);  // NOLINT: Hyperscan's allocator is malloc
  return width;
}

// The per-thread state of matching: what hit in the current event.
struct MatchState {
  hs_scratch_t* hs = nullptr;
  const uint32_t* test_rule = nullptr;  // the rule set's test -> rule
  const uint32_t* test_full = nullptr;  // the rule set's test -> all atom bits
  const uint32_t* gate_rule = nullptr;  // the rule set's gate - gate_base -> rule or kNoRule
  uint32_t gate_base = 0;               // id of the first gate
  uint32_t gen = 0;                     // event generation: stamps equal to it are this event's
  uint32_t unit = 0;                    // scan unit generation, for tests of several atoms
  uint32_t items_needed = 0;            // bit f: a gate of per-item tests on field f opened
  std::vector<uint32_t> pending;        // opened gates whose rule must be a candidate too
  std::vector<uint32_t> test_gen;       // test hit in this event
  std::vector<uint32_t> rule_gen;       // rule already a candidate in this event
  std::vector<uint32_t> atom_unit;      // unit that atom_mask belongs to
  std::vector<uint32_t> atom_mask;      // atom bits seen in that unit
  std::vector<uint32_t> candidates;
  uint64_t scan_errors = 0;

  void begin_event() {
    if (++gen == 0) {
      std::fill(test_gen.begin(), test_gen.end(), 0);
      std::fill(rule_gen.begin(), rule_gen.end(), 0);
      gen = 1;
    }
    begin_unit();
    candidates.clear();
    pending.clear();
    items_needed = 0;
  }

  void begin_unit() {
    if (++unit == 0) {
      std::fill(atom_unit.begin(), atom_unit.end(), 0);
      unit = 1;
    }
  }

  void add_candidate(uint32_t rule) {
    if (rule_gen[rule] != gen) {
      rule_gen[rule] = gen;
      candidates.push_back(rule);
    }
  }

  void hit_test(uint32_t test) {
    if (test_gen[test] == gen) return;
    test_gen[test] = gen;
    const uint32_t rule = test_rule[test];
    if (rule & kGate) {
      if (gate_rule[test - gate_base] == kNoRule) {
        items_needed |= 1u << (rule & ~kGate);
      } else {
        pending.push_back(test);
      }
    } else {
      add_candidate(rule);
    }
  }

  void hit(const PatternRef& ref) {
    if (ref.bit == 0) return hit_test(ref.test);
    if (atom_unit[ref.test] != unit) {
      atom_unit[ref.test] = unit;
      atom_mask[ref.test] = 0;
    }
    atom_mask[ref.test] |= ref.bit;
    if (atom_mask[ref.test] == test_full[ref.test]) hit_test(ref.test);
  }
};

struct ScanContext {
  MatchState* state;
  const uint32_t* first;
  const PatternRef* refs;
};

}  // namespace

struct RuleSet::Impl {
  std::vector<Rule> rules;
  std::vector<uint32_t> roots;
  std::vector<detail::Node> nodes;
  std::vector<uint32_t> kids;
  std::vector<detail::Test> tests;  // as parsed, for required_prefixes()
  // Tests, then gates. A gate stands for the per-item tests of one rule on a
  // List field: their prefilter patterns in the field's whole-value
  // database. The per-item database is scanned only once a gate opened.
  std::vector<uint32_t> test_rule;  // test -> rule; gate -> kGate | field
  // Gate (id - gate_base) -> its rule when that rule cannot hold through its
  // per-item tests alone: the gate then counts only if the rule is a
  // candidate anyway. kNoRule otherwise.
  std::vector<uint32_t> gate_rule;
  uint32_t gate_base = 0;
  std::vector<uint32_t> test_full;          // test -> every atom bit of it (0 for a one-atom test)
  std::array<Database, kFieldCount> whole;  // one scan of the field's value
  std::array<Database, kFieldCount> per_item;  // List fields: one scan per item
  // Per event kind: bit f to scan whole[f], bit 32 + f to scan per_item[f].
  std::array<uint64_t, kMaxKinds> scan{};
  // Per event kind: bit f when some per-item test on f has no prefilter.
  std::array<uint32_t, kMaxKinds> ungated{};
  // Per event kind: (rule, field) of per-item tests with no prefilter whose
  // rule needs a hit elsewhere; the field is scanned when the rule is a
  // candidate.
  std::array<std::vector<std::pair<uint32_t, uint32_t>>, kMaxKinds> lazy_ungated;
  // Rules that cannot hold through their per-item tests alone.
  std::vector<bool> needs_other_hit;
  // Per event kind: enabled rules whose condition holds with no test hit.
  std::array<std::vector<uint32_t>, kMaxKinds> always;

  ~Impl() {
    for (Database& d : whole) hs_free_database(d.db);
    for (Database& d : per_item) hs_free_database(d.db);
  }

  // Evaluates a condition node; hit(test) tells whether a test hit.
  template <class Hit>
  bool eval(uint32_t n, const Hit& hit) const {
    const detail::Node& node = nodes[n];
    switch (node.op) {
      case NodeOp::Test:
        return hit(node.a);
      case NodeOp::Not:
        return !eval(node.a, hit);
      case NodeOp::All:
        for (uint32_t i = node.a; i < node.a + node.n; ++i) {
          if (!eval(kids[i], hit)) return false;
        }
        return true;
      case NodeOp::Any:
        for (uint32_t i = node.a; i < node.a + node.n; ++i) {
          if (eval(kids[i], hit)) return true;
        }
        return false;
    }
    return false;
  }

  void compile(Program& p);
  template <class Add>
  void add_gate(const detail::Test& test, size_t f, PatternList& whole_list, const Add& add);
  void compile_database(const Program& p, PatternList& list, Database& out) const;
};

RuleError::RuleError(std::string file, int line, int column, const std::string& message)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}:{}: {}", file, line, column, message)
                                  : fmt::format("{}: {}", file, message)),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Info:
      return "info";
    case Severity::Low:
      return "low";
    case Severity::Medium:
      return "medium";
    case Severity::High:
      return "high";
    case Severity::Critical:
      return "critical";
  }
  return "unknown";
}

void RuleSet::Impl::compile_database(const Program& p, PatternList& list, Database& out) const {
  if (list.exprs.empty()) return;

  // Group identical (expression, flags) pairs under one pattern id.
  std::map<std::pair<std::string_view, unsigned>, uint32_t> unique;
  std::vector<uint32_t> id_of(list.exprs.size());
  std::vector<size_t> sample;  // pattern id -> one entry of list, for errors
  for (size_t i = 0; i < list.exprs.size(); ++i) {
    auto [it, added] =
        unique.try_emplace({list.exprs[i], list.flags[i]}, static_cast<uint32_t>(sample.size()));
    if (added) sample.push_back(i);
    id_of[i] = it->second;
  }
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (size_t id = 0; id < sample.size(); ++id) {
    exprs.push_back(list.exprs[sample[id]].c_str());
    flags.push_back(list.flags[sample[id]]);
    ids.push_back(static_cast<unsigned>(id));
  }

  hs_compile_error_t* err = nullptr;
  const hs_error_t rc =
      hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(ids.size()),
                       HS_MODE_BLOCK, nullptr, &out.db, &err);
  if (rc != HS_SUCCESS) {
    const std::string message = err ? err->message : "unknown error";
    const int at = err ? err->expression : -1;
    hs_free_compile_error(err);
    if (at >= 0 && static_cast<size_t>(at) < sample.size()) {
      const Atom& a = *list.atoms[sample[at]];
      const Rule& rule = rules[list.rules[sample[at]]];
      p.fail(a.where, fmt::format("{} in rule '{}' rejected by hyperscan: {}",
                                  a.op == Op::Regex ? "regex" : "pattern", rule.id, message));
    }
    throw RuleError(p.files.empty() ? "<rules>" : p.files.front(), 0, 0,
                    "hyperscan could not compile the rules: " + message);
  }

  // The refs of each pattern id, contiguous.
  out.first.assign(sample.size() + 1, 0);
  for (uint32_t id : id_of) ++out.first[id + 1];
  for (size_t id = 0; id < sample.size(); ++id) out.first[id + 1] += out.first[id];
  out.refs.resize(list.refs.size());
  std::vector<uint32_t> next(out.first.begin(), out.first.end() - 1);
  for (size_t i = 0; i < list.refs.size(); ++i) out.refs[next[id_of[i]]++] = list.refs[i];
}

// Prefilters a per-item test: each literal atom by its whole-buffer pattern,
// each regex atom by the regex without anchors, when that cannot match empty.
// With no prefilter at all, the test's field is scanned per item for every
// event of the rule's kinds.
template <class Add>
void RuleSet::Impl::add_gate(const detail::Test& test, size_t f, PatternList& whole_list,
                             const Add& add) {
  const Rule& rule = rules[test.rule];
  const uint32_t gate = static_cast<uint32_t>(test_rule.size());
  std::vector<std::pair<std::string, const Atom*>> patterns;
  std::vector<uint32_t> atom_of;  // pattern -> index of its atom among the gate's atoms
  uint32_t atoms = 0;
  for (const Atom& a : test.atoms) {
    const unsigned flags = (a.nocase ? HS_FLAG_CASELESS : 0u) | HS_FLAG_DOTALL;
    if (a.op == Op::Regex) {
      std::optional<std::string> loose = without_anchors(a.values[0]);
      if (!loose) continue;
      const std::optional<unsigned> width = min_width(*loose, flags);
      if (!width || *width == 0) continue;
      patterns.emplace_back(std::move(*loose), &a);
      atom_of.push_back(atoms++);
    } else {
      // An empty value holds wherever there is an item: no prefilter. An
      // empty 'in' never holds, and its atom, with no pattern, never opens.
      if (std::any_of(a.values.begin(), a.values.end(), [](auto& v) { return v.empty(); })) {
        continue;
      }
      for (const std::string& v : a.values) {
        patterns.emplace_back(literal_expression(a.op, v, true), &a);
        atom_of.push_back(atoms);
      }
      ++atoms;
    }
  }
  const bool lazy = needs_other_hit[test.rule];
  if (atoms == 0 || atoms > 32) {
    for (uint32_t k = 0; k < kMaxKinds; ++k) {
      if (!(rule.kinds & (uint64_t{1} << k))) continue;
      if (lazy) {
        lazy_ungated[k].emplace_back(test.rule, static_cast<uint32_t>(f));
      } else {
        ungated[k] |= 1u << f;
      }
    }
    return;
  }

  gate_rule.push_back(lazy ? test.rule : kNoRule);
  test_rule.push_back(kGate | static_cast<uint32_t>(f));
  test_full.push_back(atoms > 1 ? static_cast<uint32_t>((1ull << atoms) - 1) : 0u);
  for (size_t i = 0; i < patterns.size(); ++i) {
    const Atom& a = *patterns[i].second;
    const unsigned flags =
        HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL | (a.nocase ? HS_FLAG_CASELESS : 0u);
    add(whole_list, std::move(patterns[i].first), flags,
        PatternRef{gate, atoms > 1 ? 1u << atom_of[i] : 0u}, a, test.rule);
  }
  for (uint32_t k = 0; k < kMaxKinds; ++k) {
    if (rule.kinds & (uint64_t{1} << k)) scan[k] |= 1ull << f;
  }
}

void RuleSet::Impl::compile(Program& p) {
  rules = std::move(p.rules);
  roots = std::move(p.roots);
  nodes = std::move(p.nodes);
  kids = std::move(p.kids);
  tests = p.tests;
  test_rule.resize(p.tests.size());
  test_full.resize(p.tests.size());

  // Every regex is checked on its own first, disabled rules' too, so that an
  // error points at its node.
  std::vector<std::vector<bool>> allow_empty(p.tests.size());
  for (size_t t = 0; t < p.tests.size(); ++t) {
    for (const Atom& a : p.tests[t].atoms) {
      bool empty = a.values.empty() || a.values[0].empty();
      if (a.op == Op::Regex) {
        hs_expr_info_t* info = nullptr;
        hs_compile_error_t* err = nullptr;
        const unsigned flags =
            HS_FLAG_DOTALL | HS_FLAG_ALLOWEMPTY | (a.nocase ? HS_FLAG_CASELESS : 0u);
        if (hs_expression_info(a.values[0].c_str(), flags, &info, &err) != HS_SUCCESS) {
          const std::string message = err ? err->message : "unknown error";
          hs_free_compile_error(err);
          p.fail(a.where, fmt::format("regex in rule '{}' rejected by hyperscan: {}",
                                      rules[p.tests[t].rule].id, message));
        }
        empty = info->min_width == 0;
        free(info);  // NOLINT: Hyperscan's allocator is malloc
      }
      allow_empty[t].push_back(empty);
    }
  }

  // Which tests are scanned per item, and which rules cannot hold through
  // those alone (tried over every assignment of them, with all else false).
  auto per_item_test = [](const detail::Test& test) {
    if (all_fields()[static_cast<size_t>(test.field)].type != FieldType::List) return false;
    if (test.atoms.size() != 1 || test.atoms[0].op == Op::Regex) return true;
    return std::any_of(test.atoms[0].values.begin(), test.atoms[0].values.end(),
                       [](const std::string& v) { return v.find('\0') != std::string::npos; });
  };
  std::vector<std::vector<uint32_t>> item_tests(rules.size());
  for (uint32_t t = 0; t < p.tests.size(); ++t) {
    if (per_item_test(p.tests[t])) item_tests[p.tests[t].rule].push_back(t);
  }
  needs_other_hit.assign(rules.size(), false);
  for (uint32_t r = 0; r < rules.size(); ++r) {
    const std::vector<uint32_t>& mine = item_tests[r];
    if (mine.empty() || mine.size() > 10) continue;
    bool can_hold = false;
    for (uint32_t set = 0; set < (1u << mine.size()) && !can_hold; ++set) {
      can_hold = eval(roots[r], [&](uint32_t t) {
        const auto it = std::find(mine.begin(), mine.end(), t);
        return it != mine.end() && (set & (1u << (it - mine.begin())));
      });
    }
    needs_other_hit[r] = !can_hold;
  }
  gate_base = static_cast<uint32_t>(p.tests.size());

  std::array<PatternList, kFieldCount> whole_lists, item_lists;
  auto add = [](PatternList& out, std::string expr, unsigned flags, PatternRef ref, const Atom& a,
                uint32_t rule) {
    out.exprs.push_back(std::move(expr));
    out.flags.push_back(flags);
    out.refs.push_back(ref);
    out.atoms.push_back(&a);
    out.rules.push_back(rule);
  };
  for (size_t t = 0; t < p.tests.size(); ++t) {
    const detail::Test& test = p.tests[t];
    test_rule[t] = test.rule;
    const Rule& rule = rules[test.rule];
    if (!rule.enabled) continue;

    const size_t f = static_cast<size_t>(test.field);
    const bool list_field = all_fields()[f].type == FieldType::List;
    // A literal with a NUL would match across items in a single scan.
    const bool one_literal =
        test.atoms.size() == 1 && test.atoms[0].op != Op::Regex &&
        std::none_of(test.atoms[0].values.begin(), test.atoms[0].values.end(),
                     [](const std::string& v) { return v.find('\0') != std::string::npos; });
    const bool whole_list = list_field && one_literal;
    PatternList& out = list_field && !one_literal ? item_lists[f] : whole_lists[f];
    const uint64_t scan_bit = list_field && !one_literal ? 1ull << (32 + f) : 1ull << f;
    for (uint32_t k = 0; k < kMaxKinds; ++k) {
      if (rule.kinds & (uint64_t{1} << k)) scan[k] |= scan_bit;
    }

    if (test.atoms.size() > 1) test_full[t] = (1u << test.atoms.size()) - 1;
    for (size_t i = 0; i < test.atoms.size(); ++i) {
      const Atom& a = test.atoms[i];
      const uint32_t bit = test.atoms.size() > 1 ? 1u << i : 0;
      unsigned flags = HS_FLAG_SINGLEMATCH;
      if (a.nocase) flags |= HS_FLAG_CASELESS;
      if (a.op == Op::Regex) flags |= HS_FLAG_DOTALL;
      for (const std::string& v : a.values) {
        const bool empty = a.op == Op::Regex ? allow_empty[t][i] : v.empty();
        add(out, a.op == Op::Regex ? v : literal_expression(a.op, v, whole_list),
            flags | (empty ? HS_FLAG_ALLOWEMPTY : 0u), {static_cast<uint32_t>(t), bit}, a,
            test.rule);
      }
    }
    if (list_field && !one_literal) add_gate(test, f, whole_lists[f], add);
  }

  for (size_t f = 0; f < kFieldCount; ++f) {
    compile_database(p, whole_lists[f], whole[f]);
    compile_database(p, item_lists[f], per_item[f]);
  }

  // Rules that can hold with no hit at all are candidates for every event of
  // their kinds.
  for (uint32_t r = 0; r < rules.size(); ++r) {
    if (!rules[r].enabled || !eval(roots[r], [](uint32_t) { return false; })) continue;
    for (uint32_t k = 0; k < kMaxKinds; ++k) {
      if (rules[r].kinds & (uint64_t{1} << k)) always[k].push_back(r);
    }
  }
}

RuleSet::RuleSet() : impl_(std::make_unique<Impl>()) {}
RuleSet::~RuleSet() = default;

const std::vector<Rule>& RuleSet::rules() const {
  return impl_->rules;
}

std::optional<std::vector<std::string>> RuleSet::required_prefixes(FieldId field,
                                                                   uint16_t kind) const {
  const Impl& s = *impl_;
  return detail::required_prefixes(s.rules, s.roots, s.nodes, s.kids, s.tests, field, kind);
}

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw RuleError(path.string(), 0, 0,
                    fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::shared_ptr<const RuleSet> RuleSet::load(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  Program p;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      throw RuleError(path, 0, 0, fmt::format("no such file or directory: '{}'", path));
    }
    if (!fs::is_directory(st)) {
      p.add_file(read_file(path), path);
      continue;
    }
    std::vector<fs::path> files;
    for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
      const std::string ext = e.path().extension().string();
      if ((ext == ".yaml" || ext == ".yml") && e.is_regular_file()) files.push_back(e.path());
    }
    if (ec) throw RuleError(path, 0, 0, fmt::format("cannot list '{}': {}", path, ec.message()));
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) p.add_file(read_file(f), f.string());
  }
  p.resolve();
  auto set = std::shared_ptr<RuleSet>(new RuleSet());
  set->impl_->compile(p);
  return set;
}

std::shared_ptr<const RuleSet> RuleSet::parse(std::string_view yaml, std::string_view name) {
  Program p;
  p.add_file(yaml, std::string(name));
  p.resolve();
  auto set = std::shared_ptr<RuleSet>(new RuleSet());
  set->impl_->compile(p);
  return set;
}

struct RuleSet::Scratch::Impl : MatchState {
  const RuleSet::Impl* set = nullptr;
};

RuleSet::Scratch::Scratch(const RuleSet& set) : impl_(std::make_unique<Impl>()) {
  const RuleSet::Impl& s = *set.impl_;
  impl_->set = &s;
  impl_->test_rule = s.test_rule.data();
  impl_->test_full = s.test_full.data();
  impl_->gate_rule = s.gate_rule.data();
  impl_->gate_base = s.gate_base;
  impl_->pending.reserve(s.gate_rule.size());
  auto alloc = [&](const Database& d) {
    if (d.db && hs_alloc_scratch(d.db, &impl_->hs) != HS_SUCCESS) {
      hs_free_scratch(impl_->hs);
      throw std::bad_alloc();
    }
  };
  for (const Database& d : s.whole) alloc(d);
  for (const Database& d : s.per_item) alloc(d);
  impl_->test_gen.assign(s.test_rule.size(), 0);
  impl_->atom_unit.assign(s.test_rule.size(), 0);
  impl_->atom_mask.assign(s.test_rule.size(), 0);
  impl_->rule_gen.assign(s.rules.size(), 0);
  impl_->candidates.reserve(s.rules.size());
}

RuleSet::Scratch::~Scratch() {
  hs_free_scratch(impl_->hs);
}

uint64_t RuleSet::Scratch::scan_errors() const {
  return impl_->scan_errors;
}

namespace {

int on_match(unsigned id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned /*flags*/, void* context) {
  auto* c = static_cast<ScanContext*>(context);
  for (uint32_t i = c->first[id]; i < c->first[id + 1]; ++i) c->state->hit(c->refs[i]);
  return 0;
}

void scan_value(const Database& d, std::string_view v, MatchState& s) {
  ScanContext c{&s, d.first.data(), d.refs.data()};
  if (hs_scan(d.db, v.data(), static_cast<unsigned>(v.size()), 0, s.hs, on_match, &c) !=
      HS_SUCCESS) {
    ++s.scan_errors;
  }
}

// The items of a List value as one buffer: no items when empty, else without
// the last item's terminator so that a trailing NUL does not read as one more
// (empty) item.
std::string_view list_body(std::string_view v) {
  if (!v.empty() && v.back() == '\0') v.remove_suffix(1);
  return v;
}

}  // namespace

void RuleSet::match(const EventFields& ev, Scratch& scratch, std::vector<const Rule*>& out) const {
  const Impl& set = *impl_;
  Scratch::Impl& s = *scratch.impl_;
  if (ev.kind >= kMaxKinds || s.set != &set) return;
  const uint64_t todo = set.scan[ev.kind];
  const std::vector<uint32_t>& always = set.always[ev.kind];
  if (todo == 0 && always.empty()) return;

  s.begin_event();

  // One scan of each present field that some rule of this kind tests.
  for (uint32_t fields = static_cast<uint32_t>(todo) & ev.present; fields != 0;
       fields &= fields - 1) {
    const size_t f = static_cast<size_t>(__builtin_ctz(fields));
    std::string_view v = ev.value[f];
    if (all_fields()[f].type == FieldType::List) {
      if (v.empty()) continue;
      v = list_body(v);
    }
    scan_value(set.whole[f], v, s);
  }

  // Candidates so far: rules with a hit test, and rules that may hold without
  // one. Gates of rules that need another hit count only for candidates.
  for (uint32_t r : always) s.add_candidate(r);
  for (uint32_t g : s.pending) {
    if (s.rule_gen[set.gate_rule[g - set.gate_base]] == s.gen) {
      s.items_needed |= 1u << (set.test_rule[g] & ~kGate);
    }
  }
  for (const auto& [rule, field] : set.lazy_ungated[ev.kind]) {
    if (s.rule_gen[rule] == s.gen) s.items_needed |= 1u << field;
  }

  // List fields with regex or several-operator tests: one scan per item.
  const uint32_t items = (s.items_needed | set.ungated[ev.kind]) & ev.present;
  for (uint32_t fields = static_cast<uint32_t>(todo >> 32) & items; fields != 0;
       fields &= fields - 1) {
    const size_t f = static_cast<size_t>(__builtin_ctz(fields));
    std::string_view rest = ev.value[f];
    while (!rest.empty()) {
      const size_t nul = rest.find('\0');
      const std::string_view item = rest.substr(0, nul);
      s.begin_unit();
      scan_value(set.per_item[f], item, s);
      rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    }
  }

  std::sort(s.candidates.begin(), s.candidates.end());

  const uint64_t kind_bit = uint64_t{1} << ev.kind;
  const uint32_t* test_gen = s.test_gen.data();
  const uint32_t gen = s.gen;
  auto hit = [test_gen, gen](uint32_t t) {
    return test_gen[t] == gen;
  };
  for (uint32_t r : s.candidates) {
    const Rule& rule = set.rules[r];
    if ((rule.kinds & kind_bit) && set.eval(set.roots[r], hit)) out.push_back(&rule);
  }
}

}  // namespace vigil::rules
