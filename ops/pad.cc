// ops/pad.cc - (being written)
#include "engine/op.hpp"

namespace rtml {

void register_pad_ops(OpRegistry& r) { (void)r; }

}  // namespace rtml
