// ops/kernels/reduce.cc - the portable reduction loops (the build's baseline xsimd arch: SSE2 on
// x86-64, NEON on aarch64), the scalar reference, and the once-per-process ISA choice.
#include "ops/kernels/isa.hpp"
#include "ops/kernels/reduce_impl.hpp"

namespace rtml {
namespace {

template <RedOp op>
void scalar_rows_op(const float* x, int64_t rows, int64_t n, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    float a = reduce_simd::identity<op>();
    for (int64_t k = 0; k < n; ++k) a = reduce_simd::step_s<op>(a, x[r * n + k]);
    y[r] = a;
  }
}
template <RedOp op>
void scalar_cols_op(const float* x, int64_t n, int64_t inner, float* y) {
  for (int64_t i = 0; i < inner; ++i) {
    float a = reduce_simd::identity<op>();
    for (int64_t k = 0; k < n; ++k) a = reduce_simd::step_s<op>(a, x[k * inner + i]);
    y[i] = a;
  }
}
void scalar_rows(RedOp op, const float* x, int64_t r, int64_t n, float* y) {
  switch (op) {
    case RedOp::Sum: return scalar_rows_op<RedOp::Sum>(x, r, n, y);
    case RedOp::SumSq: return scalar_rows_op<RedOp::SumSq>(x, r, n, y);
    case RedOp::Max: return scalar_rows_op<RedOp::Max>(x, r, n, y);
    case RedOp::Min: return scalar_rows_op<RedOp::Min>(x, r, n, y);
    case RedOp::Prod: return scalar_rows_op<RedOp::Prod>(x, r, n, y);
  }
}
void scalar_cols(RedOp op, const float* x, int64_t n, int64_t inner, float* y) {
  switch (op) {
    case RedOp::Sum: return scalar_cols_op<RedOp::Sum>(x, n, inner, y);
    case RedOp::SumSq: return scalar_cols_op<RedOp::SumSq>(x, n, inner, y);
    case RedOp::Max: return scalar_cols_op<RedOp::Max>(x, n, inner, y);
    case RedOp::Min: return scalar_cols_op<RedOp::Min>(x, n, inner, y);
    case RedOp::Prod: return scalar_cols_op<RedOp::Prod>(x, n, inner, y);
  }
}

#if defined(RTML_HAVE_AVX2_KERNELS)
bool cpu_has_avx2() { return isa::avx2_fma(); }
#endif

struct Tables {
  ReduceKernels scalar, portable, avx2;
  bool has_avx2 = false;
  Tables() {
    scalar.rows = &scalar_rows;
    scalar.cols = &scalar_cols;
    scalar.isa = "scalar";
    fill_reduce_kernels_portable(portable);
#if defined(RTML_HAVE_AVX2_KERNELS)
    has_avx2 = cpu_has_avx2();
    if (has_avx2) fill_reduce_kernels_avx2(avx2);
#endif
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

void fill_reduce_kernels_portable(ReduceKernels& k) { reduce_simd::fill<xsimd::default_arch>(k, "portable"); }

const ReduceKernels& reduce_kernels() {
  static const ReduceKernels& best = tables().has_avx2 ? tables().avx2 : tables().portable;
  return best;
}

const ReduceKernels* reduce_kernels_variant(int which) {
  if (which == 0) return &tables().scalar;
  if (which == 1) return &tables().portable;
  if (which == 2 && tables().has_avx2) return &tables().avx2;
  return nullptr;
}

}  // namespace rtml
