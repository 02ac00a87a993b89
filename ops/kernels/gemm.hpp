// gemm.hpp - fp32 matrix multiply for MatMul, Gemm and convolution: C = alpha * A x B (+ C) then
// an epilogue (bias, activation). Packed panels, a register-blocked FMA micro-kernel, cache
// blocking, a GEMV path for one row, threads over column/row blocks.
//
//   gemm::Args g;                         // C[M,N] = A[M,K] x B[K,N]
//   g.M = m; g.N = n; g.K = k;
//   g.a = {a, k, 1};                      // element (i,p) at a[i*k + p]
//   g.b.packed = packed_b.data();         // weights packed once with gemm::pack_b
//   g.c = c; g.ldc = n;
//   std::vector<float> ws(gemm::scratch_floats(g, 1));
//   gemm::sgemm(g, ws.data(), nullptr);
//
// Packed layouts (the same for every ISA, so a packed weight works with any kernel variant):
//   packed B (K x N): ceil(N/NR) panels of NR columns; panel j holds B(k, j*NR + c) at
//                     [j*K*NR + k*NR + c], k in [0,K), c in [0,NR); columns past N are 0.
//   packed A (M x K): ceil(M/MR) panels of MR rows; panel i holds A(i*MR + r, k) at
//                     [i*K*MR + k*MR + r]; rows past M are 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rtml {
class ThreadPool;
}

namespace rtml::gemm {

// Panel sizes of the packed layouts. The AVX2 micro-tile is MR rows x NR columns: 6 x 16 = 12 ymm
// accumulators + 2 B vectors + 1 broadcast A value = 15 of the 16 ymm registers. The AVX-512
// micro-tile reads four B panels side by side (6 x 64, see gemm_impl.hpp).
constexpr int MR = 6;
constexpr int NR = 16;

enum class Act : uint8_t { None, Relu, LeakyRelu, Clip, Sigmoid, Tanh };

// Applied once per element of C after the whole sum: y = act(y + bias).
struct Epilogue {
  const float* bias = nullptr;  // bias[n] (per column), or bias[m] when bias_per_row
  bool bias_per_row = false;    // convolution: one bias per output channel (row of C)
  Act act = Act::None;
  float p0 = 0, p1 = 0;         // LeakyRelu: alpha = p0; Clip: [p0, p1]
};

// A matrix operand: either packed (see the layouts above) or element (r,c) at p[r*rs + c*cs].
struct Operand {
  const float* p = nullptr;
  int64_t rs = 0, cs = 1;
  const float* packed = nullptr;
};

struct Args {
  int64_t M = 0, N = 0, K = 0;
  Operand a, b;
  float* c = nullptr;
  int64_t ldc = 0;
  float alpha = 1.0f;
  bool accumulate = false;  // C = alpha*AB + C (C pre-filled, e.g. beta*C of Gemm); else C = alpha*AB
  Epilogue ep;
};

// Floats of packed storage for a K x N matrix B / an M x K matrix A.
inline int64_t packed_b_floats(int64_t K, int64_t N) { return ((N + NR - 1) / NR) * NR * K; }
inline int64_t packed_a_floats(int64_t M, int64_t K) { return ((M + MR - 1) / MR) * MR * K; }
// Pack B (K x N, element (k,n) at b[k*rs + n*cs]) / A (M x K) into `out` (sizes above).
void pack_b(const float* b, int64_t rs, int64_t cs, int64_t K, int64_t N, float* out);
void pack_a(const float* a, int64_t rs, int64_t cs, int64_t M, int64_t K, float* out);

// Scratch floats sgemm needs with `threads` threads (packing buffers per thread).
int64_t scratch_floats(const Args& g, int threads);
// The threads worth using for this size (1 for small problems), at most `max_threads`.
int threads_for(const Args& g, int max_threads);

// C = epilogue(alpha * A x B (+ C)). `scratch` holds scratch_floats(g, threads) floats, 64-byte
// aligned; pool may be null (one thread). Uses `threads` threads of the pool (threads_for).
void sgemm(const Args& g, float* scratch, ThreadPool* pool, int threads = 1);

// Variants, for tests and benchmarks: the scalar reference (operands must be unpacked), the
// portable build (baseline SIMD of the compiler target), AVX2+FMA and AVX-512 (when compiled in
// and the processor has it; RTML_ISA=avx2 hides AVX-512, RTML_ISA=portable both).
enum class Isa { Scalar, Portable, Avx2, Avx512 };
Isa best_isa();
bool isa_available(Isa isa);
void sgemm_isa(Isa isa, const Args& g, float* scratch);  // single thread
// Applies the epilogue to rows [m0,m1) of C (used by callers that compute C another way).
void apply_epilogue(const Epilogue& ep, float* c, int64_t ldc, int64_t m0, int64_t m1, int64_t N);

}  // namespace rtml::gemm
