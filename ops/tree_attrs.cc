// tree_attrs.cc - the tree operators' attributes -> TreeGraph + ForestInfo (see tree_attrs.hpp).
// Node ids are resolved the way ONNX Runtime resolves them: (tree id, node id) pairs, a tree's
// root is the first node of each run of equal tree ids, weights on branch nodes are ignored.
#include "ops/tree_attrs.hpp"

#include <cmath>
#include <unordered_map>

#include "engine/bigmem.hpp"

namespace rtml::trees {
namespace {

std::vector<double> tensor_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::F32) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<float>()[i];
  } else if (t.dtype() == DType::F64) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<double>()[i];
  } else {
    v.clear();
  }
  return v;
}

// A float list attribute or its *_as_tensor twin (ONNX Runtime refuses both at once).
std::string floats_or_tensor(LoadCtx& ctx, const char* name, const char* tensor_name, std::vector<double>* out) {
  out->clear();
  if (ctx.has_attr(tensor_name)) {
    if (ctx.has_attr(name)) return std::string("both ") + name + " and " + tensor_name + " are set";
    auto t = ctx.attr_tensor(tensor_name);
    if (!t || (t->dtype() != DType::F32 && t->dtype() != DType::F64))
      return std::string(tensor_name) + " must be a float or double tensor";
    *out = tensor_doubles(*t);
    return "";
  }
  const Attr* a = ctx.attr(name);
  if (a && a->type == Attr::Type::Floats) {
    mem::reserve_huge(*out, a->floats.size());
    out->assign(a->floats.begin(), a->floats.end());
  } else {
    for (float f : ctx.attr_floats(name)) out->push_back(f);
  }
  return "";
}

// v = n copies of x, in huge pages when big (a forest's per-node arrays; bigmem.hpp).
template <class V, class X>
void huge_assign(V& v, size_t n, X x) {
  mem::reserve_huge(v, n);
  v.assign(n, x);
}

// The attribute's list itself (no copy: forests carry millions of values); the copying accessor
// when the attribute has another type, so that LoadCtx records the type error.
const AttrList<int64_t>& ints_ref(LoadCtx& ctx, const char* name, AttrList<int64_t>* keep) {
  const Attr* a = ctx.attr(name);
  if (a && a->type == Attr::Type::Ints) return a->ints;
  *keep = ctx.attr_ints(name);
  return *keep;
}
const AttrList<std::string>& strings_ref(LoadCtx& ctx, const char* name, AttrList<std::string>* keep) {
  const Attr* a = ctx.attr(name);
  if (a && a->type == Attr::Type::Strings) return a->strings;
  *keep = ctx.attr_strings(name);
  return *keep;
}

bool parse_mode(const std::string& s, Mode* m) {
  // The two modes of nearly every node first (a forest has millions).
  if (s.size() == 10 && s == "BRANCH_LEQ") return *m = Mode::Leq, true;
  if (s.size() == 4 && s == "LEAF") return *m = Mode::Leaf, true;
  static const char* const names[] = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT",
                                      "BRANCH_EQ",  "BRANCH_NEQ", "BRANCH_MEMBER", "LEAF"};
  for (int i = 0; i < 8; ++i)
    if (s == names[i]) return *m = static_cast<Mode>(i), true;
  return false;
}

bool parse_post(const std::string& s, Post* p) {
  static const char* const names[] = {"NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"};
  for (int i = 0; i < 5; ++i)
    if (s == names[i]) return *p = static_cast<Post>(i), true;
  return false;
}

bool parse_agg(const std::string& s, Agg* a) {
  static const char* const names[] = {"AVERAGE", "SUM", "MIN", "MAX"};
  for (int i = 0; i < 4; ++i)
    if (s == names[i]) return *a = static_cast<Agg>(i), true;
  return false;
}

// (tree id, node id) -> node index. Dense when every tree is one run of node ids 0..len-1 (what
// every converter writes: no hashing of millions of nodes), a hash map otherwise.
class IdMap {
 public:
  std::string build(const AttrList<int64_t>& tree, const AttrList<int64_t>& node) {
    const size_t n = tree.size();
    mem::reserve_huge(inv_, n);
    inv_.assign(n, -1);
    for (size_t i = 0; i < n;) {
      size_t j = i;
      while (j < n && tree[j] == tree[i]) ++j;
      if (!runs_.emplace(tree[i], Run{static_cast<int32_t>(i), static_cast<int32_t>(j)}).second) dense_ = false;
      for (size_t k = i; k < j && dense_; ++k) {
        const int64_t id = node[k];
        if (id < 0 || id >= static_cast<int64_t>(j - i) || inv_[i + id] != -1) dense_ = false;
        else inv_[i + id] = static_cast<int32_t>(k);
      }
      i = j;
    }
    if (dense_) return "";
    inv_.clear();
    pairs_.reserve(n);
    for (size_t i = 0; i < n; ++i)
      if (!pairs_.emplace(Key{tree[i], node[i]}, static_cast<int32_t>(i)).second)
        return "node " + std::to_string(node[i]) + " of tree " + std::to_string(tree[i]) + " is defined twice";
    return "";
  }
  int32_t find(int64_t tree, int64_t node) {
    if (dense_) {
      if (tree != last_tree_ || !last_) {  // lookups come tree by tree: one hash lookup a tree
        auto it = runs_.find(tree);
        last_tree_ = tree;
        last_ = it == runs_.end() ? nullptr : &it->second;
      }
      if (!last_ || node < 0 || node >= last_->end - last_->begin) return -1;
      return inv_[last_->begin + node];
    }
    auto it = pairs_.find(Key{tree, node});
    return it == pairs_.end() ? -1 : it->second;
  }

 private:
  struct Run {
    int32_t begin, end;
  };
  struct Key {
    int64_t t, n;
    bool operator==(const Key& o) const { return t == o.t && n == o.n; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<uint64_t>()(static_cast<uint64_t>(k.t) * 1000003u ^ static_cast<uint64_t>(k.n)); }
  };
  bool dense_ = true;
  int64_t last_tree_ = 0;
  const Run* last_ = nullptr;
  std::unordered_map<int64_t, Run> runs_;
  std::vector<int32_t> inv_;
  std::unordered_map<Key, int32_t, KeyHash> pairs_;
};

// Weights (node index, target, value) -> CSR per node in entry order.
void csr_weights(size_t n, const std::vector<int32_t>& w_node, const AttrList<int64_t>& target,
                 const std::vector<double>& value, TreeGraph* g) {
  huge_assign(g->w_begin, n + 1, 0);
  for (int32_t i : w_node) ++g->w_begin[i + 1];
  for (size_t i = 0; i < n; ++i) g->w_begin[i + 1] += g->w_begin[i];
  std::vector<int32_t> pos;
  mem::reserve_huge(pos, n);
  pos.assign(g->w_begin.begin(), g->w_begin.end() - 1);
  huge_assign(g->w_target, w_node.size(), 0);
  huge_assign(g->w_value, w_node.size(), 0.0);
  for (size_t j = 0; j < w_node.size(); ++j) {
    const int32_t p = pos[w_node[j]]++;
    const int64_t t = target[j];
    g->w_target[p] = t < 0 || t > INT32_MAX ? -1 : static_cast<int32_t>(t);
    g->w_value[p] = value[j];
  }
}

}  // namespace

std::string parse_v3(LoadCtx& ctx, bool classifier, ParsedTrees* out, bool* unsupported) {
  *unsupported = false;
  TreeGraph& g = out->graph;
  ForestInfo& info = out->info;
  info.kind = classifier ? Kind::Classifier : Kind::Regressor;

  AttrList<int64_t> k1, k2, k3, k4, k5, k6, k7;
  AttrList<std::string> ks;
  const AttrList<int64_t>& treeids = ints_ref(ctx, "nodes_treeids", &k1);
  const AttrList<int64_t>& nodeids = ints_ref(ctx, "nodes_nodeids", &k2);
  const AttrList<int64_t>& trueids = ints_ref(ctx, "nodes_truenodeids", &k3);
  const AttrList<int64_t>& falseids = ints_ref(ctx, "nodes_falsenodeids", &k4);
  const AttrList<std::string>& modes = strings_ref(ctx, "nodes_modes", &ks);
  AttrList<int64_t> k8, k9;
  const AttrList<int64_t>& feature = ints_ref(ctx, "nodes_featureids", &k8);
  const AttrList<int64_t>& mt = ints_ref(ctx, "nodes_missing_value_tracks_true", &k9);
  mem::reserve_huge(g.feature, feature.size());
  g.feature.assign(feature.begin(), feature.end());
  if (std::string e = floats_or_tensor(ctx, "nodes_values", "nodes_values_as_tensor", &g.value); !e.empty()) return e;
  const size_t n = treeids.size();
  if (nodeids.size() != n || trueids.size() != n || falseids.size() != n || modes.size() != n ||
      g.feature.size() != n || g.value.size() != n)
    return "the nodes_* attributes must all have one value per node";
  if (n >= static_cast<size_t>(INT32_MAX / 4)) return "too many nodes";

  const char* p = classifier ? "class_" : "target_";
  const AttrList<int64_t>& w_tree = ints_ref(ctx, (std::string(p) + "treeids").c_str(), &k5);
  const AttrList<int64_t>& w_node = ints_ref(ctx, (std::string(p) + "nodeids").c_str(), &k6);
  const AttrList<int64_t>& w_ids = ints_ref(ctx, (std::string(p) + "ids").c_str(), &k7);
  std::vector<double> w_val;
  if (std::string e = floats_or_tensor(ctx, (std::string(p) + "weights").c_str(),
                                       (std::string(p) + "weights_as_tensor").c_str(), &w_val);
      !e.empty())
    return e;
  if (w_node.size() != w_tree.size() || w_ids.size() != w_tree.size() || w_val.size() != w_tree.size())
    return std::string("the ") + p + "* attributes must all have one value per weight";
  if (std::string e = floats_or_tensor(ctx, "base_values", "base_values_as_tensor", &info.base); !e.empty()) return e;

  std::string post = ctx.attr_string("post_transform", "NONE");
  if (!parse_post(post, &info.post)) return "unknown post_transform '" + post + "'";
  if (classifier) {
    out->label_strings = ctx.attr_strings("classlabels_strings");
    const std::vector<int64_t> ints = ctx.attr_ints("classlabels_int64s");
    if (!out->label_strings.empty() && !ints.empty()) return "both classlabels_strings and classlabels_int64s are set";
    if (out->label_strings.empty()) {
      info.labels = ints;
    } else {
      for (size_t i = 0; i < out->label_strings.size(); ++i) info.labels.push_back(static_cast<int64_t>(i));
    }
    if (info.labels.empty()) return "a classifier needs classlabels_strings or classlabels_int64s";
    if (info.labels.size() < 2) {
      *unsupported = true;
      return "a classifier with a single class label";
    }
    info.n_targets = static_cast<int32_t>(info.labels.size());
    info.agg = Agg::Sum;
    if (info.base.size() > info.labels.size()) return "more base_values than classes";
    // ONNX Runtime's binary case: two classes and every weight for the same class.
    bool one_class = !w_ids.empty();
    for (size_t i = 0; i < w_ids.size(); ++i) {
      if (w_ids[i] != w_ids[0]) one_class = false;
      if (w_val[i] < 0) info.weights_all_positive = false;
    }
    info.binary_case = info.n_targets == 2 && one_class;
  } else {
    const int64_t nt = ctx.attr_int("n_targets", 0);
    if (nt < 1 || nt > (1 << 24)) return "n_targets must be a positive count";
    info.n_targets = static_cast<int32_t>(nt);
    std::string agg = ctx.attr_string("aggregate_function", "SUM");
    if (!parse_agg(agg, &info.agg)) return "unknown aggregate_function '" + agg + "'";
  }

  huge_assign(g.mode, n, uint8_t{0});
  for (size_t i = 0; i < n; ++i) {
    Mode m;
    if (!parse_mode(modes[i], &m) || m == Mode::Member) return "unknown node mode '" + modes[i] + "'";
    g.mode[i] = static_cast<uint8_t>(m);
  }
  // ONNX Runtime reads it only where present (missing entries: false); only 1 means true.
  if (!mt.empty()) {
    huge_assign(g.missing_true, n, uint8_t{0});
    for (size_t i = 0; i < mt.size() && i < n; ++i) g.missing_true[i] = mt[i] == 1;
  }

  IdMap ids;
  if (std::string e = ids.build(treeids, nodeids); !e.empty()) return e;
  huge_assign(g.tchild, n, -1);
  huge_assign(g.fchild, n, -1);
  for (size_t i = 0; i < n; ++i) {
    if (i == 0 || treeids[i] != treeids[i - 1]) g.roots.push_back(static_cast<int32_t>(i));
    if (static_cast<Mode>(g.mode[i]) == Mode::Leaf) continue;
    const int32_t t = ids.find(treeids[i], trueids[i]), f = ids.find(treeids[i], falseids[i]);
    if (t < 0 || f < 0)
      return "node " + std::to_string(nodeids[i]) + " of tree " + std::to_string(treeids[i]) + " points to a missing node";
    if (t == static_cast<int32_t>(i) || f == static_cast<int32_t>(i))
      return "node " + std::to_string(nodeids[i]) + " of tree " + std::to_string(treeids[i]) + " points to itself";
    g.tchild[i] = t;
    g.fchild[i] = f;
  }
  std::vector<int32_t> w_index;
  huge_assign(w_index, w_tree.size(), 0);
  for (size_t j = 0; j < w_tree.size(); ++j) {
    w_index[j] = ids.find(w_tree[j], w_node[j]);
    if (w_index[j] < 0)
      return "a weight refers to node " + std::to_string(w_node[j]) + " of tree " + std::to_string(w_tree[j]) + ", which does not exist";
  }
  csr_weights(n, w_index, w_ids, w_val, &g);
  return "";
}

std::string parse_v5(LoadCtx& ctx, ParsedTrees* out, bool* unsupported) {
  *unsupported = false;
  TreeGraph& g = out->graph;
  ForestInfo& info = out->info;
  info.kind = Kind::Regressor;
  const int64_t nt = ctx.attr_int("n_targets", 0);
  if (nt < 1 || nt > (1 << 24)) return "n_targets must be a positive count";
  info.n_targets = static_cast<int32_t>(nt);
  const int64_t agg = ctx.attr_int("aggregate_function", 1);
  if (agg < 0 || agg > 3) return "aggregate_function must be 0..3";
  info.agg = static_cast<Agg>(agg);
  // ONNX Runtime numbers post_transform by its own enum: 0 NONE, 1 LOGISTIC, 2 SOFTMAX,
  // 3 SOFTMAX_ZERO, 4 PROBIT (checked against onnxruntime 1.30, see tests).
  const int64_t post = ctx.attr_int("post_transform", 0);
  if (post < 0 || post > 4) return "post_transform must be 0..4";
  info.post = static_cast<Post>(post);

  const std::vector<int64_t> roots = ctx.attr_ints("tree_roots");
  const std::vector<int64_t> feat = ctx.attr_ints("nodes_featureids");
  const std::vector<int64_t> tid = ctx.attr_ints("nodes_truenodeids");
  const std::vector<int64_t> fid = ctx.attr_ints("nodes_falsenodeids");
  const std::vector<int64_t> tleaf = ctx.attr_ints("nodes_trueleafs");
  const std::vector<int64_t> fleaf = ctx.attr_ints("nodes_falseleafs");
  const std::vector<int64_t> mt = ctx.attr_ints("nodes_missing_value_tracks_true");
  const std::vector<int64_t> targets = ctx.attr_ints("leaf_targetids");
  auto modes_t = ctx.attr_tensor("nodes_modes");
  auto splits_t = ctx.attr_tensor("nodes_splits");
  auto weights_t = ctx.attr_tensor("leaf_weights");
  auto members_t = ctx.attr_tensor("membership_values");
  if (!modes_t || !splits_t || !weights_t) return "nodes_modes, nodes_splits and leaf_weights are required";
  if (modes_t->dtype() != DType::U8) return "nodes_modes must be a uint8 tensor";
  const std::vector<double> splits = tensor_doubles(*splits_t);
  const std::vector<double> weights = tensor_doubles(*weights_t);
  if (splits.size() != static_cast<size_t>(splits_t->numel()) || weights.size() != static_cast<size_t>(weights_t->numel()))
    return "nodes_splits and leaf_weights must be float or double tensors";
  std::vector<double> members;
  if (members_t) {
    members = tensor_doubles(*members_t);
    if (members.size() != static_cast<size_t>(members_t->numel())) return "membership_values must be a float or double tensor";
  }
  const size_t nb = feat.size(), nl = targets.size();
  if (tid.size() != nb || fid.size() != nb || tleaf.size() != nb || fleaf.size() != nb ||
      static_cast<size_t>(modes_t->numel()) != nb || splits.size() != nb || (!mt.empty() && mt.size() != nb))
    return "the nodes_* attributes must all have one value per node";
  if (weights.size() != nl) return "leaf_targetids and leaf_weights must have the same length";
  if (nb + nl >= static_cast<size_t>(INT32_MAX / 4)) return "too many nodes";

  // Branch i -> node i; leaf j -> node nb + j.
  const size_t n = nb + nl;
  g.mode.assign(n, static_cast<uint8_t>(Mode::Leaf));
  g.feature.assign(n, 0);
  g.value.assign(n, 0);
  g.tchild.assign(n, -1);
  g.fchild.assign(n, -1);
  g.missing_true.assign(n, 0);
  g.member_begin.assign(n + 1, 0);
  const uint8_t* modes = modes_t->data<uint8_t>();
  size_t mpos = 0;
  auto child = [&](int64_t id, int64_t is_leaf, int32_t* outc) {
    if (is_leaf) {
      if (id < 0 || static_cast<size_t>(id) >= nl) return false;
      *outc = static_cast<int32_t>(nb + id);
    } else {
      if (id < 0 || static_cast<size_t>(id) >= nb) return false;
      *outc = static_cast<int32_t>(id);
    }
    return true;
  };
  for (size_t i = 0; i < nb; ++i) {
    if (modes[i] > 6) return "nodes_modes holds an unknown mode " + std::to_string(modes[i]);
    g.mode[i] = modes[i];
    g.feature[i] = feat[i];
    g.value[i] = splits[i];
    g.missing_true[i] = !mt.empty() && mt[i] == 1;
    if (!child(tid[i], tleaf[i], &g.tchild[i]) || !child(fid[i], fleaf[i], &g.fchild[i]))
      return "node " + std::to_string(i) + " has a child out of range";
    if (static_cast<Mode>(modes[i]) == Mode::Member) {
      // The node's set: the values up to the next NaN.
      while (mpos < members.size() && !std::isnan(members[mpos])) g.members.push_back(members[mpos++]);
      ++mpos;
    }
    g.member_begin[i + 1] = static_cast<int32_t>(g.members.size());
  }
  for (size_t i = nb; i < n; ++i) g.member_begin[i + 1] = static_cast<int32_t>(g.members.size());
  std::vector<int32_t> w_index(nl);
  for (size_t j = 0; j < nl; ++j) w_index[j] = static_cast<int32_t>(nb + j);
  csr_weights(n, w_index, targets, weights, &g);
  for (int64_t r : roots) {
    if (r < 0 || static_cast<size_t>(r) >= nb + nl) return "a tree root is out of range";
    // ONNX Runtime's rule: a root whose two children ids are equal is the leaf of that number.
    const bool leaf = static_cast<size_t>(r) < nb && tid[r] == fid[r];
    if (leaf && static_cast<size_t>(r) >= nl) return "a single-leaf tree's leaf is out of range";
    if (!leaf && static_cast<size_t>(r) >= nb) return "a tree root is out of range";
    g.roots.push_back(static_cast<int32_t>(leaf ? nb + r : r));
  }
  return "";
}

}  // namespace rtml::trees
