// fuse_bias_activation.cc - Conv / Gemm / MatMul, then an Add of a constant bias, then a cheap
// activation (Relu, Sigmoid, Tanh, LeakyRelu, Clip with constant bounds) become one node whose GEMM
// epilogue does the bias and the activation while the tile is in registers:
//   MatMul (constant 2-D B) + Add([N] or [1,N]) [+ act] -> rtml:FusedMatMul(A, B, bias)
//   Gemm (no C) + Add([N] or [1,N]) [+ act]             -> rtml:FusedGemm(A, B, bias)
//   Conv + Add([M,1..] or [1,M,1..]) [+ act]           -> rtml:FusedConv(X, W, B + bias)
//   Gemm / Conv / MatMul + act                          -> the fused form without a new bias
// Each intermediate value must be read by the next node only and must not be a graph output.
// The fused ops' attributes: activation (op name), activation_alpha, activation_beta.
#include <cmath>
#include <limits>

#include "engine/passes/pass.hpp"

namespace rtml {
namespace {

bool only_use(const Graph& g, const std::vector<int>& uses, ValueId v) {
  return v != kNoValue && uses[v] == 1 && !is_graph_output(g, v);
}

// The single node reading v (uses[v] == 1), or -1.
int reader(const Graph& g, ValueId v) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (ValueId in : g.nodes[i].inputs)
      if (in == v && !g.nodes[i].op_type.empty()) return static_cast<int>(i);
  return -1;
}

const Tensor* constant(const Graph& g, ValueId v) {
  return v != kNoValue && g.is_constant(v) ? g.values[v].constant.get() : nullptr;
}

float scalar_f32(const Tensor* t, float def) {
  if (!t || t->numel() != 1) return def;
  if (t->dtype() == DType::F32) return t->data<float>()[0];
  if (t->dtype() == DType::F64) return static_cast<float>(t->data<double>()[0]);
  return def;
}

// Activation node n as (name, alpha, beta); false if it is not one the epilogue does.
bool activation_of(const Graph& g, const Node& n, std::string* name, float* a, float* b) {
  if (!n.domain.empty() || n.outputs.size() != 1) return false;
  *a = 0.0f, *b = 0.0f;
  if (n.op_type == "Relu" || n.op_type == "Sigmoid" || n.op_type == "Tanh") {
    *name = n.op_type;
    return true;
  }
  if (n.op_type == "LeakyRelu") {
    const Attr* al = n.attrs.find("alpha");
    *a = al ? al->f : 0.01f;
    *name = n.op_type;
    return true;
  }
  if (n.op_type == "Clip") {
    float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
    if (n.opset < 11) {
      if (const Attr* x = n.attrs.find("min")) lo = x->f;
      if (const Attr* x = n.attrs.find("max")) hi = x->f;
    } else {
      for (size_t i = 1; i < n.inputs.size() && i < 3; ++i) {
        if (n.inputs[i] == kNoValue) continue;
        const Tensor* t = constant(g, n.inputs[i]);
        if (!t || t->numel() != 1 || t->dtype() != DType::F32) return false;
        (i == 1 ? lo : hi) = t->data<float>()[0];
      }
    }
    *name = "Clip", *a = lo, *b = hi;
    return true;
  }
  return false;
}

// The bias operand of an Add reading `v`: the other input when constant, of dtype `dt`, with `n`
// values laid out as [n] or [1, n] (GEMMs) / [n, 1, ...] or [1, n, 1, ...] (Conv of rank `conv_rank`).
ValueId bias_of(const Graph& g, const Node& add, ValueId v, DType dt, int64_t n, int conv_rank) {
  if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2) return kNoValue;
  const ValueId other = add.inputs[0] == v ? add.inputs[1] : add.inputs[0];
  if (add.inputs[0] != v && add.inputs[1] != v) return kNoValue;
  const Tensor* t = constant(g, other);
  if (!t || t->dtype() != dt || t->numel() != n || n <= 0) return kNoValue;
  const Shape& s = t->shape();
  if (conv_rank == 0) {
    if (s.rank() < 1 || s.rank() > 2 || s.back() != n) return kNoValue;
  } else {
    // [..1, n, 1 x (conv_rank - 2)] with rank <= conv_rank.
    const int spatial = conv_rank - 2;
    if (s.rank() < spatial + 1 || s.rank() > conv_rank) return kNoValue;
    if (s[s.rank() - spatial - 1] != n) return kNoValue;
  }
  return other;
}

void set_attr_f(Node& n, const char* name, float v) {
  Attr a;
  a.name = name, a.type = Attr::Type::Float, a.f = v;
  n.attrs.set(a);
}

}  // namespace

Status pass_fuse_bias_activation(Graph& g, const PassCtx& ctx) {
  bool changed = false;
  std::vector<int> uses = use_counts(g);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (!n.domain.empty() || n.outputs.size() != 1) continue;
    const bool is_conv = n.op_type == "Conv", is_gemm = n.op_type == "Gemm", is_mm = n.op_type == "MatMul";
    if (!is_conv && !is_gemm && !is_mm) continue;
    const DType dt = g.values[n.outputs[0]].dtype;
    if (dt != DType::F32 && !(is_mm && dt == DType::F64)) continue;
    ValueId out = n.outputs[0];

    // 1. a constant bias added right after.
    ValueId bias = kNoValue;
    int add_i = -1;
    if (only_use(g, uses, out) && (add_i = reader(g, out)) >= 0) {
      const Node& add = g.nodes[add_i];
      if (is_mm) {
        const Tensor* b = constant(g, n.inputs[1]);
        if (b && b->shape().rank() == 2) bias = bias_of(g, add, out, dt, b->shape()[1], 0);
      } else if (is_gemm) {
        const bool has_c = n.inputs.size() > 2 && n.inputs[2] != kNoValue;
        const Attr* tb = n.attrs.find("transB");
        const Tensor* b = constant(g, n.inputs[1]);
        if (!has_c && b && b->shape().rank() == 2)
          bias = bias_of(g, add, out, dt, b->shape()[tb && tb->i ? 0 : 1], 0);
      } else {
        const Tensor* w = constant(g, n.inputs[1]);
        if (w && w->shape().rank() >= 3) bias = bias_of(g, add, out, dt, w->shape()[0], w->shape().rank());
      }
      if (bias == kNoValue) add_i = -1;
    }
    ValueId tail = add_i >= 0 ? g.nodes[add_i].outputs[0] : out;

    // 2. an activation reading the result.
    int act_i = -1;
    std::string act;
    float aa = 0, ab = 0;
    if (only_use(g, uses, tail) && (act_i = reader(g, tail)) >= 0) {
      const Node& an = g.nodes[act_i];
      if (an.inputs.empty() || an.inputs[0] != tail || !activation_of(g, an, &act, &aa, &ab)) act_i = -1;
    }
    if (add_i < 0 && act_i < 0) continue;

    // Rewrite n into its fused form.
    if (bias != kNoValue) {
      if (is_conv) {
        const Tensor* bt = constant(g, bias);
        const int64_t M = bt->numel();
        Tensor nb(DType::F32, Shape{M});
        const bool had = n.inputs.size() > 2 && n.inputs[2] != kNoValue;
        const Tensor* old = had ? constant(g, n.inputs[2]) : nullptr;
        if (had && (!old || old->dtype() != DType::F32 || old->numel() != M)) continue;
        for (int64_t m = 0; m < M; ++m) nb.data<float>()[m] = (old ? old->data<float>()[m] : 0.0f) + bt->data<float>()[m];
        const ValueId bv = g.add_value(g.values[out].name + "/fused_bias");
        g.values[bv].dtype = DType::F32;
        g.values[bv].constant = std::make_shared<const Tensor>(std::move(nb));
        n.inputs.resize(3);
        n.inputs[2] = bv;
      } else {
        n.inputs.resize(3);
        n.inputs[2] = bias;
        if (is_gemm) set_attr_f(n, "beta", 1.0f);
      }
    }
    if (act_i >= 0) {
      Attr a;
      a.name = "activation", a.type = Attr::Type::String, a.s = act;
      n.attrs.set(a);
      set_attr_f(n, "activation_alpha", aa);
      set_attr_f(n, "activation_beta", ab);
    }
    const ValueId final_out = act_i >= 0 ? g.nodes[act_i].outputs[0] : tail;
    n.outputs[0] = final_out;
    n.domain = "rtml";
    n.op_type = is_conv ? "FusedConv" : is_gemm ? "FusedGemm" : "FusedMatMul";
    if (add_i >= 0) g.nodes[add_i].op_type.clear();
    if (act_i >= 0) g.nodes[act_i].op_type.clear();
    if (g.opset("rtml") == 0) g.opsets.emplace_back("rtml", 1);
    if (Status s = ctx.reload(g, i); !s.ok()) return s;
    uses = use_counts(g);
    changed = true;
  }
  if (changed) compact(g);
  return {};
}

}  // namespace rtml
