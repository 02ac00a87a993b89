// pass.hpp - what a graph pass sees. A pass is a free function over the loaded graph (every node
// has its OpDef and state; every value its dtype) in its own file; engine/passes/passes.inc holds
// the order. A pass that rewrites or adds a node calls reload() on it so that the node's OpDef
// checks it and builds its state again.
#pragma once

#include <vector>

#include "engine/op.hpp"

namespace rtml {

struct PassCtx {
  const ModelOptions& options;
  // Registry lookup + OpDef::load for node i (after a pass changed or added it).
  Status reload(Graph& g, size_t i) const;
  // Runs node i on constant inputs (all of them known) and returns its outputs; used by folding.
  Status evaluate(const Graph& g, size_t i, std::vector<Tensor>* outputs) const;
};

using PassFn = Status (*)(Graph&, const PassCtx&);

// Graph helpers for passes.
// Uses of every value by nodes, plus one per graph-output position.
std::vector<int> use_counts(const Graph& g);
// Index of the node producing v, or -1 (graph input, initializer).
int producer(const Graph& g, ValueId v);
// Every node input and graph output that reads `from` reads `to` instead.
void replace_uses(Graph& g, ValueId from, ValueId to);
// Drops nodes whose op_type was cleared (the way passes delete nodes), keeping the order.
void compact(Graph& g);
bool is_graph_output(const Graph& g, ValueId v);

}  // namespace rtml
