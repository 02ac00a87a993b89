// ops/preprocess_ml.cc - see ops/ops.inc for what this family holds. (Being written.)
#include "engine/op.hpp"

namespace rtml {

void register_preprocess_ml_ops(OpRegistry& r) { (void)r; }

}  // namespace rtml
