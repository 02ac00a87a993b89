// registry.cc - the operator registry, filled from the one list in ops/ops.inc.
#include "engine/op.hpp"

namespace rtml {

#define RTML_OP_FAMILY(f) void register_##f##_ops(OpRegistry&);
#include "ops/ops.inc"
#undef RTML_OP_FAMILY

static std::string_view canon_domain(std::string_view d) { return d == "ai.onnx" ? std::string_view() : d; }

const OpDef* OpRegistry::find(std::string_view domain, std::string_view name, int64_t opset) const {
  domain = canon_domain(domain);
  for (const OpDef& d : defs_)
    if (canon_domain(d.domain) == domain && name == d.name && opset >= d.since && (d.until == 0 || opset <= d.until))
      return &d;
  return nullptr;
}

bool OpRegistry::knows(std::string_view domain, std::string_view name) const {
  domain = canon_domain(domain);
  for (const OpDef& d : defs_)
    if (canon_domain(d.domain) == domain && name == d.name) return true;
  return false;
}

const OpRegistry& OpRegistry::global() {
  static const OpRegistry registry = [] {
    OpRegistry r;
#define RTML_OP_FAMILY(f) register_##f##_ops(r);
#include "ops/ops.inc"
#undef RTML_OP_FAMILY
    return r;
  }();
  return registry;
}

}  // namespace rtml
