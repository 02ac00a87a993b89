// int8.cc - packing for the int16-widened integer GEMM, its scalar reference, and the choice of
// variant for this processor (once per process).
#include "ops/kernels/isa.hpp"
#include "ops/kernels/int8.hpp"

#include <cstring>

namespace rtml::kernels {

template <class T>
static void pack_b_t(const T* B, int64_t K, int64_t N, int64_t ldb, const int32_t* zpc, int32_t zp, int16_t* out) {
  const int64_t Kp = i8_kp(K), panels = i8_panels(N);
  for (int64_t j = 0; j < panels; ++j) {
    int16_t* pj = out + j * Kp * kI8Nr;
    for (int64_t q = 0; q < Kp / 2; ++q) {
      int16_t* d = pj + q * 2 * kI8Nr;
      for (int64_t c = 0; c < kI8Nr; ++c) {
        const int64_t n = j * kI8Nr + c;
        const int64_t half = c / 8, lane = c % 8;
        int16_t* slot = d + half * 16 + lane * 2;
        for (int64_t t = 0; t < 2; ++t) {
          const int64_t k = 2 * q + t;
          slot[t] = (n < N && k < K) ? static_cast<int16_t>(static_cast<int32_t>(B[k * ldb + n]) - (zpc ? zpc[n] : zp))
                                     : int16_t{0};
        }
      }
    }
  }
}

void pack_b(const void* B, bool is_signed, int64_t K, int64_t N, int64_t ldb, const int32_t* zp_cols, int32_t zp,
            int16_t* out) {
  if (is_signed) pack_b_t(static_cast<const int8_t*>(B), K, N, ldb, zp_cols, zp, out);
  else pack_b_t(static_cast<const uint8_t*>(B), K, N, ldb, zp_cols, zp, out);
}

template <class T>
static void pack_a_t(const T* A, int64_t M, int64_t K, int64_t lda, const int32_t* zpr, int32_t zp, int16_t* out) {
  const int64_t Kp = i8_kp(K);
  for (int64_t m = 0; m < M; ++m) {
    const int32_t z = zpr ? zpr[m] : zp;
    int16_t* d = out + m * Kp;
    for (int64_t k = 0; k < K; ++k) d[k] = static_cast<int16_t>(static_cast<int32_t>(A[m * lda + k]) - z);
    if (Kp != K) d[K] = 0;
  }
}

void pack_a(const void* A, bool is_signed, int64_t M, int64_t K, int64_t lda, const int32_t* zp_rows, int32_t zp,
            int16_t* out) {
  if (is_signed) pack_a_t(static_cast<const int8_t*>(A), M, K, lda, zp_rows, zp, out);
  else pack_a_t(static_cast<const uint8_t*>(A), M, K, lda, zp_rows, zp, out);
}

void gemm_i16_scalar(const int16_t* A, int64_t M, int64_t Kp, const int16_t* Bp, int64_t N, int64_t p0, int64_t p1,
                     int32_t* C, int64_t ldc) {
  for (int64_t j = p0; j < p1; ++j) {
    const int16_t* pj = Bp + j * Kp * kI8Nr;
    for (int64_t m = 0; m < M; ++m) {
      int32_t acc[kI8Nr] = {};
      const int16_t* a = A + m * Kp;
      for (int64_t q = 0; q < Kp / 2; ++q) {
        const int16_t* d = pj + q * 2 * kI8Nr;
        for (int64_t c = 0; c < kI8Nr; ++c) {
          const int16_t* s = d + (c / 8) * 16 + (c % 8) * 2;
          acc[c] += int32_t{a[2 * q]} * s[0] + int32_t{a[2 * q + 1]} * s[1];
        }
      }
      for (int64_t c = 0; c < kI8Nr && j * kI8Nr + c < N; ++c) C[m * ldc + j * kI8Nr + c] = acc[c];
    }
  }
}

static bool int8_host_has_avx2() { return isa::avx2_fma(); }

// Scalar first, then narrowest to widest: the last one is the best (int8_kernels).
std::vector<Int8Kernels> int8_kernel_variants() {
  std::vector<Int8Kernels> v{{"scalar", gemm_i16_scalar}};
#ifdef RTML_HAVE_AVX2_KERNELS
  if (int8_host_has_avx2()) v.push_back({"avx2", gemm_i16_avx2});
#endif
#ifdef RTML_HAVE_AVX512_KERNELS
  if (isa::avx512_vnni()) v.push_back({"avx512vnni", gemm_i16_avx512vnni});
#endif
  return v;
}

const Int8Kernels& int8_kernels() {
  static const Int8Kernels best = int8_kernel_variants().back();
  return best;
}

}  // namespace rtml::kernels
