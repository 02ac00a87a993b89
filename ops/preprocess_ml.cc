// ops/preprocess_ml.cc - the scikit-learn preprocessing operators of ai.onnx.ml that work on
// numbers: Scaler, Normalizer, Binarizer, Imputer, ArrayFeatureExtractor, FeatureVectorizer,
// ZipMap, and DictVectorizer (refused: rtml has no map inputs). ONNX Runtime's semantics where
// the spec is vague (which dimension is "the feature", NaN handling, 1-D inputs).
// The encoders (OneHotEncoder, LabelEncoder, CategoryMapper) are in ops/encode_ml.cc.
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/op.hpp"
#include "ops/common.hpp"
#include "ops/kernels/linear_post.hpp"

namespace rtml {
namespace {

template <class T>
T* ptr(const TensorView& v) { return static_cast<T*>(v.data); }

const std::initializer_list<DType> kNumeric = {DType::F32, DType::F64, DType::I64, DType::I32};

// The feature dimension as ONNX Runtime takes it for these ops: dim 0 of a 1-D input, else dim 1.
int64_t feature_stride(const Shape& s) { return s.rank() == 1 ? s[0] : s[1]; }

// ---- Scaler: y = (x - offset) * scale, per feature or one value for all ---------------------

struct ScalerState : OpState {
  std::vector<float> scale, offset;
};

Status scaler_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
  auto st = std::make_shared<ScalerState>();
  st->scale = ctx.attr_floats("scale");
  st->offset = ctx.attr_floats("offset");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (st->scale.empty() && st->offset.empty()) return ctx.invalid("needs scale or offset");
  if (st->offset.empty()) st->offset.assign(st->scale.size(), 0.f);
  if (st->scale.empty()) st->scale.assign(st->offset.size(), 1.f);
  if (st->scale.size() != st->offset.size()) return ctx.invalid("scale and offset must have the same length");
  ctx.set_out(0, DType::F32);
  ctx.set_state(st);
  return {};
}

template <class T>
Status scaler_run(const KernelCtx& k) {
  const auto& st = k.st<ScalerState>();
  const T* x = ptr<const T>(k.in[0]);
  float* y = ptr<float>(k.out[0]);
  const int64_t n = k.in[0].numel();
  const int64_t S = static_cast<int64_t>(st.scale.size());
  using W = std::common_type_t<T, float>;  // the arithmetic type of (x - offset) * scale
  if (S == 1) {
    const float o = st.offset[0], s = st.scale[0];
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>((static_cast<W>(x[i]) - o) * s);
  } else {
    const float* o = st.offset.data();
    const float* s = st.scale.data();
    for (int64_t i = 0; i < n; i += S)
      for (int64_t f = 0; f < S; ++f) y[i + f] = static_cast<float>((static_cast<W>(x[i + f]) - o[f]) * s[f]);
  }
  return {};
}

Status scaler_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const ScalerState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1) return ctx.invalid_input("input must have at least one dimension");
  const int64_t S = static_cast<int64_t>(st.scale.size());
  if (S != 1 && (S != feature_stride(xs) || xs.numel() % S != 0))
    return ctx.invalid_input("scale/offset have " + std::to_string(S) + " values: either 1 or the " +
                             std::to_string(feature_stride(xs)) + " features");
  ctx.set_out_shape(0, xs);
  switch (ctx.in_dtype(0)) {
    case DType::F32: ctx.set_kernel(&scaler_run<float>); ctx.allow_in_place(0, 0); break;
    case DType::F64: ctx.set_kernel(&scaler_run<double>); break;
    case DType::I32: ctx.set_kernel(&scaler_run<int32_t>); ctx.allow_in_place(0, 0); break;
    default: ctx.set_kernel(&scaler_run<int64_t>); break;
  }
  return {};
}

// ---- Normalizer: each row divided by its max, L1 or L2 norm --------------------------------

struct NormState : OpState {
  linear::Norm norm = linear::Norm::Max;
};

Status normalizer_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
  auto st = std::make_shared<NormState>();
  if (!linear::parse_norm(ctx.attr_string("norm", "MAX"), &st->norm)) return ctx.invalid("norm must be MAX, L1 or L2");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  ctx.set_out(0, DType::F32);
  ctx.set_state(st);
  return {};
}

template <class T>
Status normalizer_run(const KernelCtx& k) {
  const Shape& s = k.in[0].shape;
  const int64_t rows = s.rank() == 1 ? 1 : s[0], C = feature_stride(s);
  linear::normalize_rows<T>(ptr<const T>(k.in[0]), ptr<float>(k.out[0]), rows, C, k.st<NormState>().norm);
  return {};
}

Status normalizer_plan(PlanCtx& ctx) {
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1 || xs.rank() > 2) return ctx.invalid_input("input must be [N, C] or [C], got " + xs.str());
  ctx.set_out_shape(0, xs);
  switch (ctx.in_dtype(0)) {
    case DType::F32: ctx.set_kernel(&normalizer_run<float>); ctx.allow_in_place(0, 0); break;
    case DType::F64: ctx.set_kernel(&normalizer_run<double>); break;
    case DType::I32: ctx.set_kernel(&normalizer_run<int32_t>); break;
    default: ctx.set_kernel(&normalizer_run<int64_t>); break;
  }
  return {};
}

// ---- Binarizer: x > threshold ? 1 : 0 (NaN refused, as ONNX Runtime does) ------------------

struct BinState : OpState {
  float threshold = 0.f;
};

Status binarizer_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
  auto st = std::make_shared<BinState>();
  st->threshold = ctx.attr_float("threshold", 0.f);
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

template <class T>
Status binarizer_run(const KernelCtx& k) {
  const T* x = ptr<const T>(k.in[0]);
  T* y = ptr<T>(k.out[0]);
  const float t = k.st<BinState>().threshold;
  const int64_t n = k.in[0].numel();
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(x[i])) return k.invalid_input("input element " + std::to_string(i) + " is NaN");
    y[i] = x[i] > t ? T(1) : T(0);
  }
  return {};
}

Status binarizer_plan(PlanCtx& ctx) {
  ctx.set_out_shape(0, ctx.in_shape(0));
  ctx.allow_in_place(0, 0);
  switch (ctx.in_dtype(0)) {
    case DType::F32: ctx.set_kernel(&binarizer_run<float>); break;
    case DType::F64: ctx.set_kernel(&binarizer_run<double>); break;
    case DType::I32: ctx.set_kernel(&binarizer_run<int32_t>); break;
    default: ctx.set_kernel(&binarizer_run<int64_t>); break;
  }
  return {};
}

// ---- Imputer: replaced value (NaN matches NaN) -> imputed value per feature ----------------

struct ImputerState : OpState {
  std::vector<double> imputed;  // float or int64 values, kept exact in double / int64 below
  std::vector<int64_t> imputed_i;
  float replaced_f = 0.f;
  int64_t replaced_i = 0;
};

Status imputer_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
  auto st = std::make_shared<ImputerState>();
  std::vector<float> f = ctx.attr_floats("imputed_value_floats");
  st->imputed.assign(f.begin(), f.end());
  st->imputed_i = ctx.attr_ints("imputed_value_int64s");
  st->replaced_f = ctx.attr_float("replaced_value_float", 0.f);
  st->replaced_i = ctx.attr_int("replaced_value_int64", 0);
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (!f.empty() && !st->imputed_i.empty()) return ctx.invalid("give imputed_value_floats or imputed_value_int64s, not both");
  const bool is_float = ctx.in_dtype(0) == DType::F32 || ctx.in_dtype(0) == DType::F64;
  if (is_float ? f.empty() : st->imputed_i.empty())
    return ctx.invalid(is_float ? "a float input needs imputed_value_floats" : "an integer input needs imputed_value_int64s");
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

template <class T>
Status imputer_run(const KernelCtx& k) {
  const auto& st = k.st<ImputerState>();
  const T* x = ptr<const T>(k.in[0]);
  T* y = ptr<T>(k.out[0]);
  const int64_t n = k.in[0].numel(), S = feature_stride(k.in[0].shape);
  constexpr bool fp = std::is_floating_point_v<T>;
  const int64_t count = fp ? static_cast<int64_t>(st.imputed.size()) : static_cast<int64_t>(st.imputed_i.size());
  const bool per_feature = count == S;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = per_feature ? i % S : 0;
    if constexpr (fp) {
      const bool hit = std::isnan(st.replaced_f) ? std::isnan(x[i]) : x[i] == static_cast<T>(st.replaced_f);
      y[i] = hit ? static_cast<T>(static_cast<float>(st.imputed[j])) : x[i];
    } else {
      y[i] = x[i] == static_cast<T>(st.replaced_i) ? static_cast<T>(st.imputed_i[j]) : x[i];
    }
  }
  return {};
}

Status imputer_plan(PlanCtx& ctx) {
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1) return ctx.invalid_input("input must have at least one dimension");
  ctx.set_out_shape(0, xs);
  ctx.allow_in_place(0, 0);
  switch (ctx.in_dtype(0)) {
    case DType::F32: ctx.set_kernel(&imputer_run<float>); break;
    case DType::F64: ctx.set_kernel(&imputer_run<double>); break;
    case DType::I32: ctx.set_kernel(&imputer_run<int32_t>); break;
    default: ctx.set_kernel(&imputer_run<int64_t>); break;
  }
  return {};
}

// ---- ArrayFeatureExtractor: X[..., Y] along the last axis ----------------------------------

Status afe_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F64, DType::I64, DType::I32, DType::String}); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::I64}); !s.ok()) return s;
  ctx.set_out(0, ctx.in_dtype(0));
  return {};
}

Status afe_run(const KernelCtx& k) {
  const Shape& xs = k.in[0].shape;
  const int64_t stride = xs.back();
  const int64_t* idx = ptr<const int64_t>(k.in[1]);
  const int64_t K = k.in[1].numel();
  for (int64_t j = 0; j < K; ++j)
    if (idx[j] < 0 || idx[j] >= stride)
      return k.invalid_input("index " + std::to_string(idx[j]) + " out of range [0, " + std::to_string(stride) + ")");
  const int64_t outer = stride > 0 ? k.in[0].numel() / stride : 0;
  const size_t es = dtype_size(k.in[0].dtype);
  const char* x = ptr<const char>(k.in[0]);
  char* y = ptr<char>(k.out[0]);
  if (k.in[0].dtype == DType::String) {
    const StrRef* xs_ = ptr<const StrRef>(k.in[0]);
    StrRef* ys = ptr<StrRef>(k.out[0]);
    for (int64_t r = 0; r < outer; ++r)
      for (int64_t j = 0; j < K; ++j) ys[r * K + j] = k.env->strings->add(xs_[r * stride + idx[j]].view());
    return {};
  }
  for (int64_t r = 0; r < outer; ++r)
    for (int64_t j = 0; j < K; ++j) std::memcpy(y + (r * K + j) * es, x + (r * stride + idx[j]) * es, es);
  return {};
}

Status afe_plan(PlanCtx& ctx) {
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1) return ctx.invalid_input("X must have at least one dimension");
  const int64_t K = ctx.in_shape(1).numel();
  if (K == 0) return ctx.invalid_input("Y holds no index");
  Shape out = xs;
  if (xs.rank() == 1) out = Shape{1, K};  // ONNX Runtime's shape for a 1-D input
  else out[xs.rank() - 1] = K;
  ctx.set_out_shape(0, out);
  ctx.set_kernel(&afe_run);
  return {};
}

// ---- FeatureVectorizer: inputs side by side, each cut or zero-padded to inputdimensions -----

struct FvState : OpState {
  std::vector<int64_t> dims;
  int64_t total = 0;
};

Status fv_load(LoadCtx& ctx) {
  auto st = std::make_shared<FvState>();
  st->dims = ctx.attr_ints("inputdimensions");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (static_cast<int>(st->dims.size()) != ctx.num_inputs())
    return ctx.invalid("inputdimensions has " + std::to_string(st->dims.size()) + " values for " +
                       std::to_string(ctx.num_inputs()) + " inputs");
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (Status s = ctx.require_input(i, kNumeric); !s.ok()) return s;
    if (st->dims[i] < 0) return ctx.invalid("inputdimensions must not be negative");
    st->total += st->dims[i];
  }
  ctx.set_out(0, DType::F32);
  ctx.set_state(st);
  return {};
}

template <class T>
void fv_copy(const TensorView& v, int64_t N, int64_t in_size, int64_t take, float* y, int64_t total) {
  const T* x = ptr<const T>(v);
  for (int64_t r = 0; r < N; ++r)
    for (int64_t f = 0; f < take; ++f) y[r * total + f] = static_cast<float>(x[r * in_size + f]);
}

Status fv_run(const KernelCtx& k) {
  const auto& st = k.st<FvState>();
  float* y = ptr<float>(k.out[0]);
  const int64_t N = k.out[0].shape[0];
  std::memset(y, 0, static_cast<size_t>(N * st.total) * sizeof(float));
  int64_t off = 0;
  for (int i = 0; i < k.n_in; ++i) {
    const TensorView& v = k.in[i];
    const int64_t in_size = v.shape.rank() == 1 ? v.shape[0] : (v.shape[0] ? v.numel() / v.shape[0] : 0);
    const int64_t take = std::min(in_size, st.dims[i]);
    switch (v.dtype) {
      case DType::F32: fv_copy<float>(v, N, in_size, take, y + off, st.total); break;
      case DType::F64: fv_copy<double>(v, N, in_size, take, y + off, st.total); break;
      case DType::I32: fv_copy<int32_t>(v, N, in_size, take, y + off, st.total); break;
      default: fv_copy<int64_t>(v, N, in_size, take, y + off, st.total); break;
    }
    off += st.dims[i];
  }
  return {};
}

Status fv_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const FvState*>(ctx.state);
  if (ctx.num_inputs() == 0) return ctx.invalid_input("no input");
  auto rows = [&](int i) { return ctx.in_shape(i).rank() <= 1 ? int64_t{1} : ctx.in_shape(i)[0]; };
  const int64_t N = rows(0);
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.in_shape(i).rank() < 1) return ctx.invalid_input("inputs must have at least one dimension");
    if (rows(i) != N) return ctx.invalid_input("inputs have different numbers of rows");
  }
  ctx.set_out_shape(0, Shape{N, st.total});
  ctx.set_kernel(&fv_run);
  return {};
}

// ---- ZipMap: [N, C] scores -> a sequence of N maps label -> score -------------------------
// The output value is the [N, C] float scores; the keys live in the graph value (set_out_map).

struct KeyCount : OpState {
  int64_t n = 0;  // labels
};

Status zipmap_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::F32}); !s.ok()) return s;
  std::vector<int64_t> ints = ctx.attr_ints("classlabels_int64s");
  std::vector<std::string> strs = ctx.attr_strings("classlabels_strings");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (ints.empty() == strs.empty()) return ctx.invalid("give classlabels_int64s or classlabels_strings (one of them)");
  std::shared_ptr<const Tensor> keys;
  if (!ints.empty()) {
    auto t = std::make_shared<Tensor>(DType::I64, Shape{static_cast<int64_t>(ints.size())});
    std::memcpy(t->raw(), ints.data(), ints.size() * sizeof(int64_t));
    keys = t;
  } else {
    keys = std::make_shared<Tensor>(Tensor::from_strings(Shape{static_cast<int64_t>(strs.size())}, strs));
  }
  ctx.set_out_map(0, DType::F32, keys);
  auto st = std::make_shared<KeyCount>();
  st->n = keys->numel();
  ctx.set_state(st);
  return {};
}

Status zipmap_run(const KernelCtx& k) {
  if (k.out[0].data != k.in[0].data) std::memcpy(k.out[0].data, k.in[0].data, k.in[0].bytes());
  return {};
}

Status zipmap_plan(PlanCtx& ctx) {
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1 || xs.rank() > 2) return ctx.invalid_input("ZipMap takes [N, C] or [C] scores, got " + xs.str());
  const int64_t C = static_cast<const KeyCount*>(ctx.state)->n;
  if (xs.back() != C)
    return ctx.invalid_input("scores have " + std::to_string(xs.back()) + " columns for " + std::to_string(C) + " labels");
  ctx.set_out_shape(0, Shape{xs.rank() == 1 ? 1 : xs[0], C});
  ctx.set_kernel(&zipmap_run);
  ctx.allow_in_place(0, 0);
  return {};
}

// ---- DictVectorizer: its input is a map, which rtml's graphs do not carry ------------------

Status dictvectorizer_load(LoadCtx& ctx) {
  return ctx.unsupported("DictVectorizer takes a map input; rtml runs tensor inputs only");
}
Status no_plan(PlanCtx& ctx) { return ctx.invalid_input("not runnable"); }

}  // namespace

void register_preprocess_ml_ops(OpRegistry& r) {
  r.add({"ai.onnx.ml", "Scaler", 1, 0, scaler_load, scaler_plan});
  r.add({"ai.onnx.ml", "Normalizer", 1, 0, normalizer_load, normalizer_plan});
  r.add({"ai.onnx.ml", "Binarizer", 1, 0, binarizer_load, binarizer_plan});
  r.add({"ai.onnx.ml", "Imputer", 1, 0, imputer_load, imputer_plan});
  r.add({"ai.onnx.ml", "ArrayFeatureExtractor", 1, 0, afe_load, afe_plan});
  r.add({"ai.onnx.ml", "FeatureVectorizer", 1, 0, fv_load, fv_plan});
  r.add({"ai.onnx.ml", "ZipMap", 1, 0, zipmap_load, zipmap_plan});
  r.add({"ai.onnx.ml", "DictVectorizer", 1, 0, dictvectorizer_load, no_plan});
}

}  // namespace rtml
