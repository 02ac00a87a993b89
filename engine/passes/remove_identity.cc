// remove_identity.cc - Identity and inference-mode Dropout pass their input through: their
// readers read the input instead and the node goes.
#include "engine/passes/pass.hpp"

namespace rtml {

static bool is_passthrough(const Graph& g, const Node& n, const std::vector<int>& uses) {
  if (!n.domain.empty() || n.inputs.empty() || n.inputs[0] == kNoValue || n.outputs.empty() || n.outputs[0] == kNoValue)
    return false;
  if (n.op_type == "Identity") return n.outputs.size() == 1;
  if (n.op_type != "Dropout") return false;
  // The mask output must be unused, and training_mode (opset 12+) absent or a constant false.
  for (size_t o = 1; o < n.outputs.size(); ++o)
    if (n.outputs[o] != kNoValue && uses[n.outputs[o]] > 0) return false;
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    if (!g.is_constant(n.inputs[2])) return false;
    const Tensor& t = *g.values[n.inputs[2]].constant;
    if (t.numel() != 1 || t.dtype() != DType::Bool || t.data<uint8_t>()[0]) return false;
  }
  return true;
}

Status pass_remove_identity(Graph& g, const PassCtx&) {
  std::vector<int> uses = use_counts(g);
  bool changed = false;
  for (Node& n : g.nodes) {
    if (!is_passthrough(g, n, uses)) continue;
    ValueId in = n.inputs[0], out = n.outputs[0];
    if (g.values[in].kind != g.values[out].kind) continue;
    replace_uses(g, out, in);
    n.op_type.clear();
    changed = true;
  }
  if (changed) compact(g);
  return {};
}

}  // namespace rtml
