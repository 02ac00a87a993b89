// ops/kernels/linear_post.hpp - what the ai.onnx.ml models do after the dot products: the
// post_transform attribute (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT) and Normalizer's row
// norms (MAX, L1, L2), with ONNX Runtime's arithmetic (float, same operation order).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "ops/kernels/linear.hpp"

namespace rtml::linear {

enum class Post { None, Logistic, Softmax, SoftmaxZero, Probit };
enum class Norm { Max, L1, L2 };

inline bool parse_post(const std::string& s, Post* p) {
  if (s == "NONE") *p = Post::None;
  else if (s == "LOGISTIC") *p = Post::Logistic;
  else if (s == "SOFTMAX") *p = Post::Softmax;
  else if (s == "SOFTMAX_ZERO") *p = Post::SoftmaxZero;
  else if (s == "PROBIT") *p = Post::Probit;
  else return false;
  return true;
}

inline bool parse_norm(const std::string& s, Norm* n) {
  if (s == "MAX") *n = Norm::Max;
  else if (s == "L1") *n = Norm::L1;
  else if (s == "L2") *n = Norm::L2;
  else return false;
  return true;
}

// Inverse error function by the Winitzki approximation (a = 0.147), as ONNX Runtime uses it.
inline float erf_inv(float x) {
  float sgn = x < 0 ? -1.0f : 1.0f;
  x = (1 - x) * (1 + x);
  float lg = std::log(x);
  float v = 2 / (static_cast<float>(M_PI) * 0.147f) + 0.5f * lg;
  float v2 = 1 / 0.147f * lg;
  float v3 = -v + std::sqrt(v * v - v2);
  return sgn * std::sqrt(v3);
}
inline float probit(float v) { return static_cast<float>(M_SQRT2) * erf_inv(2 * v - 1); }
inline float logistic(float v) {
  float e = 1 / (1 + std::exp(-std::fabs(v)));
  return v < 0 ? 1 - e : e;
}

// Softmax that leaves (near) zero scores out of the sum (they become 0 * exp(-max)).
inline void softmax_zero_row(float* row, int64_t C) {
  float m = -std::numeric_limits<float>::max();
  for (int64_t c = 0; c < C; ++c) m = row[c] > m ? row[c] : m;
  float e_neg_max = std::exp(-m);
  float sum = 0.f;
  for (int64_t c = 0; c < C; ++c) {
    if (row[c] > 0.0000001f || row[c] < -0.0000001f) {
      row[c] = std::exp(row[c] - m);
      sum += row[c];
    } else {
      row[c] *= e_neg_max;
    }
  }
  for (int64_t c = 0; c < C; ++c) row[c] /= sum;
}

// The post transform of a [rows, C] block with C >= 2, in place.
inline void apply_post(Post p, float* s, int64_t rows, int64_t C, const Variant& v) {
  const int64_t n = rows * C;
  switch (p) {
    case Post::None: break;
    case Post::Logistic: v.logistic(s, s, n); break;
    case Post::Softmax: softmax_rows(s, rows, C, v.exp); break;
    case Post::SoftmaxZero:
      for (int64_t r = 0; r < rows; ++r) softmax_zero_row(s + r * C, C);
      break;
    case Post::Probit:
      for (int64_t i = 0; i < n; ++i) s[i] = probit(s[i]);
      break;
  }
}

// Normalizer on rows of C values: out = in / max, / sum|in|, or / sqrt(sum in^2);
// a row whose norm is 0 is copied. `out` may alias `in` when T is float.
template <class T>
void normalize_rows(const T* in, float* out, int64_t rows, int64_t C, Norm norm) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* x = in + r * C;
    float* y = out + r * C;
    if (norm == Norm::Max) {
      float m = std::numeric_limits<float>::lowest();
      for (int64_t c = 0; c < C; ++c) m = std::max(m, static_cast<float>(x[c]));
      if (m != 0.f)
        for (int64_t c = 0; c < C; ++c) y[c] = static_cast<float>(x[c]) / m;
      else
        for (int64_t c = 0; c < C; ++c) y[c] = static_cast<float>(x[c]);
    } else if (norm == Norm::L1) {
      float sum = 0.f;
      for (int64_t c = 0; c < C; ++c) sum += static_cast<float>(std::abs(x[c]));
      if (sum != 0.f)
        for (int64_t c = 0; c < C; ++c) y[c] = static_cast<float>(x[c]) / sum;
      else
        for (int64_t c = 0; c < C; ++c) y[c] = static_cast<float>(x[c]);
    } else {
      float sum = 0.f;
      for (int64_t c = 0; c < C; ++c) sum += static_cast<float>(x[c] * x[c]);
      // x / sqrt(sum) is ONNX Runtime's sign(x) * sqrt(x^2 / sum) within 2 ulp, with one square
      // root per row instead of one per element (and a loop the compiler vectorises).
      const float root = std::sqrt(sum);
      if (sum != 0.f)
        for (int64_t c = 0; c < C; ++c) y[c] = static_cast<float>(x[c]) / root;
      else
        for (int64_t c = 0; c < C; ++c) y[c] = static_cast<float>(x[c]);
    }
  }
}

}  // namespace rtml::linear
