// fuse_bias_activation.cc - see passes.inc. (Being written: leaves the graph unchanged for now.)
#include "engine/passes/pass.hpp"

namespace rtml {

Status pass_fuse_bias_activation(Graph& g, const PassCtx& ctx) {
  (void)g, (void)ctx;
  return {};
}

}  // namespace rtml
