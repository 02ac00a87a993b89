// isa.cc - host feature detection, cached once per process (see isa.hpp).
#include "ops/kernels/isa.hpp"

#include <cstdlib>
#include <cstring>

namespace rtml::isa {

namespace {
bool forced(const char* name) {
  const char* force = std::getenv("RTML_ISA");
  return force && std::strcmp(force, name) == 0;
}
}  // namespace

bool avx2_fma() {
  static const bool yes = [] {
    if (forced("portable")) return false;
#if defined(RTML_HAVE_AVX2_KERNELS) && (defined(__x86_64__) || defined(__i386__))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
  }();
  return yes;
}

bool avx512() {
  static const bool yes = [] {
    if (!avx2_fma() || forced("avx2")) return false;
#if defined(RTML_HAVE_AVX512_KERNELS) && defined(__x86_64__)
    // __builtin_cpu_supports reports the CPUID bits; the OS must also save the zmm state (XCR0
    // bits 1, 2, 5, 6, 7), or the first zmm instruction faults.
    if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")))
      return false;
    unsigned lo = 0, hi = 0;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xE6u) == 0xE6u;
#else
    return false;
#endif
  }();
  return yes;
}

bool avx512_vnni() {
  static const bool yes = [] {
    if (!avx512()) return false;
#if defined(RTML_HAVE_AVX512_KERNELS) && defined(__x86_64__)
    return __builtin_cpu_supports("avx512vnni") != 0;
#else
    return false;
#endif
  }();
  return yes;
}

}  // namespace rtml::isa
