// dead_nodes.cc - drops nodes none of whose outputs reach a graph output.
#include "engine/passes/pass.hpp"

namespace rtml {

Status pass_dead_nodes(Graph& g, const PassCtx&) {
  std::vector<uint8_t> live(g.values.size(), 0);
  for (ValueId v : g.outputs) live[v] = 1;
  bool changed = false;
  for (size_t k = g.nodes.size(); k-- > 0;) {
    Node& n = g.nodes[k];
    bool used = false;
    for (ValueId o : n.outputs) used |= o != kNoValue && live[o];
    if (!used) {
      n.op_type.clear();
      changed = true;
      continue;
    }
    for (ValueId v : n.inputs)
      if (v != kNoValue) live[v] = 1;
  }
  if (changed) compact(g);
  return {};
}

}  // namespace rtml
