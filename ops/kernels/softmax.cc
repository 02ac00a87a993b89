// ops/kernels/softmax.cc - the portable Softmax loops (the build's baseline xsimd arch), the
// scalar reference, and the once-per-process ISA choice.
#include "ops/kernels/isa.hpp"
#include "ops/kernels/softmax_impl.hpp"

namespace rtml {
namespace {

void scalar_rows(const float* x, int64_t nrows, int64_t n, float* y, bool log) {
  for (int64_t r = 0; r < nrows; ++r, x += n, y += n) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
    float s = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float e = std::exp(x[i] - m);
      if (!log) y[i] = e;
      s += e;
    }
    if (!log) {
      const float inv = 1.0f / s;
      for (int64_t i = 0; i < n; ++i) y[i] *= inv;
    } else {
      const float sub = m + std::log(s);
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] - sub;
    }
  }
}

void scalar_cols(const float* x, int64_t n, int64_t inner, float* y, float* scratch, bool log) {
  for (int64_t i = 0; i < inner; ++i) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t k = 0; k < n; ++k) m = std::max(m, x[k * inner + i]);
    float s = 0;
    for (int64_t k = 0; k < n; ++k) s += std::exp(x[k * inner + i] - m);
    const float inv = 1.0f / s, sub = m + std::log(s);
    for (int64_t k = 0; k < n; ++k) {
      const float v = x[k * inner + i];
      y[k * inner + i] = log ? v - sub : std::exp(v - m) * inv;
    }
  }
}

#if defined(RTML_HAVE_AVX2_KERNELS)
bool cpu_has_avx2() { return isa::avx2_fma(); }
#endif

struct Tables {
  SoftmaxKernels scalar, portable, avx2;
  bool has_avx2 = false;
  Tables() {
    scalar.rows = &scalar_rows;
    scalar.cols = &scalar_cols;
    scalar.isa = "scalar";
    fill_softmax_kernels_portable(portable);
#if defined(RTML_HAVE_AVX2_KERNELS)
    has_avx2 = cpu_has_avx2();
    if (has_avx2) fill_softmax_kernels_avx2(avx2);
#endif
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

void fill_softmax_kernels_portable(SoftmaxKernels& k) { softmax_simd::fill<xsimd::default_arch>(k, "portable"); }

const SoftmaxKernels& softmax_kernels() {
  static const SoftmaxKernels& best = tables().has_avx2 ? tables().avx2 : tables().portable;
  return best;
}

const SoftmaxKernels* softmax_kernels_variant(int which) {
  if (which == 0) return &tables().scalar;
  if (which == 1) return &tables().portable;
  if (which == 2 && tables().has_avx2) return &tables().avx2;
  return nullptr;
}

}  // namespace rtml
