// ops/kernels/elementwise.cc - the portable (baseline ISA: SSE2 on x86-64, NEON on aarch64) and
// scalar-reference instantiations of the element-wise loops, and the one place that picks the
// ISA for this process.
#include "ops/kernels/isa.hpp"
#include "ops/kernels/elementwise_kernels.hpp"

namespace rtml {

void fill_ew_kernels_scalar(EwKernels& k) { ew::fill<ew::ScalarArch>(k, "scalar"); }
void fill_ew_kernels_portable(EwKernels& k) { ew::fill<xsimd::default_arch>(k, xsimd::default_arch::name()); }

static bool host_has_avx2() { return isa::avx2_fma(); }

const EwKernels* ew_kernels_for(Isa isa) {
  static const EwKernels scalar = [] { EwKernels k; fill_ew_kernels_scalar(k); return k; }();
  static const EwKernels portable = [] { EwKernels k; fill_ew_kernels_portable(k); return k; }();
  switch (isa) {
    case Isa::Scalar: return &scalar;
    case Isa::Portable: return &portable;
    case Isa::Avx2: {
#if defined(RTML_HAVE_AVX2_KERNELS)
      static const EwKernels avx2 = [] { EwKernels k; fill_ew_kernels_avx2(k); return k; }();
      if (host_has_avx2()) return &avx2;
#endif
      return nullptr;
    }
  }
  return nullptr;
}

const EwKernels& ew_kernels() {
  static const EwKernels* best = [] {
    const EwKernels* k = ew_kernels_for(Isa::Avx2);
    return k ? k : ew_kernels_for(Isa::Portable);
  }();
  return *best;
}

}  // namespace rtml
