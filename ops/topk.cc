// ops/topk.cc - (being written)
#include "engine/op.hpp"

namespace rtml {

void register_topk_ops(OpRegistry& r) { (void)r; }

}  // namespace rtml
