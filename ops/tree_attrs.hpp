// tree_attrs.hpp - reads the attributes of TreeEnsembleClassifier / TreeEnsembleRegressor (ai.onnx.ml
// opsets 1-3) and TreeEnsemble (opset 5) into the common TreeGraph + ForestInfo
// (ops/kernels/tree_forest.hpp). Used by ops/tree_ensemble.cc at load.
#pragma once

#include <string>
#include <vector>

#include "engine/op.hpp"
#include "ops/kernels/tree_forest.hpp"

namespace rtml::trees {

struct ParsedTrees {
  TreeGraph graph;
  ForestInfo info;
  std::vector<std::string> label_strings;  // classifier with string labels
};

// The v1/v3 attribute set (classifier when `classifier`). Returns "" or why the node is malformed;
// sets *unsupported when the reason is a feature rtml refuses rather than a malformed model.
std::string parse_v3(LoadCtx& ctx, bool classifier, ParsedTrees* out, bool* unsupported);
// The opset-5 TreeEnsemble attributes.
std::string parse_v5(LoadCtx& ctx, ParsedTrees* out, bool* unsupported);

}  // namespace rtml::trees
