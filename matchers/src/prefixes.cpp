// Which literal prefixes a field must start with for a set of rules to have
// any chance of holding: a driver can then drop, before it copies anything
// out of the kernel, the events no rule could match.
#include <algorithm>

#include "program.h"

namespace vigil::rules::detail {
namespace {

using Prefixes = std::optional<std::vector<std::string>>;

struct Walk {
  const std::vector<Node>& nodes;
  const std::vector<uint32_t>& kids;
  const std::vector<Test>& tests;
  FieldId field;

  // What node `n` requires of the field; nullopt: nothing.
  Prefixes of(uint32_t n) const {
    const Node& node = nodes[n];
    switch (node.op) {
      case NodeOp::Test:
        return of_test(tests[node.a]);
      case NodeOp::All:
        // Every child must hold: the narrowest requirement of any one will do.
        {
          Prefixes best;
          for (uint32_t i = node.a; i < node.a + node.n; ++i) {
            Prefixes p = of(kids[i]);
            if (p && (!best || p->size() < best->size())) best = std::move(p);
          }
          return best;
        }
      case NodeOp::Any: {
        // One child is enough: each must require something.
        std::vector<std::string> all;
        for (uint32_t i = node.a; i < node.a + node.n; ++i) {
          Prefixes p = of(kids[i]);
          if (!p) return std::nullopt;
          all.insert(all.end(), p->begin(), p->end());
        }
        return all;
      }
      case NodeOp::Not:
        return std::nullopt;
    }
    return std::nullopt;
  }

  // Every atom of a test must hold on the value: one that pins its start
  // is a requirement.
  Prefixes of_test(const Test& t) const {
    if (t.field != field) return std::nullopt;
    for (const Atom& a : t.atoms) {
      if (a.nocase) continue;
      if (a.op != Op::StartsWith && a.op != Op::Equals && a.op != Op::In) continue;
      if (std::any_of(a.values.begin(), a.values.end(), [](auto& v) { return v.empty(); })) {
        continue;
      }
      return a.values;
    }
    return std::nullopt;
  }
};

}  // namespace

std::optional<std::vector<std::string>> required_prefixes(const std::vector<Rule>& rules,
                                                          const std::vector<uint32_t>& roots,
                                                          const std::vector<Node>& nodes,
                                                          const std::vector<uint32_t>& kids,
                                                          const std::vector<Test>& tests,
                                                          FieldId field, uint16_t kind) {
  const Walk walk{nodes, kids, tests, field};
  std::vector<std::string> all;
  for (size_t r = 0; r < rules.size(); ++r) {
    if (!rules[r].enabled || !(rules[r].kinds & (uint64_t{1} << kind))) continue;
    Prefixes p = walk.of(roots[r]);
    if (!p) return std::nullopt;
    all.insert(all.end(), p->begin(), p->end());
  }

  // Sorted, a prefix comes right before the values it absorbs.
  std::sort(all.begin(), all.end());
  std::vector<std::string> out;
  for (std::string& v : all) {
    if (!out.empty() && v.starts_with(out.back())) continue;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vigil::rules::detail
