// ops/linear_ml.cc - LinearClassifier and LinearRegressor (ai.onnx.ml), with ONNX Runtime's
// semantics: float scores from a GEMV over packed weights (ops/kernels/linear.hpp), labels from the
// raw scores, then post_transform. The internal "rtml" domain versions are the same ops after
// engine/passes/fold_linear_preprocess.cc folded a following Normalizer into them (attribute
// `normalize`). SVMClassifier/SVMRegressor live in ops/svm_ml.cc.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/op.hpp"
#include "ops/kernels/linear.hpp"
#include "ops/kernels/linear_post.hpp"

namespace rtml {
namespace {

using linear::Norm;

template <class T>
T* ptr(const TensorView& v) { return static_cast<T*>(v.data); }
using linear::Post;

// Rows per parallel chunk: below this many multiply-adds a chunk is not worth a thread wake-up.
constexpr int64_t kParallelMacs = 1 << 16;

struct LinearState : OpState {
  linear::Weights wt;
  Post post = Post::None;
  bool classifier = false;
  bool string_labels = false;
  std::vector<int64_t> labels_i;         // classifier: one per score column (or the 2 binary ones)
  std::vector<std::string> labels_store;
  std::vector<StrRef> labels_s;          // views of labels_store
  bool binary = false;                   // one score column: label = score > 0 ? pos : neg
  bool add_second = false;               // binary: two probability columns [1 - v, v]
  int64_t pos_i = 1, neg_i = 0;
  StrRef pos_s, neg_s;
  bool normalize = false;                // fused Normalizer on the scores (rtml domain only)
  Norm norm = Norm::L1;
  int64_t width = 0;                     // score columns written
};

struct LinearPlan : PlanData {
  int64_t rows = 0;
  bool convert = false;                  // input is not float: converted into scratch first
  bool parallel = false;
  int64_t grain = 1;
  bool small = false;                    // the small-C kernel does scores, post and norm in one go
  size_t best_offset = 0;                // floats into scratch where the small kernel's argmax goes
  bool block_logistic = false;           // small kernel for the scores, logistic / norm over the block
  size_t den_offset = 0;                 // floats into scratch: per-element norm denominators
};

int post_code(Post p) {
  return p == Post::Logistic ? linear::kPostLogistic : p == Post::Softmax ? linear::kPostSoftmax : linear::kPostNone;
}
int norm_code(const LinearState& st) {
  if (!st.normalize) return linear::kNormNone;
  return st.norm == Norm::Max ? linear::kNormMax : st.norm == Norm::L1 ? linear::kNormL1 : linear::kNormL2;
}

Status parse_common(LoadCtx& ctx, LinearState& st) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F64, DType::I32, DType::I64}); !s.ok()) return s;
  if (!linear::parse_post(ctx.attr_string("post_transform", "NONE"), &st.post))
    return ctx.invalid("post_transform must be NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT");
  if (ctx.node.domain == "rtml" && ctx.has_attr("normalize")) {
    if (!linear::parse_norm(ctx.attr_string("normalize"), &st.norm)) return ctx.invalid("normalize must be MAX, L1 or L2");
    st.normalize = true;
  }
  return {};
}

Status classifier_load(LoadCtx& ctx) {
  auto st = std::make_shared<LinearState>();
  st->classifier = true;
  if (Status s = parse_common(ctx, *st); !s.ok()) return s;
  std::vector<float> coef = ctx.attr_floats("coefficients");
  std::vector<float> icpt = ctx.attr_floats("intercepts");
  int64_t mc = ctx.attr_int("multi_class", 0);
  (void)mc;  // ONNX Runtime ignores it too: scores are always one column per class
  st->labels_i = ctx.attr_ints("classlabels_ints");
  st->labels_store = ctx.attr_strings("classlabels_strings");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  st->string_labels = !st->labels_store.empty();
  for (auto& s : st->labels_store) st->labels_s.push_back({s.data(), s.size()});
  const int64_t n_labels = st->string_labels ? static_cast<int64_t>(st->labels_s.size())
                                             : static_cast<int64_t>(st->labels_i.size());
  if (coef.empty()) return ctx.invalid("coefficients is required");
  // Classes = intercepts (as ONNX Runtime counts them); without intercepts, one row per label.
  int64_t C = !icpt.empty() ? static_cast<int64_t>(icpt.size()) : n_labels;
  if (C <= 0) return ctx.invalid("needs intercepts or class labels to know the number of classes");
  if (static_cast<int64_t>(coef.size()) % C != 0)
    return ctx.invalid("coefficients (" + std::to_string(coef.size()) + ") is not a multiple of the " +
                       std::to_string(C) + " classes");
  const int64_t F = static_cast<int64_t>(coef.size()) / C;
  st->wt.pack(C, F, coef.data(), icpt.empty() ? nullptr : icpt.data());
  if (C == 1) {
    // One score row: ONNX Runtime needs exactly two labels (negative, positive).
    if (n_labels != 2) return ctx.invalid("one coefficient row (binary) needs exactly two class labels");
    st->binary = true;
    st->add_second = true;
    if (st->string_labels) st->pos_s = st->labels_s[1], st->neg_s = st->labels_s[0];
    else st->pos_i = st->labels_i[1], st->neg_i = st->labels_i[0];
  } else if (n_labels < C) {
    return ctx.invalid(std::to_string(C) + " classes but " + std::to_string(n_labels) + " class labels");
  }
  st->width = st->add_second ? 2 : C;
  ctx.set_out(0, st->string_labels ? DType::String : DType::I64);
  ctx.set_out(1, DType::F32);
  ctx.set_state(st);
  return {};
}

Status regressor_load(LoadCtx& ctx) {
  auto st = std::make_shared<LinearState>();
  if (Status s = parse_common(ctx, *st); !s.ok()) return s;
  std::vector<float> coef = ctx.attr_floats("coefficients");
  std::vector<float> icpt = ctx.attr_floats("intercepts");
  int64_t T = ctx.attr_int("targets", 1);
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (T <= 0) return ctx.invalid("targets must be positive");
  if (coef.empty() || static_cast<int64_t>(coef.size()) % T != 0)
    return ctx.invalid("coefficients (" + std::to_string(coef.size()) + ") must be targets x features");
  // ONNX Runtime uses the intercepts only when there is one per target.
  const bool use_icpt = static_cast<int64_t>(icpt.size()) == T;
  st->wt.pack(T, static_cast<int64_t>(coef.size()) / T, coef.data(), use_icpt ? icpt.data() : nullptr);
  st->width = T;
  ctx.set_out(0, DType::F32);
  ctx.set_state(st);
  return {};
}

template <class T>
void to_float(const void* src, float* dst, int64_t n) {
  const T* s = static_cast<const T*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
}

// Rows [r0, r1): scores, labels, post transform, fused normalisation.
void linear_rows(const KernelCtx& k, int64_t r0, int64_t r1) {
  const auto& st = k.st<LinearState>();
  const auto& pd = k.plan_data<LinearPlan>();
  const linear::Variant& v = linear::best();
  const int64_t F = st.wt.F, C = st.wt.C, rows = r1 - r0, N = pd.rows;
  float* scratch = static_cast<float*>(k.scratch);
  const float* x;
  if (pd.convert) {
    float* xf = scratch + r0 * F;
    const void* src = static_cast<const char*>(k.in[0].data) + r0 * F * dtype_size(k.in[0].dtype);
    switch (k.in[0].dtype) {
      case DType::F64: to_float<double>(src, xf, rows * F); break;
      case DType::I32: to_float<int32_t>(src, xf, rows * F); break;
      default: to_float<int64_t>(src, xf, rows * F); break;
    }
    x = xf;
  } else {
    x = ptr<float>(k.in[0]) + r0 * F;
  }
  const int out_scores = st.classifier ? 1 : 0;
  float* out = k.n_out > out_scores ? ptr<float>(k.out[out_scores]) : nullptr;
  // Raw scores go straight to the output when it has one column per class.
  float* sc = (out && st.width == C) ? out + r0 * C : scratch + (pd.convert ? N * F : 0) + r0 * C;
  if (pd.small) {
    int32_t* best = st.classifier ? reinterpret_cast<int32_t*>(scratch + pd.best_offset) + r0 : nullptr;
    if (pd.block_logistic && rows >= 8) {
      // Many rows under LOGISTIC: the exponentials go faster over the contiguous block (every
      // lane busy) than row by row (C of 8 lanes), and so do the norm's divisions.
      v.small(st.wt, x, rows, sc, best, linear::kPostNone, linear::kNormNone);
      v.logistic(sc, sc, rows * C);
      if (st.normalize) {
        // Each row's norm repeated over its C slots, then one vectorisable division pass.
        float* den = scratch + pd.den_offset + r0 * C;
        auto fill = [&](auto norm_of) {
          for (int64_t r = 0; r < rows; ++r) {
            float d = norm_of(sc + r * C);
            if (d == 0.f) d = 1.f;  // a zero norm leaves the row as it is
            for (int64_t c = 0; c < C; ++c) den[r * C + c] = d;
          }
        };
        if (st.norm == Norm::Max) {
          fill([&](const float* row) {
            float d = std::numeric_limits<float>::lowest();
            for (int64_t c = 0; c < C; ++c) d = std::max(d, row[c]);
            return d;
          });
        } else if (C == 2) {
          // Binary logistic regression, unrolled: logreg_bin at batch 1000 5.9 us, 7.5 with the
          // loop below.
          fill([](const float* row) { return std::fabs(row[0]) + std::fabs(row[1]); });
        } else {
          fill([&](const float* row) {
            float d = 0.f;
            for (int64_t c = 0; c < C; ++c) d += std::fabs(row[c]);
            return d;
          });
        }
        for (int64_t i = 0; i < rows * C; ++i) sc[i] /= den[i];
      }
    } else {
      v.small(st.wt, x, rows, sc, best, post_code(st.post), norm_code(st));
    }
    if (best && k.out[0].data) {
      if (st.string_labels)
        for (int64_t r = 0; r < rows; ++r) ptr<StrRef>(k.out[0])[r0 + r] = st.labels_s[best[r]];
      else
        for (int64_t r = 0; r < rows; ++r) ptr<int64_t>(k.out[0])[r0 + r] = st.labels_i[best[r]];
    }
    return;
  }
  v.gemv(st.wt, x, rows, sc);

  if (st.classifier && k.out[0].data) {
    if (st.binary) {
      if (st.string_labels) {
        StrRef* y = ptr<StrRef>(k.out[0]) + r0;
        for (int64_t r = 0; r < rows; ++r) y[r] = sc[r] > 0 ? st.pos_s : st.neg_s;
      } else {
        int64_t* y = ptr<int64_t>(k.out[0]) + r0;
        for (int64_t r = 0; r < rows; ++r) y[r] = sc[r] > 0 ? st.pos_i : st.neg_i;
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        const float* s = sc + r * C;
        int64_t best = 0;
        for (int64_t c = 1; c < C; ++c)
          if (s[c] > s[best]) best = c;
        if (st.string_labels) ptr<StrRef>(k.out[0])[r0 + r] = st.labels_s[best];
        else ptr<int64_t>(k.out[0])[r0 + r] = st.labels_i[best];
      }
    }
  }
  if (!out) return;
  if (C == 1 && !st.classifier) {
    // One target: ONNX Runtime applies PROBIT only (checked with ort_run).
    if (st.post == Post::Probit)
      for (int64_t r = 0; r < rows; ++r) sc[r] = linear::probit(sc[r]);
  } else if (C == 1) {
    // One score column (checked against ONNX Runtime 1.30 with ort_run): [1 - v, v] with
    // v = logistic(s) under LOGISTIC and the raw score otherwise (SOFTMAX included); under PROBIT
    // the N probits packed first and the other N values left unset (0 here).
    if (st.post == Post::Probit) {
      for (int64_t r = 0; r < rows; ++r) out[r0 + r] = linear::probit(sc[r]);
      for (int64_t r = 0; r < rows; ++r) out[N + r0 + r] = 0.f;
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        float v = st.post == Post::Logistic ? linear::logistic(sc[r]) : sc[r];
        out[2 * (r0 + r)] = 1.f - v;
        out[2 * (r0 + r) + 1] = v;
      }
    }
  } else {
    linear::apply_post(st.post, sc, rows, C, v);
  }
  if (st.normalize) {
    float* o = out + r0 * st.width;
    linear::normalize_rows<float>(o, o, rows, st.width, st.norm);
  }
}

Status linear_run(const KernelCtx& k) {
  const auto& pd = k.plan_data<LinearPlan>();
  if (pd.parallel) {
    k.env->pool->parallel_for(pd.rows, pd.grain, [&](int64_t b, int64_t e) { linear_rows(k, b, e); });
  } else {
    linear_rows(k, 0, pd.rows);
  }
  return {};
}

Status linear_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const LinearState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1 || xs.rank() > 2)
    return ctx.invalid_input("input must be [N, F] or [F], got " + xs.str());
  const int64_t N = xs.rank() == 1 ? 1 : xs[0];
  const int64_t F = xs.back();
  if (F != st.wt.F)
    return ctx.invalid_input("input has " + std::to_string(F) + " features, the model " + std::to_string(st.wt.F));
  auto& pd = ctx.make_data<LinearPlan>();
  pd.rows = N;
  pd.convert = ctx.in_dtype(0) != DType::F32;
  const int out_scores = st.classifier ? 1 : 0;
  if (st.classifier) ctx.set_out_shape(0, Shape{N});
  ctx.set_out_shape(out_scores, Shape{N, st.width});
  const bool scores_in_scratch = !ctx.has_output(out_scores) || st.width != st.wt.C;
  size_t floats = static_cast<size_t>((pd.convert ? N * F : 0) + (scores_in_scratch ? N * st.wt.C : 0));
  pd.small = linear::best().small && st.wt.t && st.wt.C >= 2 && st.width == st.wt.C &&
             (st.post == Post::None || st.post == Post::Logistic || st.post == Post::Softmax);
  if (pd.small && st.classifier) {
    pd.best_offset = floats;
    floats += static_cast<size_t>(N);  // int32 argmax per row
  }
  pd.block_logistic = pd.small && st.post == Post::Logistic && N >= 8 && !(st.normalize && st.norm == Norm::L2);
  if (pd.block_logistic && st.normalize) {
    pd.den_offset = floats;
    floats += static_cast<size_t>(N * st.wt.C);
  }
  ctx.set_scratch(floats * sizeof(float));
  const int64_t macs = N * st.wt.C * (F + 1);
  // PROBIT with two labels writes across row chunks (its packed layout): keep it on one thread.
  const bool packed_probit = st.add_second && st.post == Post::Probit;
  if (ctx.threads() > 1 && macs >= 2 * kParallelMacs && !packed_probit) {
    pd.parallel = true;
    pd.grain = std::max<int64_t>(1, kParallelMacs / (st.wt.C * (F + 1)));
  }
  ctx.set_kernel(&linear_run);
  return {};
}

}  // namespace

void register_linear_ml_ops(OpRegistry& r) {
  r.add({"ai.onnx.ml", "LinearClassifier", 1, 0, classifier_load, linear_plan});
  r.add({"ai.onnx.ml", "LinearRegressor", 1, 0, regressor_load, linear_plan});
  // Internal: the same ops with a fused Normalizer (engine/passes/fold_linear_preprocess.cc).
  r.add({"rtml", "LinearClassifier", 0, 0, classifier_load, linear_plan});
  r.add({"rtml", "LinearRegressor", 0, 0, regressor_load, linear_plan});
}

}  // namespace rtml
