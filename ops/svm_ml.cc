// ops/svm_ml.cc - SVMClassifier and SVMRegressor (ai.onnx.ml) with ONNX Runtime's semantics:
// LINEAR / POLY / RBF / SIGMOID kernels against the support vectors (or liblinear mode when there
// are none), one-vs-one pairwise scores with votes, probabilities from prob_a/prob_b by pairwise
// coupling (Wu, Lin and Weng 2004, the libsvm method), then post_transform.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/op.hpp"
#include "ops/kernels/linear_post.hpp"

namespace rtml {
namespace {

using linear::Post;

template <class T>
T* ptr(const TensorView& v) { return static_cast<T*>(v.data); }

enum class Kernel { Linear, Poly, Rbf, Sigmoid };

struct SvmCommon {
  Kernel kernel = Kernel::Linear;
  float gamma = 0.f, coef0 = 0.f, degree = 0.f;
  int64_t F = 0;                  // features
  int64_t V = 0;                  // support vectors (0: liblinear mode)
  std::vector<float> sv;          // [V][F]
  std::vector<float> coef;
  std::vector<float> rho;

  // k(x, sv_v) for every support vector v (or x . coef_c + rho[0] in linear mode, see callers).
  float kernel_value(const float* x, const float* s) const {
    if (kernel == Kernel::Rbf) {
      float sum = 0.f;
      for (int64_t f = 0; f < F; ++f) {
        float d = x[f] - s[f];
        sum += d * d;
      }
      return std::exp(-gamma * sum);
    }
    float dot = 0.f;
    for (int64_t f = 0; f < F; ++f) dot += x[f] * s[f];
    if (kernel == Kernel::Linear) return dot;
    float v = gamma * dot + coef0;
    if (kernel == Kernel::Sigmoid) return std::tanh(v);
    if (degree == 2) return v * v;
    if (degree == 3) return v * v * v;
    return std::pow(v, degree);
  }
};

Status parse_kernel(LoadCtx& ctx, SvmCommon& c) {
  std::string kt = ctx.attr_string("kernel_type", "LINEAR");
  if (kt == "LINEAR") c.kernel = Kernel::Linear;
  else if (kt == "POLY") c.kernel = Kernel::Poly;
  else if (kt == "RBF") c.kernel = Kernel::Rbf;
  else if (kt == "SIGMOID") c.kernel = Kernel::Sigmoid;
  else return ctx.invalid("kernel_type must be LINEAR, POLY, RBF or SIGMOID");
  std::vector<float> kp = ctx.attr_floats("kernel_params");
  if (!kp.empty()) {
    if (kp.size() < 3) return ctx.invalid("kernel_params must hold gamma, coef0, degree");
    c.gamma = kp[0], c.coef0 = kp[1], c.degree = kp[2];
  }
  return ctx.require_input(0, {DType::F32, DType::F64, DType::I32, DType::I64});
}

struct SvcState : OpState {
  SvmCommon m;
  Post post = Post::None;
  int64_t C = 0;                          // classes
  std::vector<int64_t> per_class, start;  // support vectors per class, first index per class
  std::vector<float> prob_a, prob_b;
  bool string_labels = false;
  std::vector<int64_t> labels_i;
  std::vector<std::string> labels_store;
  std::vector<StrRef> labels_s;
  bool all_positive = false;
  int64_t width = 0;                      // score columns written
  int64_t n_scores = 0;                   // scores the post transform sees per row
  int add_second = -1;                    // ONNX Runtime's add_second_class mode (-1 none)
  size_t scratch_floats = 0;
};

Status svc_load(LoadCtx& ctx) {
  auto st = std::make_shared<SvcState>();
  SvmCommon& m = st->m;
  if (Status s = parse_kernel(ctx, m); !s.ok()) return s;
  if (!linear::parse_post(ctx.attr_string("post_transform", "NONE"), &st->post))
    return ctx.invalid("post_transform must be NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT");
  st->per_class = ctx.attr_ints("vectors_per_class");
  st->prob_a = ctx.attr_floats("prob_a");
  st->prob_b = ctx.attr_floats("prob_b");
  m.sv = ctx.attr_floats("support_vectors");
  m.rho = ctx.attr_floats("rho");
  m.coef = ctx.attr_floats("coefficients");
  st->labels_i = ctx.attr_ints("classlabels_ints");
  st->labels_store = ctx.attr_strings("classlabels_strings");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (m.coef.empty()) return ctx.invalid("coefficients is required");
  if (m.rho.empty()) return ctx.invalid("rho is required");
  if (st->prob_a.size() != st->prob_b.size()) return ctx.invalid("prob_a and prob_b must have the same length");
  st->string_labels = !st->labels_store.empty();
  for (auto& s : st->labels_store) st->labels_s.push_back({s.data(), s.size()});
  st->C = st->string_labels ? static_cast<int64_t>(st->labels_s.size()) : static_cast<int64_t>(st->labels_i.size());
  const int64_t C = st->C;
  if (C <= 0) return ctx.invalid("classlabels_ints or classlabels_strings is required");
  int64_t V = 0;
  for (int64_t n : st->per_class) {
    if (n < 0) return ctx.invalid("vectors_per_class must not be negative");
    st->start.push_back(V);
    V += n;
  }
  m.V = V;
  const bool have_proba = !st->prob_a.empty();
  const int64_t pairs = C * (C - 1) / 2;
  if (V > 0) {
    if (static_cast<int64_t>(st->per_class.size()) != C) return ctx.invalid("vectors_per_class must have one entry per class");
    if (C < 2) return ctx.unsupported("an SVC with fewer than two classes");
    if (m.sv.size() % V != 0 || m.sv.empty()) return ctx.invalid("support_vectors is not vectors x features");
    m.F = static_cast<int64_t>(m.sv.size()) / V;
    if (static_cast<int64_t>(m.coef.size()) < (C - 1) * V) return ctx.invalid("coefficients must be (classes - 1) x vectors");
    if (static_cast<int64_t>(m.rho.size()) < pairs) return ctx.invalid("rho needs one value per pair of classes");
    if (have_proba && static_cast<int64_t>(st->prob_a.size()) < pairs) return ctx.invalid("prob_a/prob_b need one value per pair of classes");
  } else {
    if (m.coef.size() % C != 0) return ctx.invalid("coefficients must be classes x features");
    m.F = static_cast<int64_t>(m.coef.size()) / C;
    m.kernel = Kernel::Linear;  // liblinear mode
  }
  st->all_positive = std::all_of(m.coef.begin(), m.coef.end(), [](float v) { return v >= 0.f; });
  st->width = C;
  st->n_scores = C;
  if (V > 0 && !have_proba) {
    st->width = C > 2 ? pairs : 2;
    st->n_scores = pairs;
    if (C <= 2) st->add_second = st->post == Post::None ? 2 : 0;
  }
  // Scratch per row: x as float, kernel values, votes, pairwise matrix, Q, Qp.
  st->scratch_floats = static_cast<size_t>(m.F + V + C + pairs + 2 * C * C + C + 16);
  ctx.set_out(0, st->string_labels ? DType::String : DType::I64);
  ctx.set_out(1, DType::F32);
  ctx.set_state(st);
  return {};
}

template <class T>
void row_to_float(const TensorView& v, int64_t r, int64_t F, float* dst) {
  const T* s = ptr<const T>(v) + r * F;
  for (int64_t f = 0; f < F; ++f) dst[f] = static_cast<float>(s[f]);
}

void load_row(const TensorView& v, int64_t r, int64_t F, float* dst) {
  switch (v.dtype) {
    case DType::F32: row_to_float<float>(v, r, F, dst); break;
    case DType::F64: row_to_float<double>(v, r, F, dst); break;
    case DType::I32: row_to_float<int32_t>(v, r, F, dst); break;
    default: row_to_float<int64_t>(v, r, F, dst); break;
  }
}

// Pairwise coupling: p from the pairwise probabilities r[i][j] (C x C), iterated like libsvm's
// multiclass_probability in float. Q and Qp are C*C and C floats of scratch.
void couple(int64_t C, const float* r, float* p, float* Q, float* Qp) {
  for (int64_t i = 0; i < C * C; ++i) Q[i] = 0.f;
  for (int64_t i = 0; i < C; ++i) {
    p[i] = 1.0f / static_cast<float>(C);
    for (int64_t j = 0; j < i; ++j) {
      Q[i * C + i] += r[j * C + i] * r[j * C + i];
      Q[i * C + j] = Q[j * C + i];
    }
    for (int64_t j = i + 1; j < C; ++j) {
      Q[i * C + i] += r[j * C + i] * r[j * C + i];
      Q[i * C + j] = -r[j * C + i] * r[i * C + j];
    }
  }
  const float eps = 0.005f / static_cast<float>(C);
  for (int iter = 0; iter < 100; ++iter) {
    float pQp = 0.f;
    for (int64_t i = 0; i < C; ++i) {
      Qp[i] = 0.f;
      for (int64_t j = 0; j < C; ++j) Qp[i] += Q[i * C + j] * p[j];
      pQp += p[i] * Qp[i];
    }
    float max_err = 0.f;
    for (int64_t i = 0; i < C; ++i) max_err = std::max(max_err, std::fabs(Qp[i] - pQp));
    if (max_err < eps) break;
    for (int64_t i = 0; i < C; ++i) {
      float diff = (-Qp[i] + pQp) / Q[i * C + i];
      p[i] += diff;
      pQp = (pQp + diff * (diff * Q[i * C + i] + 2 * Qp[i])) / (1 + diff) / (1 + diff);
      for (int64_t j = 0; j < C; ++j) {
        Qp[j] = (Qp[j] + diff * Q[i * C + j]) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

// ONNX Runtime's score update for one row of n scores (room for 2 when add_second >= 0).
void update_scores(float* s, int64_t n, Post post, int add_second) {
  if (n > 1) {
    linear::apply_post(post, s, 1, n, linear::variants()[0]);
  } else if (n == 1) {
    if (post == Post::Probit) {
      s[0] = linear::probit(s[0]);
    } else if (add_second == 0 || add_second == 1) {
      // ONNX Runtime 1.30 applies LOGISTIC first here (checked with ort_run), other transforms not.
      float v = post == Post::Logistic ? linear::logistic(s[0]) : s[0];
      s[0] = 1.f - v, s[1] = v;
    } else if (add_second == 2 || add_second == 3) {
      float v = s[0];
      if (post == Post::Logistic) s[0] = linear::logistic(-v), s[1] = linear::logistic(v);
      else s[0] = -v, s[1] = v;
    }
  }
}

Status svc_run(const KernelCtx& k) {
  const auto& st = k.st<SvcState>();
  const SvmCommon& m = st.m;
  const int64_t C = st.C, F = m.F, V = m.V, pairs = C * (C - 1) / 2;
  const int64_t N = k.in[0].shape.rank() == 1 ? 1 : k.in[0].shape[0];
  const bool have_proba = !st.prob_a.empty();
  float* x = static_cast<float*>(k.scratch);
  float* kv = x + F;
  float* votes = kv + V;
  float* pair_scores = votes + C;
  float* R = pair_scores + pairs;
  float* Q = R + C * C;
  float* Qp = Q + C * C;
  float* tmp_scores = Qp + C;  // C floats when the score output is absent
  float* out = ptr<float>(k.out[1]);
  for (int64_t n = 0; n < N; ++n) {
    load_row(k.in[0], n, F, x);
    float* sc = out ? out + n * st.width : tmp_scores;
    int64_t best = 0;
    float max_weight = 0.f;
    if (V == 0) {
      for (int64_t c = 0; c < C; ++c) {
        float dot = 0.f;
        const float* w = m.coef.data() + c * F;
        for (int64_t f = 0; f < F; ++f) dot += x[f] * w[f];
        sc[c] = dot + m.rho[0];
      }
      for (int64_t c = 1; c < C; ++c)
        if (sc[c] > sc[best]) best = c;
      max_weight = sc[best];
    } else {
      for (int64_t v = 0; v < V; ++v) kv[v] = m.kernel_value(x, m.sv.data() + v * F);
      for (int64_t c = 0; c < C; ++c) votes[c] = 0.f;
      float* ps = have_proba ? pair_scores : sc;
      int64_t idx = 0;
      for (int64_t i = 0; i < C - 1; ++i) {
        for (int64_t j = i + 1; j < C; ++j, ++idx) {
          // Products in float, summed in double, as ONNX Runtime does.
          double sum = 0;
          const float* c1 = m.coef.data() + (j - 1) * V + st.start[i];
          const float* k1 = kv + st.start[i];
          for (int64_t t = 0; t < st.per_class[i]; ++t) sum += c1[t] * k1[t];
          const float* c2 = m.coef.data() + i * V + st.start[j];
          const float* k2 = kv + st.start[j];
          for (int64_t t = 0; t < st.per_class[j]; ++t) sum += c2[t] * k2[t];
          sum += m.rho[idx];
          ps[idx] = static_cast<float>(sum);
          votes[sum > 0 ? i : j] += 1.f;
        }
      }
      if (have_proba) {
        for (int64_t i = 0; i < C * C; ++i) R[i] = 0.f;
        idx = 0;
        for (int64_t i = 0; i < C - 1; ++i)
          for (int64_t j = i + 1; j < C; ++j, ++idx) {
            float v1 = 1.f - linear::logistic(pair_scores[idx] * st.prob_a[idx] + st.prob_b[idx]);
            float v2 = std::min(std::max(v1, 1.0e-7f), 1 - 1.0e-7f);
            R[i * C + j] = v2;
            R[j * C + i] = 1 - v2;
          }
        couple(C, R, sc, Q, Qp);
      }
      for (int64_t c = 1; c < C; ++c)
        if (votes[c] > votes[best]) best = c;
    }
    if (k.out[0].data) {
      int64_t label = best;
      if (pairs == 1 && !have_proba) {
        // Two classes without probabilities: ONNX Runtime's thresholds on the best raw score.
        if ((st.all_positive && max_weight >= 0.5f) || (max_weight > 0 && !st.all_positive)) label = 1;
      }
      if (st.string_labels) ptr<StrRef>(k.out[0])[n] = st.labels_s[label];
      else ptr<int64_t>(k.out[0])[n] = st.labels_i[label];
    }
    if (out) {
      if (st.add_second >= 0 && st.post == Post::Probit) sc[1] = 0.f;
      update_scores(sc, st.n_scores, st.post, st.add_second);
    }
  }
  return {};
}

Status svc_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const SvcState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1 || xs.rank() > 2) return ctx.invalid_input("input must be [N, F] or [F], got " + xs.str());
  if (xs.back() != st.m.F)
    return ctx.invalid_input("input has " + std::to_string(xs.back()) + " features, the model " + std::to_string(st.m.F));
  const int64_t N = xs.rank() == 1 ? 1 : xs[0];
  ctx.set_out_shape(0, Shape{N});
  ctx.set_out_shape(1, Shape{N, st.width});
  ctx.set_scratch((st.scratch_floats + static_cast<size_t>(st.width)) * sizeof(float));
  ctx.set_kernel(&svc_run);
  return {};
}

struct SvrState : OpState {
  SvmCommon m;
  bool one_class = false;
};

Status svr_load(LoadCtx& ctx) {
  auto st = std::make_shared<SvrState>();
  SvmCommon& m = st->m;
  if (Status s = parse_kernel(ctx, m); !s.ok()) return s;
  Post post;
  if (!linear::parse_post(ctx.attr_string("post_transform", "NONE"), &post))
    return ctx.invalid("post_transform must be NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT");
  // ONNX Runtime reads post_transform but never applies it to the regression output.
  m.V = ctx.attr_int("n_supports", 0);
  m.sv = ctx.attr_floats("support_vectors");
  m.rho = ctx.attr_floats("rho");
  m.coef = ctx.attr_floats("coefficients");
  st->one_class = ctx.attr_int("one_class", 0) != 0;
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (m.coef.empty()) return ctx.invalid("coefficients is required");
  if (m.rho.empty()) return ctx.invalid("rho is required");
  if (m.V < 0) return ctx.invalid("n_supports must not be negative");
  if (m.V > 0) {
    if (m.sv.empty() || static_cast<int64_t>(m.sv.size()) % m.V != 0)
      return ctx.invalid("support_vectors is not n_supports x features");
    m.F = static_cast<int64_t>(m.sv.size()) / m.V;
    if (static_cast<int64_t>(m.coef.size()) < m.V) return ctx.invalid("coefficients needs one value per support vector");
  } else {
    m.F = static_cast<int64_t>(m.coef.size());
    m.kernel = Kernel::Linear;
  }
  ctx.set_out(0, DType::F32);
  ctx.set_state(st);
  return {};
}

Status svr_run(const KernelCtx& k) {
  const auto& st = k.st<SvrState>();
  const SvmCommon& m = st.m;
  const int64_t N = k.out[0].shape[0];
  float* x = static_cast<float*>(k.scratch);
  float* y = ptr<float>(k.out[0]);
  for (int64_t n = 0; n < N; ++n) {
    load_row(k.in[0], n, m.F, x);
    float v = 0.f;
    if (m.V > 0) {
      for (int64_t s = 0; s < m.V; ++s) v += m.kernel_value(x, m.sv.data() + s * m.F) * m.coef[s];
    } else {
      for (int64_t f = 0; f < m.F; ++f) v += x[f] * m.coef[f];
    }
    v += m.rho[0];
    if (st.one_class) v = v > 0.f ? 1.f : -1.f;
    y[n] = v;
  }
  return {};
}

Status svr_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const SvrState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1 || xs.rank() > 2) return ctx.invalid_input("input must be [N, F] or [F], got " + xs.str());
  if (xs.back() != st.m.F)
    return ctx.invalid_input("input has " + std::to_string(xs.back()) + " features, the model " + std::to_string(st.m.F));
  const int64_t N = xs.rank() == 1 ? 1 : xs[0];
  ctx.set_out_shape(0, Shape{N, 1});
  ctx.set_scratch(static_cast<size_t>(st.m.F + 16) * sizeof(float));
  ctx.set_kernel(&svr_run);
  return {};
}

}  // namespace

void register_svm_ml_ops(OpRegistry& r) {
  r.add({"ai.onnx.ml", "SVMClassifier", 1, 0, svc_load, svc_plan});
  r.add({"ai.onnx.ml", "SVMRegressor", 1, 0, svr_load, svr_plan});
}

}  // namespace rtml
