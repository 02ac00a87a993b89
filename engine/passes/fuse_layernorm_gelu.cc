// fuse_layernorm_gelu.cc - rewrites what older exporters spell out into one node:
//   LayerNorm: ReduceMean(x) -> Sub(x, mean) = d -> Pow(d, 2) | Mul(d, d) -> ReduceMean -> Add eps
//              -> Sqrt -> Div(d, .) | Mul(d, Reciprocal(.)) [-> Mul gamma] [-> Add beta]
//   GELU:      Div(x, sqrt 2) | Mul(x, 1/sqrt 2) -> Erf -> Add 1 -> the tail below
//   GELU tanh: Pow(x, 3) | x*x*x -> Mul 0.044715 -> Add x -> Mul sqrt(2/pi) -> Tanh -> Add 1
//              -> the tail below
//   tail:      Mul(x, .) -> Mul 0.5 | Mul(Mul(x, 0.5), .) | Mul(x, Mul(., 0.5))
// Operands of Add and Mul are matched in either order. Every intermediate value must have no other
// reader (nor be a graph output). The fused node is ai.onnx LayerNormalization (opset >= 17) /
// Gelu (opset >= 20), else the same op in the internal "rtml" domain.
#include <algorithm>
#include <cmath>

#include "engine/passes/pass.hpp"

namespace rtml {
namespace {

struct Matcher {
  Graph& g;
  std::vector<int> uses;

  const Node* prod(ValueId v, const char* op) const {
    int p = v >= 0 ? producer(g, v) : -1;
    if (p < 0) return nullptr;
    const Node& n = g.nodes[p];
    return n.domain.empty() && n.op_type == op ? &n : nullptr;
  }
  int prod_index(ValueId v) const { return v >= 0 ? producer(g, v) : -1; }
  bool single_use(ValueId v) const { return v >= 0 && uses[v] == 1 && !is_graph_output(g, v); }
  bool scalar(ValueId v, double* out) const {
    if (!g.is_constant(v)) return false;
    const Tensor& t = *g.values[v].constant;
    if (t.numel() != 1) return false;
    switch (t.dtype()) {
      case DType::F32: *out = t.data<float>()[0]; return true;
      case DType::F64: *out = t.data<double>()[0]; return true;
      default: return false;
    }
  }
  bool scalar_near(ValueId v, double want, double tol) const {
    double x;
    return scalar(v, &x) && std::fabs(x - want) <= tol * std::fabs(want);
  }
  // The one node reading v (nullptr unless v has exactly one reader and is no graph output).
  int sole_reader(ValueId v) const {
    if (!single_use(v)) return -1;
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (ValueId in : g.nodes[i].inputs)
        if (in == v) return static_cast<int>(i);
    return -1;
  }
  // A binary node with operand `known`: returns the other operand (or kNoValue).
  static ValueId other(const Node& n, ValueId known) {
    if (n.inputs.size() != 2) return kNoValue;
    if (n.inputs[0] == known) return n.inputs[1];
    if (n.inputs[1] == known) return n.inputs[0];
    return kNoValue;
  }
  bool is(int i, const char* op) const {
    return i >= 0 && g.nodes[i].domain.empty() && g.nodes[i].op_type == op;
  }
};

// Pattern match of the GELU tail starting from `a` = the output of Add(1, ...). On success `last`
// is the node whose output becomes the Gelu output and `dead` gets the tail's other nodes.
bool match_gelu_tail(const Matcher& m, ValueId x, int add_node, int* last, std::vector<int>* dead) {
  const ValueId a = m.g.nodes[add_node].outputs[0];
  int m1 = m.sole_reader(a);
  if (!m.is(m1, "Mul")) return false;
  ValueId o = Matcher::other(m.g.nodes[m1], a);
  if (o == x) {  // x * (1 + erf) then * 0.5
    int m2 = m.sole_reader(m.g.nodes[m1].outputs[0]);
    if (!m.is(m2, "Mul") || !m.scalar_near(Matcher::other(m.g.nodes[m2], m.g.nodes[m1].outputs[0]), 0.5, 1e-6)) return false;
    dead->push_back(m1);
    *last = m2;
    return true;
  }
  if (m.scalar_near(o, 0.5, 1e-6)) {  // x * ((1 + erf) * 0.5)
    int m2 = m.sole_reader(m.g.nodes[m1].outputs[0]);
    if (!m.is(m2, "Mul") || Matcher::other(m.g.nodes[m2], m.g.nodes[m1].outputs[0]) != x) return false;
    dead->push_back(m1);
    *last = m2;
    return true;
  }
  int h = m.prod_index(o);  // (x * 0.5) * (1 + erf)
  if (!m.is(h, "Mul") || !m.single_use(o) || Matcher::other(m.g.nodes[h], x) == kNoValue ||
      !m.scalar_near(Matcher::other(m.g.nodes[h], x), 0.5, 1e-6))
    return false;
  dead->push_back(h);
  *last = m1;
  return true;
}

// Add(1, t) reading t once: returns the Add's index or -1.
int add_one_after(const Matcher& m, ValueId t) {
  int a = m.sole_reader(t);
  if (!m.is(a, "Add") || !m.scalar_near(Matcher::other(m.g.nodes[a], t), 1.0, 1e-6)) return -1;
  return a;
}

// x of Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x) producing v; kNoValue otherwise.
ValueId cube_of(const Matcher& m, ValueId v, std::vector<int>* nodes) {
  int p = m.prod_index(v);
  if (m.is(p, "Pow") && m.scalar_near(m.g.nodes[p].inputs[1], 3.0, 1e-6)) {
    nodes->push_back(p);
    return m.g.nodes[p].inputs[0];
  }
  if (!m.is(p, "Mul")) return kNoValue;
  const Node& n = m.g.nodes[p];
  for (int s = 0; s < 2; ++s) {
    int q = m.prod_index(n.inputs[s]);
    if (!m.is(q, "Mul") || !m.single_use(n.inputs[s])) continue;
    const Node& sq = m.g.nodes[q];
    if (sq.inputs[0] == sq.inputs[1] && sq.inputs[0] == n.inputs[1 - s]) {
      nodes->push_back(p), nodes->push_back(q);
      return sq.inputs[0];
    }
  }
  return kNoValue;
}

struct Rewrite {
  int last = -1;             // node replaced by the fused node
  std::vector<int> dead;     // nodes removed
  Node fused;
};

bool match_gelu(const Matcher& m, int i, Rewrite* rw) {
  const Node& n = m.g.nodes[i];
  if (!n.domain.empty() || n.inputs.empty() || n.outputs.empty()) return false;
  ValueId x = kNoValue;
  bool tanh = false;
  std::vector<int> dead;
  if (n.op_type == "Erf") {
    ValueId d = n.inputs[0];
    int p = m.prod_index(d);
    if (!m.single_use(d) || p < 0) return false;
    const Node& pn = m.g.nodes[p];
    if (m.is(p, "Div") && m.scalar_near(pn.inputs[1], std::sqrt(2.0), 1e-4)) x = pn.inputs[0];
    else if (m.is(p, "Mul") && m.scalar_near(pn.inputs[1], std::sqrt(0.5), 1e-4)) x = pn.inputs[0];
    else if (m.is(p, "Mul") && m.scalar_near(pn.inputs[0], std::sqrt(0.5), 1e-4)) x = pn.inputs[1];
    else return false;
    dead.push_back(p);
  } else if (n.op_type == "Tanh") {
    tanh = true;
    ValueId t = n.inputs[0];
    int p = m.prod_index(t);  // Mul(sqrt(2/pi), s)
    if (!m.single_use(t) || !m.is(p, "Mul")) return false;
    const Node& pn = m.g.nodes[p];
    const double k0 = std::sqrt(2.0 / M_PI);
    ValueId s = m.scalar_near(pn.inputs[0], k0, 1e-4) ? pn.inputs[1]
              : m.scalar_near(pn.inputs[1], k0, 1e-4) ? pn.inputs[0] : kNoValue;
    int q = m.prod_index(s);  // Add(x, Mul(0.044715, x^3))
    if (s == kNoValue || !m.single_use(s) || !m.is(q, "Add")) return false;
    dead.push_back(p), dead.push_back(q);
    const Node& qn = m.g.nodes[q];
    for (int side = 0; side < 2 && x == kNoValue; ++side) {
      ValueId c = qn.inputs[side];
      int r = m.prod_index(c);
      if (!m.is(r, "Mul") || !m.single_use(c)) continue;
      const Node& rn = m.g.nodes[r];
      ValueId cube = m.scalar_near(rn.inputs[0], 0.044715, 1e-4) ? rn.inputs[1]
                   : m.scalar_near(rn.inputs[1], 0.044715, 1e-4) ? rn.inputs[0] : kNoValue;
      std::vector<int> cn;
      if (cube == kNoValue || !m.single_use(cube)) continue;
      ValueId cx = cube_of(m, cube, &cn);
      if (cx == kNoValue || cx != qn.inputs[1 - side]) continue;
      x = cx;
      dead.push_back(r);
      dead.insert(dead.end(), cn.begin(), cn.end());
    }
    if (x == kNoValue) return false;
  } else {
    return false;
  }
  if (m.g.values[x].dtype != DType::F32) return false;
  int a = add_one_after(m, n.outputs[0]);
  if (a < 0) return false;
  dead.push_back(i), dead.push_back(a);
  int last = -1;
  if (!match_gelu_tail(m, x, a, &last, &dead)) return false;
  rw->last = last;
  rw->dead = dead;
  Node f;
  f.name = m.g.nodes[last].name;
  int64_t opset = m.g.opset("");
  f.domain = opset >= 20 ? "" : "rtml";
  f.opset = opset >= 20 ? opset : 1;
  f.op_type = "Gelu";
  f.inputs = {x};
  f.outputs = {m.g.nodes[last].outputs[0]};
  if (tanh) {
    Attr at;
    at.name = "approximate", at.type = Attr::Type::String, at.s = "tanh";
    f.attrs.set(at);
  }
  rw->fused = std::move(f);
  return true;
}

// Reduced axes of a ReduceMean as negative axes (-k..-1, contiguous, keepdims=1); 0 if not such.
int trailing_axes(const Matcher& m, const Node& n, ValueId x) {
  if (const Attr* kd = n.attrs.find("keepdims"); kd && kd->i != 1) return 0;
  std::vector<int64_t> axes;
  if (const Attr* a = n.attrs.find("axes")) axes = a->ints.vec();
  else if (n.inputs.size() > 1 && m.g.is_constant(n.inputs[1])) {
    const Tensor& t = *m.g.values[n.inputs[1]].constant;
    if (t.dtype() != DType::I64) return 0;
    axes.assign(t.data<int64_t>(), t.data<int64_t>() + t.numel());
  }
  if (axes.empty()) return 0;
  const ValueInfo& vi = m.g.values[x];
  const int rank = vi.has_declared_shape ? static_cast<int>(vi.declared_shape.size()) : -1;
  for (int64_t& a : axes) {
    if (a >= 0) {
      if (rank < 0) return 0;
      a -= rank;
    }
  }
  std::sort(axes.begin(), axes.end());
  const int k = static_cast<int>(axes.size());
  for (int j = 0; j < k; ++j)
    if (axes[j] != j - k) return 0;
  return k;
}

bool match_layernorm(const Matcher& m, int i, Rewrite* rw) {
  const Node& rm1 = m.g.nodes[i];
  if (!m.is(i, "ReduceMean") || rm1.inputs.empty()) return false;
  const ValueId x = rm1.inputs[0];
  if (m.g.values[x].dtype != DType::F32) return false;
  const int k = trailing_axes(m, rm1, x);
  if (k == 0) return false;
  const ValueId mean = rm1.outputs[0];
  // mean is read by Sub(x, mean) only.
  int sub = m.sole_reader(mean);
  if (!m.is(sub, "Sub") || m.g.nodes[sub].inputs[0] != x || m.g.nodes[sub].inputs[1] != mean) return false;
  const ValueId d = m.g.nodes[sub].outputs[0];
  if (is_graph_output(m.g, d)) return false;
  int sq = -1, div = -1;
  for (size_t j = 0; j < m.g.nodes.size(); ++j) {
    const Node& n = m.g.nodes[j];
    bool reads = false;
    for (ValueId v : n.inputs) reads |= v == d;
    if (!reads) continue;
    if ((m.is(j, "Pow") && n.inputs[0] == d && m.scalar_near(n.inputs[1], 2.0, 1e-6)) ||
        (m.is(j, "Mul") && n.inputs[0] == d && n.inputs[1] == d))
      sq = static_cast<int>(j);
    else
      div = static_cast<int>(j);
  }
  if (sq < 0 || div < 0) return false;
  // d is read by the square (twice when Mul(d, d)) and by the division only.
  if (m.uses[d] != (m.is(sq, "Mul") ? 3 : 2)) return false;
  int rm2 = m.sole_reader(m.g.nodes[sq].outputs[0]);
  if (!m.is(rm2, "ReduceMean") || trailing_axes(m, m.g.nodes[rm2], m.g.nodes[sq].outputs[0]) != k) return false;
  const ValueId var = m.g.nodes[rm2].outputs[0];
  int add = m.sole_reader(var);
  double eps = 0;
  if (!m.is(add, "Add") || !m.scalar(Matcher::other(m.g.nodes[add], var), &eps)) return false;
  int sqrt_n = m.sole_reader(m.g.nodes[add].outputs[0]);
  if (!m.is(sqrt_n, "Sqrt")) return false;
  const ValueId sd = m.g.nodes[sqrt_n].outputs[0];
  std::vector<int> dead = {i, sub, sq, rm2, add, sqrt_n};
  ValueId normed;
  if (m.is(div, "Div") && m.g.nodes[div].inputs[0] == d && m.g.nodes[div].inputs[1] == sd && m.single_use(sd)) {
    normed = m.g.nodes[div].outputs[0];
  } else if (m.is(div, "Mul")) {  // d * Reciprocal(sqrt)
    int rc = m.sole_reader(sd);
    if (!m.is(rc, "Reciprocal") || Matcher::other(m.g.nodes[div], d) != m.g.nodes[rc].outputs[0] ||
        !m.single_use(m.g.nodes[rc].outputs[0]))
      return false;
    dead.push_back(rc);
    normed = m.g.nodes[div].outputs[0];
  } else {
    return false;
  }
  int last = div;
  ValueId gamma = kNoValue, beta = kNoValue;
  int mul = m.sole_reader(normed);
  auto fits = [&](ValueId p) {  // a constant whose shape sits inside the normalised dims
    if (!m.g.is_constant(p)) return false;
    const Shape& s = m.g.values[p].constant->shape();
    int r = s.rank(), lead = 0;
    while (lead < r && s[lead] == 1) ++lead;
    // leading 1s beyond x's rank would make the unfused output's rank larger
    const ValueInfo& xi = m.g.values[x];
    const int xr = xi.has_declared_shape ? static_cast<int>(xi.declared_shape.size()) : -1;
    if (r > k && (xr < 0 || r > xr)) return false;
    return r - lead <= k && m.g.values[p].constant->dtype() == DType::F32;
  };
  if (m.is(mul, "Mul") && fits(Matcher::other(m.g.nodes[mul], normed))) {
    gamma = Matcher::other(m.g.nodes[mul], normed);
    dead.push_back(last);
    last = mul;
    ValueId y1 = m.g.nodes[mul].outputs[0];
    int ad = m.sole_reader(y1);
    if (m.is(ad, "Add") && fits(Matcher::other(m.g.nodes[ad], y1))) {
      beta = Matcher::other(m.g.nodes[ad], y1);
      dead.push_back(last);
      last = ad;
    }
  }
  Node f;
  f.name = m.g.nodes[last].name;
  const int64_t opset = m.g.opset("");
  const bool std_op = opset >= 17 && gamma != kNoValue;  // ai.onnx requires Scale
  f.domain = std_op ? "" : "rtml";
  f.opset = std_op ? opset : 1;
  f.op_type = "LayerNormalization";
  f.inputs = {x, gamma};
  if (beta != kNoValue) f.inputs.push_back(beta);
  f.outputs = {m.g.nodes[last].outputs[0]};
  Attr ax, ep;
  ax.name = "axis", ax.type = Attr::Type::Int, ax.i = -k;
  ep.name = "epsilon", ep.type = Attr::Type::Float, ep.f = static_cast<float>(eps);
  f.attrs.set(ax), f.attrs.set(ep);
  rw->last = last;
  rw->dead = dead;
  rw->fused = std::move(f);
  return true;
}

}  // namespace

Status pass_fuse_layernorm_gelu(Graph& g, const PassCtx& ctx) {
  bool changed = false;
  for (int kind = 0; kind < 2; ++kind) {  // LayerNorm first: GELU often reads its output
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& n = g.nodes[i];
      const bool anchor = n.domain.empty() && (kind == 0 ? n.op_type == "ReduceMean" : (n.op_type == "Erf" || n.op_type == "Tanh"));
      if (!anchor) continue;
      Matcher m{g, use_counts(g)};
      Rewrite rw;
      bool hit = kind == 0 ? match_layernorm(m, static_cast<int>(i), &rw) : match_gelu(m, static_cast<int>(i), &rw);
      if (!hit) continue;
      Node saved = g.nodes[rw.last];
      if (rw.fused.domain == "rtml" && g.opset("rtml") == 0) g.opsets.emplace_back("rtml", 1);
      g.nodes[rw.last] = std::move(rw.fused);
      if (!ctx.reload(g, rw.last).ok()) {  // keep the unfused graph if the fused node is refused
        g.nodes[rw.last] = std::move(saved);
        continue;
      }
      for (int d : rw.dead)
        if (d != rw.last) g.nodes[d].op_type.clear();
      changed = true;
    }
    if (changed) compact(g), changed = false;
  }
  return {};
}

}  // namespace rtml
