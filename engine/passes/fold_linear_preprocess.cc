// fold_linear_preprocess.cc - see passes.inc. (Being written: leaves the graph unchanged for now.)
#include "engine/passes/pass.hpp"

namespace rtml {

Status pass_fold_linear_preprocess(Graph& g, const PassCtx& ctx) {
  (void)g, (void)ctx;
  return {};
}

}  // namespace rtml
