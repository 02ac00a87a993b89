// ops/kernels/transpose.cc - the scalar tiled transpose entry and the once-per-process choice.
#include "ops/kernels/isa.hpp"
#include "ops/kernels/transpose.hpp"

namespace rtml {
namespace {

void t32_scalar(const uint32_t* in, int64_t R, int64_t C, uint32_t* out) { transpose_tiles(in, R, C, out); }

struct Tables {
  TransposeKernels scalar, avx2;
  bool has_avx2 = false;
  Tables() {
    scalar.t32 = &t32_scalar;
    scalar.isa = "scalar";
#if defined(RTML_HAVE_AVX2_KERNELS) && (defined(__x86_64__) || defined(__i386__))
    has_avx2 = isa::avx2_fma();
    if (has_avx2) fill_transpose_kernels_avx2(avx2);
#endif
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const TransposeKernels& transpose_kernels() {
  static const TransposeKernels& best = tables().has_avx2 ? tables().avx2 : tables().scalar;
  return best;
}

const TransposeKernels* transpose_kernels_variant(int which) {
  if (which == 0) return &tables().scalar;
  if (which == 2 && tables().has_avx2) return &tables().avx2;
  return nullptr;
}

}  // namespace rtml
