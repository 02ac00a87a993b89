// ops/pool.cc - see ops/ops.inc for what this family holds. (Being written.)
#include "engine/op.hpp"

namespace rtml {

void register_pool_ops(OpRegistry& r) { (void)r; }

}  // namespace rtml
