// ops/kernels/linear.hpp - dense linear model kernels (LinearClassifier, LinearRegressor, the
// folded Scaler pipelines): scores[n, c] = sum_f x[n, f] * w[c, f] + b[c], and the post
// transforms of the ai.onnx.ml models (logistic, softmax) over a [rows, C] score block.
//
// One ISA is picked per process (gemv_best / exp_best); the scalar versions are the reference the
// tests compare every variant against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace rtml::linear {

// Widest SIMD block the packed layout is padded to (AVX-512 would be 16 floats).
constexpr int64_t kPad = 16;

// Packed weights, built once at load and shared by every run.
// Layout: w is [C][Fp] row-major float, Fp = F rounded up to kPad with zeros after column F, so a
// row can be read in whole SIMD blocks (the x tail is zero-padded by the kernel); 64-byte aligned.
// b is [C] (zeros when the model has no intercepts).
// When C <= kSmallC the weights are also kept transposed for the small-C kernels: t is [F][8]
// (class c in lane c, lanes >= C zero), bt is [8] (the intercepts, lanes >= C zero).
constexpr int64_t kSmallC = 8;
struct Weights {
  int64_t C = 0, F = 0, Fp = 0;
  const float* w = nullptr;
  const float* b = nullptr;
  const float* t = nullptr;   // nullptr when C > kSmallC
  const float* bt = nullptr;

  // Packs row-major coefficients [C][F] and intercepts [C] (b may be empty: zeros).
  void pack(int64_t classes, int64_t features, const float* coef, const float* bias);

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> wbuf_, tbuf_;
  std::vector<float> bbuf_;
};

// y[r, c] = x[r, :] . w[c, :] + b[c] for r in [0, rows); x rows are F floats apart, y rows C.
using GemvFn = void (*)(const Weights& wt, const float* x, int64_t rows, float* y);
// y[i] = exp(x[i]) for i in [0, n) (x and y may be the same buffer).
using ExpFn = void (*)(const float* x, float* y, int64_t n);
// y[i] = logistic(x[i]) as ONNX Runtime computes it: v = 1 / (1 + exp(-|x|)), x < 0 ? 1 - v : v.
using LogisticFn = void (*)(const float* x, float* y, int64_t n);

// Small-C rows (C <= kSmallC, one vector per row): scores, the index of the first largest raw
// score (best, may be null), then the post transform (kPostNone / kPostLogistic / kPostSoftmax)
// and the row normalisation (kNormNone / Max / L1 / L2), all in registers. y rows are C apart.
constexpr int kPostNone = 0, kPostLogistic = 1, kPostSoftmax = 2;
constexpr int kNormNone = -1, kNormMax = 0, kNormL1 = 1, kNormL2 = 2;
using SmallFn = void (*)(const Weights& wt, const float* x, int64_t rows, float* y, int32_t* best, int post,
                         int norm);

void gemv_scalar(const Weights& wt, const float* x, int64_t rows, float* y);
void small_scalar(const Weights& wt, const float* x, int64_t rows, float* y, int32_t* best, int post, int norm);
void exp_scalar(const float* x, float* y, int64_t n);
void logistic_scalar(const float* x, float* y, int64_t n);

// Every variant this build and host can run: name, functions. [0] is the scalar reference.
struct Variant {
  const char* name;
  GemvFn gemv;
  ExpFn exp;
  LogisticFn logistic;
  SmallFn small;  // nullptr when this ISA has no small-C kernel
};
const std::vector<Variant>& variants();
// The fastest variant for this host, chosen once per process.
const Variant& best();

// Softmax of each row of a [rows, C] block in place (max-subtracted, like ONNX Runtime's
// ComputeSoftmax), using `exp` for the exponentials.
void softmax_rows(float* s, int64_t rows, int64_t C, ExpFn exp);

}  // namespace rtml::linear
