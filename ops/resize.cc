// ops/resize.cc - (being written)
#include "engine/op.hpp"

namespace rtml {

void register_resize_ops(OpRegistry& r) { (void)r; }

}  // namespace rtml
