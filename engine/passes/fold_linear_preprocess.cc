// fold_linear_preprocess.cc - the scikit-learn pipeline fast paths around the linear models:
//
//  1. Scaler -> LinearClassifier/LinearRegressor: W.((x - o) * s) + b = (W*s).x + (b - W.(s*o)),
//     so the Scaler goes and its constants are folded into the coefficients (in double, rounded
//     once), when the folding is exact enough (see kFoldBudget).
//  2. LinearClassifier/LinearRegressor -> Normalizer (skl2onnx's L1 normalisation of the
//     probabilities): the Normalizer runs inside the linear kernel on the scores it just wrote
//     (the node becomes rtml:LinearClassifier with attribute `normalize`), same arithmetic.
//  3. OneHotEncoders -> Concat along their last (category) axis: one rtml:OneHotConcat node sets
//     the ones of every column straight into the concatenated output (no one-hot matrices).
#include <cmath>
#include <string>
#include <vector>

#include "engine/passes/pass.hpp"

namespace rtml {
namespace {

// Folding changes the rounding of the scores: the runtime dot product now carries the terms
// W*s*x whose sum cancels against the folded intercept, adding about eps * sum_f |W s o| of
// absolute error per score. Fold only when that bound, at float's 2^-23, stays below 1e-5 (a
// tenth of a percent of the tolerance the models are checked with, 1e-4 relative + 1e-5 absolute,
// after a softmax whose slope is at most 1/4).
constexpr double kFoldBudget = 1e-5;

bool is_ml(const Node& n, const char* op) {
  return (n.domain == "ai.onnx.ml" || n.domain == "rtml") && n.op_type == op;
}
bool is_linear(const Node& n) { return is_ml(n, "LinearClassifier") || is_ml(n, "LinearRegressor"); }

const AttrList<float>* floats_attr(const Node& n, const char* name) {
  const Attr* a = n.attrs.find(name);
  return a && a->type == Attr::Type::Floats ? &a->floats : nullptr;
}

void set_floats(Node& n, const char* name, std::vector<float> v) {
  Attr a;
  a.name = name;
  a.type = Attr::Type::Floats;
  a.floats = std::move(v);
  n.attrs.set(std::move(a));
}

// Classes (rows of coefficients) the loaded linear node uses, or 0 when unknown.
int64_t linear_rows(const Node& n) {
  const auto* icpt = floats_attr(n, "intercepts");
  if (n.op_type == "LinearRegressor") {
    const Attr* t = n.attrs.find("targets");
    return t && t->type == Attr::Type::Int ? t->i : 1;
  }
  if (icpt && !icpt->empty()) return static_cast<int64_t>(icpt->size());
  const Attr* li = n.attrs.find("classlabels_ints");
  const Attr* ls = n.attrs.find("classlabels_strings");
  if (ls && !ls->strings.empty()) return static_cast<int64_t>(ls->strings.size());
  if (li && !li->ints.empty()) return static_cast<int64_t>(li->ints.size());
  return 0;
}

bool fold_scaler(Graph& g, const PassCtx& ctx, size_t li, const std::vector<int>& uses) {
  Node& lin = g.nodes[li];
  ValueId x = lin.inputs.empty() ? kNoValue : lin.inputs[0];
  if (x == kNoValue || uses[x] != 1 || is_graph_output(g, x)) return false;
  int si = producer(g, x);
  if (si < 0) return false;
  Node& sc = g.nodes[si];
  if (!is_ml(sc, "Scaler") || sc.inputs.empty() || sc.inputs[0] == kNoValue) return false;
  if (g.values[sc.inputs[0]].dtype != DType::F32) return false;  // other types round differently
  const auto* coef = floats_attr(lin, "coefficients");
  const int64_t C = linear_rows(lin);
  if (!coef || C <= 0 || coef->size() % C != 0) return false;
  const int64_t F = static_cast<int64_t>(coef->size()) / C;
  std::vector<float> s = floats_attr(sc, "scale") ? floats_attr(sc, "scale")->vec() : std::vector<float>();
  std::vector<float> o = floats_attr(sc, "offset") ? floats_attr(sc, "offset")->vec() : std::vector<float>();
  if (s.empty()) s.assign(o.size(), 1.f);
  if (o.empty()) o.assign(s.size(), 0.f);
  if (s.size() != o.size() || s.empty()) return false;
  if (s.size() == 1) s.assign(F, s[0]), o.assign(F, o[0]);
  if (static_cast<int64_t>(s.size()) != F) return false;
  std::vector<float> b(C, 0.f);
  const auto* icpt = floats_attr(lin, "intercepts");
  const bool has_icpt = icpt && static_cast<int64_t>(icpt->size()) == C;
  if (icpt && !icpt->empty() && !has_icpt) return false;
  if (has_icpt) b = icpt->vec();
  std::vector<float> w2(coef->size()), b2(C);
  for (int64_t c = 0; c < C; ++c) {
    double shift = 0, bound = 0;
    for (int64_t f = 0; f < F; ++f) {
      const double w = (*coef)[c * F + f];
      w2[c * F + f] = static_cast<float>(w * s[f]);
      shift += w * s[f] * o[f];
      bound += std::fabs(w * s[f] * o[f]);
    }
    if (!std::isfinite(shift) || bound * std::ldexp(1.0, -23) > kFoldBudget) return false;
    b2[c] = static_cast<float>(b[c] - shift);
  }
  Node saved = lin;
  set_floats(lin, "coefficients", std::move(w2));
  set_floats(lin, "intercepts", std::move(b2));
  lin.inputs[0] = sc.inputs[0];
  if (!ctx.reload(g, li).ok()) {
    g.nodes[li] = std::move(saved);
    ctx.reload(g, li);
    return false;
  }
  g.nodes[si].op_type.clear();
  return true;
}

bool fuse_normalizer(Graph& g, const PassCtx& ctx, size_t li, const std::vector<int>& uses) {
  Node& lin = g.nodes[li];
  if (lin.attrs.find("normalize")) return false;
  const size_t out = lin.op_type == "LinearClassifier" ? 1 : 0;
  if (lin.outputs.size() <= out || lin.outputs[out] == kNoValue) return false;
  ValueId s = lin.outputs[out];
  if (uses[s] != 1 || is_graph_output(g, s)) return false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (!is_ml(n, "Normalizer") || n.inputs.empty() || n.inputs[0] != s || n.outputs.empty()) continue;
    const Attr* norm = n.attrs.find("norm");
    std::string mode = norm && norm->type == Attr::Type::String ? norm->s : "MAX";
    Node saved = lin;
    Attr a;
    a.name = "normalize";
    a.type = Attr::Type::String;
    a.s = mode;
    lin.attrs.set(a);
    lin.domain = "rtml";
    lin.outputs[out] = n.outputs[0];
    if (!ctx.reload(g, li).ok()) {
      g.nodes[li] = std::move(saved);
      ctx.reload(g, li);
      return false;
    }
    n.op_type.clear();
    return true;
  }
  return false;
}

// Rank of v from declared shapes, looking through shape-keeping Cast / Identity; -1 unknown.
int rank_of(const Graph& g, ValueId v) {
  for (int hops = 0; hops < 8 && v != kNoValue; ++hops) {
    if (g.values[v].has_declared_shape) return static_cast<int>(g.values[v].declared_shape.size());
    int p = producer(g, v);
    if (p < 0) return -1;
    const Node& n = g.nodes[p];
    if (!n.domain.empty() || (n.op_type != "Cast" && n.op_type != "Identity") || n.inputs.empty()) return -1;
    v = n.inputs[0];
  }
  return -1;
}

bool fuse_one_hot_concat(Graph& g, const PassCtx& ctx, size_t ci, const std::vector<int>& uses) {
  Node& cat = g.nodes[ci];
  if (!cat.domain.empty() || cat.op_type != "Concat" || cat.inputs.size() < 2 || cat.outputs.size() != 1) return false;
  const Attr* ax = cat.attrs.find("axis");
  if (!ax || ax->type != Attr::Type::Int) return false;
  std::vector<int> ohe;
  int rank = -1;
  for (ValueId v : cat.inputs) {
    if (v == kNoValue || uses[v] != 1 || is_graph_output(g, v)) return false;
    int p = producer(g, v);
    if (p < 0 || !is_ml(g.nodes[p], "OneHotEncoder") || g.nodes[p].inputs.empty()) return false;
    int r = rank_of(g, g.nodes[p].inputs[0]);
    if (r >= 0) {
      if (rank >= 0 && r != rank) return false;
      rank = r;
    }
    ohe.push_back(p);
  }
  // The concatenation must run along the category axis (the last one, = the input rank).
  if (!(ax->i == -1 || (rank >= 0 && ax->i == rank))) return false;
  Node fused;
  fused.name = cat.name;
  fused.domain = "rtml";
  fused.op_type = "OneHotConcat";
  fused.outputs = cat.outputs;
  for (size_t k = 0; k < ohe.size(); ++k) {
    const Node& o = g.nodes[ohe[k]];
    fused.inputs.push_back(o.inputs[0]);
    for (const char* name : {"cats_int64s", "cats_strings", "zeros"}) {
      if (const Attr* a = o.attrs.find(name)) {
        Attr copy = *a;
        copy.name = std::string(name) + "_" + std::to_string(k);
        fused.attrs.set(std::move(copy));
      }
    }
  }
  Node saved = std::move(cat);
  g.nodes[ci] = std::move(fused);
  if (!ctx.reload(g, ci).ok()) {
    g.nodes[ci] = std::move(saved);
    ctx.reload(g, ci);
    return false;
  }
  for (int p : ohe) g.nodes[p].op_type.clear();
  return true;
}

}  // namespace

Status pass_fold_linear_preprocess(Graph& g, const PassCtx& ctx) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!is_linear(g.nodes[i])) continue;
    std::vector<int> uses = use_counts(g);
    changed |= fold_scaler(g, ctx, i, uses);
    uses = use_counts(g);
    changed |= fuse_normalizer(g, ctx, i, uses);
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op_type != "Concat") continue;
    changed |= fuse_one_hot_concat(g, ctx, i, use_counts(g));
  }
  if (changed) compact(g);
  return {};
}

}  // namespace rtml
