// fold_constants.cc - a node whose inputs are all constants (Constant itself, arithmetic on
// initializers, Shape of a constant...) is run once at load; its outputs become constants.
#include "engine/passes/pass.hpp"

namespace rtml {

Status pass_fold_constants(Graph& g, const PassCtx& ctx) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    bool all_const = true;
    for (ValueId v : n.inputs) all_const &= v == kNoValue || g.is_constant(v);
    if (!all_const) continue;
    bool plain_outputs = true;
    for (ValueId o : n.outputs) plain_outputs &= o == kNoValue || g.values[o].kind == ValueKind::Tensor;
    if (!plain_outputs) continue;
    std::vector<Tensor> outs;
    Status s = ctx.evaluate(g, i, &outs);
    if (s.code() == StatusCode::Unsupported) continue;  // e.g. too large to fold: left to run time
    if (!s.ok()) return Status(s.code() == StatusCode::InvalidInput ? StatusCode::InvalidModel : s.code(), s.message());
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      if (n.outputs[o] == kNoValue) continue;
      g.values[n.outputs[o]].constant = std::make_shared<const Tensor>(std::move(outs[o]));
    }
    n.op_type.clear();
    changed = true;
  }
  if (changed) compact(g);
  return {};
}

}  // namespace rtml
