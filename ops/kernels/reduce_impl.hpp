// ops/kernels/reduce_impl.hpp - the reduction loops of ops/kernels/reduce.hpp, written once as
// templates on the xsimd arch. Included only by reduce.cc (portable) and reduce_avx2.cc.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <xsimd/xsimd.hpp>

#include "ops/kernels/reduce.hpp"

// Anonymous: each ISA's translation unit keeps its own copy (no cross-ISA symbol merging).
namespace rtml::reduce_simd {
namespace {

template <RedOp op>
inline float identity() {
  if constexpr (op == RedOp::Max) return -std::numeric_limits<float>::infinity();
  else if constexpr (op == RedOp::Min) return std::numeric_limits<float>::infinity();
  else if constexpr (op == RedOp::Prod) return 1.0f;
  else return 0.0f;
}

// acc (+)= x for one lane type (float or a batch).
template <RedOp op, class V>
inline V step(V acc, V x) {
  if constexpr (op == RedOp::Sum) return acc + x;
  else if constexpr (op == RedOp::SumSq) return acc + x * x;
  else if constexpr (op == RedOp::Max) return xsimd::max(acc, x);
  else if constexpr (op == RedOp::Min) return xsimd::min(acc, x);
  else return acc * x;
}
template <RedOp op>
inline float step_s(float acc, float x) {
  if constexpr (op == RedOp::Sum) return acc + x;
  else if constexpr (op == RedOp::SumSq) return acc + x * x;
  else if constexpr (op == RedOp::Max) return std::max(acc, x);
  else if constexpr (op == RedOp::Min) return std::min(acc, x);
  else return acc * x;
}
// Combines two partial results (SumSq partials are already squared).
template <RedOp op, class V>
inline V merge(V a, V b) {
  if constexpr (op == RedOp::Sum || op == RedOp::SumSq) return a + b;
  else if constexpr (op == RedOp::Max) return xsimd::max(a, b);
  else if constexpr (op == RedOp::Min) return xsimd::min(a, b);
  else return a * b;
}
template <RedOp op>
inline float merge_s(float a, float b) {
  if constexpr (op == RedOp::Sum || op == RedOp::SumSq) return a + b;
  else if constexpr (op == RedOp::Max) return std::max(a, b);
  else if constexpr (op == RedOp::Min) return std::min(a, b);
  else return a * b;
}

// One contiguous run. Four accumulators hide the add latency (4 x 8 lanes on AVX2).
template <class A, RedOp op>
float reduce_run(const float* x, int64_t n) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t W = B::size;
  int64_t i = 0;
  float r = identity<op>();
  if (n >= 4 * W) {
    B a0(identity<op>()), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 4 * W <= n; i += 4 * W) {
      a0 = step<op>(a0, B::load_unaligned(x + i));
      a1 = step<op>(a1, B::load_unaligned(x + i + W));
      a2 = step<op>(a2, B::load_unaligned(x + i + 2 * W));
      a3 = step<op>(a3, B::load_unaligned(x + i + 3 * W));
    }
    for (; i + W <= n; i += W) a0 = step<op>(a0, B::load_unaligned(x + i));
    B a = merge<op>(merge<op>(a0, a1), merge<op>(a2, a3));
    alignas(64) float lanes[W];
    a.store_aligned(lanes);
    for (int64_t l = 0; l < W; ++l) r = merge_s<op>(r, lanes[l]);
  }
  for (; i < n; ++i) r = step_s<op>(r, x[i]);
  return r;
}

template <class A, RedOp op>
void rows_op(const float* x, int64_t rows, int64_t n, float* y) {
  for (int64_t r = 0; r < rows; ++r) y[r] = reduce_run<A, op>(x + r * n, n);
}

// y[i] over k, row by row: y (inner floats) stays in cache and every row is read in order;
// the W-wide blocks of a row are independent, so no add/max latency chain forms.
template <class A, RedOp op>
void cols_op(const float* x, int64_t n, int64_t inner, float* y) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t W = B::size;
  const int64_t vend = inner - inner % W;
  const B id(identity<op>());
  for (int64_t i = 0; i < vend; i += W) id.store_unaligned(y + i);
  for (int64_t i = vend; i < inner; ++i) y[i] = identity<op>();
  for (int64_t k = 0; k < n; ++k) {
    const float* xk = x + k * inner;
    for (int64_t i = 0; i < vend; i += W) step<op>(B::load_unaligned(y + i), B::load_unaligned(xk + i)).store_unaligned(y + i);
    for (int64_t i = vend; i < inner; ++i) y[i] = step_s<op>(y[i], xk[i]);
  }
}

template <class A>
void rows(RedOp op, const float* x, int64_t r, int64_t n, float* y) {
  switch (op) {
    case RedOp::Sum: return rows_op<A, RedOp::Sum>(x, r, n, y);
    case RedOp::SumSq: return rows_op<A, RedOp::SumSq>(x, r, n, y);
    case RedOp::Max: return rows_op<A, RedOp::Max>(x, r, n, y);
    case RedOp::Min: return rows_op<A, RedOp::Min>(x, r, n, y);
    case RedOp::Prod: return rows_op<A, RedOp::Prod>(x, r, n, y);
  }
}

template <class A>
void cols(RedOp op, const float* x, int64_t n, int64_t inner, float* y) {
  switch (op) {
    case RedOp::Sum: return cols_op<A, RedOp::Sum>(x, n, inner, y);
    case RedOp::SumSq: return cols_op<A, RedOp::SumSq>(x, n, inner, y);
    case RedOp::Max: return cols_op<A, RedOp::Max>(x, n, inner, y);
    case RedOp::Min: return cols_op<A, RedOp::Min>(x, n, inner, y);
    case RedOp::Prod: return cols_op<A, RedOp::Prod>(x, n, inner, y);
  }
}

template <class A>
void fill(ReduceKernels& k, const char* isa) {
  k.rows = &rows<A>;
  k.cols = &cols<A>;
  k.isa = isa;
}

}  // namespace
}  // namespace rtml::reduce_simd
