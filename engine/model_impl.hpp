// model_impl.hpp - what a loaded Model holds: the optimised graph, its API view and the facts the
// planner needs (which nodes are evaluated while planning, which inputs key a plan).
#pragma once

#include <vector>

#include "engine/graph.hpp"
#include "engine/op.hpp"

namespace rtml {

struct Model::Impl {
  Graph graph;
  ModelOptions options;
  std::vector<IOInfo> inputs, outputs;
  std::vector<std::pair<std::string, int64_t>> opsets;
  std::map<std::string, int> op_counts;  // of the file, before optimisation
  // Per node: evaluated while planning, always (its output decides a shape, or it reads only
  // shapes) or when all its inputs are known then.
  std::vector<uint8_t> plan_time_required;
  // Per graph input (position): its value decides shapes, so it is part of a plan's key.
  std::vector<uint8_t> key_input;
  bool has_key_inputs = false;
};

// Registry lookup + OpDef::load for node i; the status names the node.
Status load_node(Graph& g, size_t i);

}  // namespace rtml
