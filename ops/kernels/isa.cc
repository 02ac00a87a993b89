// isa.cc - host feature detection, cached once per process (see isa.hpp).
#include "ops/kernels/isa.hpp"

#include <cstdlib>
#include <cstring>

namespace rtml::isa {

bool avx2_fma() {
  static const bool yes = [] {
    const char* force = std::getenv("RTML_ISA");
    if (force && std::strcmp(force, "portable") == 0) return false;
#if defined(RTML_HAVE_AVX2_KERNELS) && (defined(__x86_64__) || defined(__i386__))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
  }();
  return yes;
}

}  // namespace rtml::isa
