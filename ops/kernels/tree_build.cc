// tree_build.cc - canonicalises a TreeGraph into the packed Forest<T> (layout: tree_forest.hpp).
#include <cmath>
#include <limits>

#include "engine/bigmem.hpp"

#include "ops/kernels/tree_forest.hpp"

namespace rtml::trees {
namespace {

// Deeper canonical trees than this are refused: they only come from cycles (each step of a walk
// costs every row one node visit, so a legitimate forest stays far below).
constexpr int32_t kMaxDepth = 1 << 14;

// The test a canonical node makes: go = x <= thr ? jump : next. NaN takes jump iff nan_jump.
template <class T>
struct Canon {
  T thr;
  bool jump_is_true;  // jump leads to ONNX's true child (else to the false child)
  bool nan_jump;
};

template <class T>
T below(T t) { return std::nextafter(t, -std::numeric_limits<T>::infinity()); }

// An order comparison (LEQ LT GTE GT) rewritten as "x <= thr" (ONNX Runtime's rules: a NaN input
// fails the comparison and goes to the false child unless missing_value_tracks_true). No
// canonical threshold is NaN: a test that can never hold becomes "x <= +inf" towards the false
// child, so the no-NaN kernel may compare with ordered-or-equal flags.
template <class T>
Canon<T> order_node(Mode m, T t, bool mt) {
  const T inf = std::numeric_limits<T>::infinity();
  const Canon<T> never{inf, false, !mt};
  if (std::isnan(t)) return never;  // every comparison with NaN is false
  switch (m) {
    case Mode::Leq: return {t, true, mt};
    case Mode::Lt:  // x < t  <=>  x <= below(t); nothing is below -inf
      return t == -inf ? never : Canon<T>{below(t), true, mt};
    case Mode::Gt:  // x > t  <=>  !(x <= t)
      return {t, false, !mt};
    case Mode::Gte:  // x >= t  <=>  !(x <= below(t)); every number is >= -inf
      return t == -inf ? Canon<T>{inf, true, mt} : Canon<T>{below(t), false, !mt};
    default: return never;
  }
}

struct Item {
  int32_t node;
  int32_t depth;
  int32_t patch_off, patch_cnt;  // emitted nodes whose jump must point at this subtree
};

}  // namespace

template <class T>
std::string build_forest(const TreeGraph& g, const ForestInfo& info, Forest<T>* out) {
  const size_t n = g.size();
  if (g.feature.size() != n || g.value.size() != n || g.tchild.size() != n || g.fchild.size() != n ||
      g.w_begin.size() != n + 1 || (!g.missing_true.empty() && g.missing_true.size() != n))
    return "inconsistent tree attribute lengths";
  if (info.n_targets < 1) return "n_targets / class count must be at least 1";
  Forest<T>& f = *out;
  f = Forest<T>();
  f.info = info;
  for (double b : info.base) f.base.push_back(static_cast<T>(b));

  // Leaves: one value each when every leaf feeds the same single target.
  bool single = true;
  int32_t single_target = -1;
  if (info.n_targets == 1) {
    single_target = 0;
  } else {
    for (size_t i = 0; i < n && single; ++i) {
      if (static_cast<Mode>(g.mode[i]) != Mode::Leaf) continue;
      if (g.w_begin[i + 1] - g.w_begin[i] != 1) single = false;
      else if (single_target < 0) single_target = g.w_target[g.w_begin[i]];
      else if (single_target != g.w_target[g.w_begin[i]]) single = false;
    }
    if (single_target < 0) single = false;
    for (size_t i = 0; i < n; ++i) {
      if (static_cast<Mode>(g.mode[i]) != Mode::Leaf) continue;
      for (int32_t w = g.w_begin[i]; w < g.w_begin[i + 1]; ++w)
        if (g.w_target[w] < 0 || g.w_target[w] >= info.n_targets)
          return "a leaf weight targets " + std::to_string(g.w_target[w]) + " but there are " +
                 std::to_string(info.n_targets) + " targets/classes";
    }
  }
  bool one_weight = true;
  for (size_t i = 0; i < n && one_weight; ++i)
    if (static_cast<Mode>(g.mode[i]) == Mode::Leaf && g.w_begin[i + 1] - g.w_begin[i] != 1) one_weight = false;
  f.single = single;
  f.single_target = single ? single_target : 0;
  f.one_weight = single || one_weight;
  if (!single) f.w_begin.push_back(0);
  size_t n_leaf_nodes = 0;
  for (size_t i = 0; i < n; ++i) n_leaf_nodes += static_cast<Mode>(g.mode[i]) == Mode::Leaf;
  if (f.one_weight) {
    mem::reserve_huge(f.leaf_value, n_leaf_nodes);
    mem::reserve_huge(f.leaf_target, n_leaf_nodes);
  }
  if (!single) {
    mem::reserve_huge(f.w_begin, n_leaf_nodes + 1);
    mem::reserve_huge(f.w_target, g.w_target.size());
    mem::reserve_huge(f.w_value, g.w_value.size());
  }

  const size_t cap = 4 * (n + g.members.size()) + 64;
  mem::reserve_huge(f.nodes, n + n / 8 + 16);
  std::vector<Item> stack;
  std::vector<int32_t> patches;
  const T inf = std::numeric_limits<T>::infinity();
  int32_t n_leaves = 0;
  int32_t max_feat = -1;

  for (int32_t root : g.roots) {
    if (root < 0 || static_cast<size_t>(root) >= n) return "a tree root is out of range";
    f.tree_begin.push_back(static_cast<int32_t>(f.nodes.size()));
    int32_t depth = 0;
    stack.clear();
    patches.clear();
    stack.push_back({root, 0, 0, 0});
    while (!stack.empty()) {
      Item it = stack.back();
      stack.pop_back();
      const int32_t idx = static_cast<int32_t>(f.nodes.size());
      for (int32_t p = 0; p < it.patch_cnt; ++p) f.nodes[patches[it.patch_off + p]].jrel = idx;
      if (it.depth > kMaxDepth || f.nodes.size() > cap)
        return "a tree is too deep or has a cycle";
      const size_t i = static_cast<size_t>(it.node);
      const Mode m = static_cast<Mode>(g.mode[i]);
      if (m == Mode::Leaf) {
        f.nodes.push_back({key_of(inf), 0, idx, (n_leaves << 1) | 1});
        ++n_leaves;
        if (single) {
          const int32_t w0 = g.w_begin[i], w1 = g.w_begin[i + 1];
          // ONNX Runtime's single-target path uses the leaf's first weight (the node's value when
          // it has none).
          f.leaf_value.push_back(static_cast<T>(w1 > w0 ? g.w_value[w0] : g.value[i]));
          f.leaf_target.push_back(single_target);
        } else {
          if (f.one_weight) {
            f.leaf_value.push_back(static_cast<T>(g.w_value[g.w_begin[i]]));
            f.leaf_target.push_back(g.w_target[g.w_begin[i]]);
          }
          for (int32_t w = g.w_begin[i]; w < g.w_begin[i + 1]; ++w) {
            f.w_target.push_back(g.w_target[w]);
            f.w_value.push_back(static_cast<T>(g.w_value[w]));
          }
          f.w_begin.push_back(static_cast<int32_t>(f.w_target.size()));
        }
        if (it.depth > depth) depth = it.depth;
        continue;
      }
      const int64_t feat = g.feature[i];
      if (feat < 0 || feat > (int64_t{1} << 30)) return "a node's feature id is out of range";
      if (feat > max_feat) max_feat = static_cast<int32_t>(feat);
      const int32_t tc = g.tchild[i], fc = g.fchild[i];
      if (tc < 0 || static_cast<size_t>(tc) >= n || fc < 0 || static_cast<size_t>(fc) >= n)
        return "a node's child is out of range";
      const bool mt = !g.missing_true.empty() && g.missing_true[i] != 0;
      const T t = static_cast<T>(g.value[i]);
      const int32_t ft = static_cast<int32_t>(feat);
      if (m == Mode::Leq || m == Mode::Lt || m == Mode::Gte || m == Mode::Gt) {
        Canon<T> c = order_node<T>(m, t, mt);
        f.nodes.push_back({key_of(c.thr), ft, -1, c.nan_jump ? 1 : 0});
        patches.push_back(idx);
        stack.push_back({c.jump_is_true ? tc : fc, it.depth + 1, static_cast<int32_t>(patches.size() - 1), 1});
        stack.push_back({c.jump_is_true ? fc : tc, it.depth + 1, 0, 0});
        continue;
      }
      // EQ / NEQ / MEMBER: per value v, (x < v ? -> not equal : next), (x <= v ? -> equal : next);
      // NaN values never match, -inf needs only the second node.
      const double* vals = &g.value[i];
      int32_t k = 1;
      if (m == Mode::Member) {
        if (g.member_begin.size() != n + 1) return "membership values are missing";
        vals = g.members.data() + g.member_begin[i];
        k = g.member_begin[i + 1] - g.member_begin[i];
      } else if (m != Mode::Eq && m != Mode::Neq) {
        return "unknown node mode";
      }
      const bool neq = m == Mode::Neq;
      const int32_t eq_child = neq ? fc : tc, ne_child = neq ? tc : fc;
      const int32_t poff = static_cast<int32_t>(patches.size());
      int32_t steps = 0;
      for (int32_t j = 0; j < k; ++j) {
        const T v = static_cast<T>(vals[j]);
        if (std::isnan(v)) continue;
        const int32_t a = static_cast<int32_t>(f.nodes.size());
        if (v != -inf) {
          f.nodes.push_back({key_of(below(v)), ft, a + 2, 0});  // x < v: not this value, try the next
          ++steps;
        }
        const int32_t b = static_cast<int32_t>(f.nodes.size());
        f.nodes.push_back({key_of(v), ft, -1, (mt && !neq) ? 1 : 0});  // x <= v (and not < v): equal
        patches.push_back(b);
        ++steps;
      }
      if (steps == 0) {
        // Nothing can be equal: always the not-equal child; a NaN input goes to the equal child
        // only for EQ/MEMBER with missing_value_tracks_true.
        f.nodes.push_back({key_of(inf), ft, -1, (neq || !mt) ? 1 : 0});
        patches.push_back(idx);
        stack.push_back({ne_child, it.depth + 1, poff, 1});
        stack.push_back({eq_child, it.depth + 1, 0, 0});
        continue;
      }
      stack.push_back({eq_child, it.depth + steps, poff, static_cast<int32_t>(patches.size()) - poff});
      stack.push_back({ne_child, it.depth + steps, 0, 0});
    }
    f.tree_depth.push_back(depth);
    f.total_depth += depth;
  }
  f.n_features = max_feat + 1;
  // Built with absolute jumps and plain feature ids; stored as the walk reads them (Node).
  constexpr int64_t kRowBytes = kGroup * static_cast<int64_t>(sizeof(T));
  if ((int64_t{max_feat} + 1) * kRowBytes > std::numeric_limits<int32_t>::max())
    return "a node's feature id is too large (" + std::to_string(max_feat) + ")";
  if (static_cast<int64_t>(f.nodes.size()) * static_cast<int64_t>(sizeof(Node<T>)) > std::numeric_limits<int32_t>::max())
    return "the forest has too many nodes (" + std::to_string(f.nodes.size()) + ")";
  for (size_t i = 0; i < f.nodes.size(); ++i) {
    Node<T>& nd = f.nodes[i];
    nd.xoff = static_cast<int32_t>(nd.xoff * kRowBytes);
    nd.jrel = static_cast<int32_t>((static_cast<int64_t>(nd.jrel) - static_cast<int64_t>(i)) * static_cast<int64_t>(sizeof(Node<T>)));
  }
  build_qs(&f);
  build_levels(&f);
  return "";
}

template std::string build_forest<float>(const TreeGraph&, const ForestInfo&, Forest<float>*);
template std::string build_forest<double>(const TreeGraph&, const ForestInfo&, Forest<double>*);

}  // namespace rtml::trees
