// ops/quant.cc - (being written)
#include "engine/op.hpp"

namespace rtml {

void register_quant_ops(OpRegistry& r) { (void)r; }

}  // namespace rtml
