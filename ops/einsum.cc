// ops/einsum.cc - (being written)
#include "engine/op.hpp"

namespace rtml {

void register_einsum_ops(OpRegistry& r) { (void)r; }

}  // namespace rtml
