// fuse_conv_bn.cc - Conv followed by an inference BatchNormalization becomes one Conv with folded
// weights: s = scale / sqrt(var + eps); W'[m] = W[m] * s[m]; B'[m] = (B[m] - mean[m]) * s[m] + bias[m].
// Only when W, B and the BN parameters are constants, the Conv output feeds the BN alone, and the
// BN's extra (training) outputs are unused.
#include <cmath>

#include "engine/passes/pass.hpp"

namespace rtml {
namespace {

const Tensor* const_f32(const Graph& g, ValueId v, int64_t numel) {
  if (v == kNoValue || !g.is_constant(v)) return nullptr;
  const Tensor* t = g.values[v].constant.get();
  if (t->dtype() != DType::F32 || (numel >= 0 && t->numel() != numel)) return nullptr;
  return t;
}

}  // namespace

Status pass_fuse_conv_bn(Graph& g, const PassCtx& ctx) {
  std::vector<int> uses = use_counts(g);
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& bn = g.nodes[i];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.inputs.size() != 5) continue;
    if (const Attr* tm = bn.attrs.find("training_mode"); tm && tm->i != 0) continue;
    if (const Attr* sp = bn.attrs.find("spatial"); sp && sp->i == 0) continue;
    bool extra_used = false;
    for (size_t o = 1; o < bn.outputs.size(); ++o) extra_used |= bn.outputs[o] != kNoValue && uses[bn.outputs[o]] > 0;
    if (extra_used || bn.outputs.empty() || bn.outputs[0] == kNoValue) continue;
    const ValueId x = bn.inputs[0];
    if (x == kNoValue || uses[x] != 1 || is_graph_output(g, x)) continue;
    const int ci = producer(g, x);
    if (ci < 0) continue;
    Node& conv = g.nodes[ci];
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.inputs.size() < 2) continue;
    const Tensor* w = const_f32(g, conv.inputs[1], -1);
    if (!w || w->shape().rank() < 3) continue;
    const int64_t M = w->shape()[0];
    const bool has_b = conv.inputs.size() > 2 && conv.inputs[2] != kNoValue;
    const Tensor* b = has_b ? const_f32(g, conv.inputs[2], M) : nullptr;
    if (has_b && !b) continue;
    const Tensor* scale = const_f32(g, bn.inputs[1], M);
    const Tensor* bias = const_f32(g, bn.inputs[2], M);
    const Tensor* mean = const_f32(g, bn.inputs[3], M);
    const Tensor* var = const_f32(g, bn.inputs[4], M);
    if (!scale || !bias || !mean || !var) continue;
    const Attr* ea = bn.attrs.find("epsilon");
    const double eps = ea ? ea->f : 1e-5;

    Tensor nw(DType::F32, w->shape()), nb(DType::F32, Shape{M});
    const int64_t per = w->numel() / M;
    for (int64_t m = 0; m < M; ++m) {
      const double s = scale->data<float>()[m] / std::sqrt(static_cast<double>(var->data<float>()[m]) + eps);
      for (int64_t j = 0; j < per; ++j) nw.data<float>()[m * per + j] = static_cast<float>(w->data<float>()[m * per + j] * s);
      const double b0 = b ? b->data<float>()[m] : 0.0;
      nb.data<float>()[m] = static_cast<float>((b0 - mean->data<float>()[m]) * s + bias->data<float>()[m]);
    }
    const ValueId wv = g.add_value(g.values[conv.inputs[1]].name + "/bn_folded");
    g.values[wv].dtype = DType::F32;
    g.values[wv].constant = std::make_shared<const Tensor>(std::move(nw));
    const ValueId bv = g.add_value(g.values[bn.outputs[0]].name + "/bn_bias");
    g.values[bv].dtype = DType::F32;
    g.values[bv].constant = std::make_shared<const Tensor>(std::move(nb));
    Node& c2 = g.nodes[ci];  // g.values grew, g.nodes did not: the reference stays valid
    c2.inputs.resize(3);
    c2.inputs[1] = wv, c2.inputs[2] = bv;
    c2.outputs[0] = g.nodes[i].outputs[0];
    g.nodes[i].op_type.clear();
    if (Status s = ctx.reload(g, ci); !s.ok()) return s;
    uses = use_counts(g);
    changed = true;
  }
  if (changed) compact(g);
  return {};
}

}  // namespace rtml
