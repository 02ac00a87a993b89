// tree_ensemble.cc - ai.onnx.ml TreeEnsembleClassifier, TreeEnsembleRegressor (opsets 1-3) and
// TreeEnsemble (opset 5). All three load into one packed Forest<T> (ops/kernels/tree_forest.hpp)
// and share one kernel; semantics are ONNX Runtime's (see ops/kernels/tree_eval.cc).
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "engine/op.hpp"
#include "ops/kernels/tree_forest.hpp"
#include "ops/tree_attrs.hpp"

namespace rtml {
namespace {

using trees::Forest;
using trees::Kind;

enum class OpKind { Regressor, Classifier, Ensemble5 };

struct TreeState : OpState {
  OpKind op = OpKind::Regressor;
  bool dbl = false;  // thresholds and scores in double (double input)
  Forest<float> ff;
  Forest<double> fd;
  std::vector<std::string> label_strings;  // classifier with string labels
  std::vector<StrRef> label_refs;          // point into label_strings
  template <class T>
  const Forest<T>& forest() const {
    if constexpr (std::is_same_v<T, double>) return fd;
    else return ff;
  }
};

// Why these numbers: a step (one node of one row) costs about 1 ns; waking a pool thread costs
// tens of microseconds, so below ~64k steps one thread finishes first.
constexpr int64_t kMinParallelSteps = 1 << 16;

struct TreePlan : PlanData {
  int64_t rows = 0, cols = 0;
  int64_t block = 0;     // rows per accumulation block
  int slots = 1;         // threads used (each with its own scratch slot)
  int64_t tasks = 1;     // row ranges the threads share out (rows split across threads)
  bool split_trees = false;
  size_t slot_bytes = 0;
  size_t off_has = 0, off_x = 0, off_z = 0, off_work = 0;
};

constexpr size_t align64(size_t b) { return (b + 63) & ~size_t(63); }

template <class T, class I, class Out>
Status tree_run(const KernelCtx& k) {
  const TreeState& st = k.st<TreeState>();
  const Forest<T>& f = st.forest<T>();
  const TreePlan& p = k.plan_data<TreePlan>();
  const int32_t K = f.info.n_targets;
  const int64_t N = p.rows, C = p.cols;
  const I* x = static_cast<const I*>(k.in[0].data);
  const bool cls = st.op == OpKind::Classifier;
  Out* z = static_cast<Out*>(k.out[cls ? 1 : 0].data);
  void* labels = cls ? k.out[0].data : nullptr;
  const bool str_labels = !st.label_strings.empty();
  char* scratch = static_cast<char*>(k.scratch);
  const int32_t n_trees = f.n_trees();

  auto slot = [&](int s) { return scratch + s * p.slot_bytes; };
  auto to_t = [&](const I* src, int64_t rows, T* dst) -> const T* {
    if constexpr (std::is_same_v<I, T>) {
      (void)rows, (void)dst;
      return src;
    } else {
      for (int64_t i = 0; i < rows * C; ++i) dst[i] = static_cast<T>(src[i]);
      return dst;
    }
  };
  auto finish = [&](int64_t row, T* score, uint8_t* has, Out* ztmp) {
    int64_t label = 0;
    Out* zr = z ? z + row * K : ztmp;
    trees::finalize_row<T, Out>(f, score, has, zr, &label);
    if (labels) {
      if (str_labels) static_cast<StrRef*>(labels)[row] = st.label_refs[static_cast<size_t>(label)];
      else static_cast<int64_t*>(labels)[row] = label;
    }
  };
  // Rows [r0, r1) with the scratch of slot s.
  auto rows = [&](int64_t r0, int64_t r1, int s) {
    char* sl = slot(s);
    T* score = reinterpret_cast<T*>(sl);
    uint8_t* has = reinterpret_cast<uint8_t*>(sl + p.off_has);
    T* xc = reinterpret_cast<T*>(sl + p.off_x);
    Out* ztmp = reinterpret_cast<Out*>(sl + p.off_z);
    T* work = reinterpret_cast<T*>(sl + p.off_work);
    for (int64_t b0 = r0; b0 < r1; b0 += p.block) {
      const int64_t m = std::min(p.block, r1 - b0);
      std::memset(score, 0, sizeof(T) * m * K);
      std::memset(has, 0, static_cast<size_t>(m * K));
      const T* xb = to_t(x + b0 * C, m, xc);
      trees::accumulate(f, xb, m, C, 0, n_trees, score, has, work);
      for (int64_t r = 0; r < m; ++r) finish(b0 + r, score + r * K, has + r * K, ztmp);
    }
  };

  if (N == 0) return {};
  if (p.slots <= 1) {
    rows(0, N, 0);
  } else if (!p.split_trees) {
    // Row ranges as tasks taken by whichever thread is free (threads of this VM run unevenly);
    // each thread works in its own scratch slot. Task edges on whole 16-row groups (the vector
    // kernels' unit: a partial group costs a full one).
    const int64_t NT = p.tasks;
    auto edge = [&](int64_t t) { return t >= NT ? N : std::min(N, (N * t / NT + trees::kQsRows / 2) / trees::kQsRows * trees::kQsRows); };
    k.env->pool->parallel_tasks(NT, [&](int64_t t, int w) { rows(edge(t), edge(t + 1), w); });
  } else {
    // Few rows, many trees: each slot sums a range of trees, merged in tree order.
    const int S = p.slots;
    for (int64_t r = 0; r < N; ++r) {
      const T* xr = to_t(x + r * C, 1, reinterpret_cast<T*>(slot(0) + p.off_x));
      k.env->pool->parallel_for(S, 1, [&](int64_t b, int64_t e) {
        for (int64_t s = b; s < e; ++s) {
          char* sl = slot(static_cast<int>(s));
          T* score = reinterpret_cast<T*>(sl);
          uint8_t* has = reinterpret_cast<uint8_t*>(sl + p.off_has);
          std::memset(score, 0, sizeof(T) * K);
          std::memset(has, 0, static_cast<size_t>(K));
          trees::accumulate(f, xr, 1, C, static_cast<int32_t>(n_trees * s / S),
                            static_cast<int32_t>(n_trees * (s + 1) / S), score, has,
                            reinterpret_cast<T*>(sl + p.off_work));
        }
      });
      T* s0 = reinterpret_cast<T*>(slot(0));
      uint8_t* h0 = reinterpret_cast<uint8_t*>(slot(0) + p.off_has);
      for (int s = 1; s < S; ++s)
        trees::merge_scores(f, s0, h0, reinterpret_cast<const T*>(slot(s)),
                            reinterpret_cast<const uint8_t*>(slot(s) + p.off_has));
      finish(r, s0, h0, reinterpret_cast<Out*>(slot(0) + p.off_z));
    }
  }
  return {};
}

template <class T, class Out>
KernelFn pick_kernel(DType in) {
  switch (in) {
    case DType::F32: if constexpr (std::is_same_v<T, float>) return &tree_run<T, float, Out>; else return nullptr;
    case DType::F64: if constexpr (std::is_same_v<T, double>) return &tree_run<T, double, Out>; else return nullptr;
    case DType::I32: if constexpr (std::is_same_v<T, float>) return &tree_run<T, int32_t, Out>; else return nullptr;
    case DType::I64: if constexpr (std::is_same_v<T, float>) return &tree_run<T, int64_t, Out>; else return nullptr;
    default: return nullptr;
  }
}

template <class T>
Status plan_forest(PlanCtx& ctx, const TreeState& st, const Forest<T>& f) {
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 1 || xs.rank() > 2) return ctx.invalid_input("X must be 1-D or 2-D, got " + xs.str());
  const int64_t N = xs.rank() == 1 ? 1 : xs[0];
  const int64_t C = xs.rank() == 1 ? xs[0] : xs[1];
  if (C < f.n_features)
    return ctx.invalid_input("the trees read feature " + std::to_string(f.n_features - 1) + " but X has " +
                             std::to_string(C) + " columns");
  const int64_t K = f.info.n_targets;
  if (st.op == OpKind::Classifier) {
    ctx.set_out_shape(0, Shape{N});
    ctx.set_out_shape(1, Shape{N, K});
  } else {
    ctx.set_out_shape(0, Shape{N, K});
  }
  const DType in = ctx.in_dtype(0);
  const bool convert = in == DType::I32 || in == DType::I64;
  const bool out_dbl = st.op == OpKind::Ensemble5 && st.dbl;
  auto& p = ctx.make_data<TreePlan>();
  p.rows = N;
  p.cols = C;
  // Rows per block: every tree of the forest goes through the block's rows before the next block
  // starts, so a forest bigger than the caches is streamed once per block. Why ~128 KB of rows:
  // the walk only needs the current 12-row group in L1, and bigger blocks stream a big forest
  // less often (measured, rf_reg_make_regression's 2.3 MB forest at batch 1000: blocks of 192
  // rows 839 us, 960 rows 643 us on one thread; two threads 535 -> 327 us); small forests do not
  // care. At most 1024 rows, a multiple of both kernels' row groups (kBlockRows).
  int64_t b = (128 * 1024) / std::max<int64_t>(1, C * static_cast<int64_t>(sizeof(T)));
  b = std::clamp<int64_t>(b, 8, 1024);
  b = std::min<int64_t>(b, std::max<int64_t>(8, 32768 / K));
  b = std::min<int64_t>(b, (N + trees::kBlockRows - 1) / trees::kBlockRows * trees::kBlockRows);  // scratch for N rows at most
  p.block = std::max<int64_t>(trees::kBlockRows, b / trees::kBlockRows * trees::kBlockRows);
  const size_t score_b = align64(sizeof(T) * p.block * K), has_b = align64(p.block * K);
  const size_t x_b = convert ? align64(sizeof(T) * p.block * std::max<int64_t>(C, 1)) : 0;
  const size_t z_b = align64((out_dbl ? 8 : 4) * K);
  p.off_has = score_b;
  p.off_x = score_b + has_b;
  p.off_z = p.off_x + x_b;
  p.off_work = p.off_z + z_b;
  p.slot_bytes = p.off_work + align64(sizeof(T) * static_cast<size_t>(trees::work_elems(f, p.block)));
  const int threads = std::max(1, ctx.threads());
  const int64_t work = N * f.total_depth;
  if (threads > 1 && work >= kMinParallelSteps) {
    if (N >= 16 * threads) {
      p.slots = threads;
      // Several tasks per thread balance uneven threads; a forest bigger than L2 is streamed
      // once per task, so it gets one task per thread.
      const size_t bytes = f.nodes.size() * sizeof(f.nodes[0]) + f.levels.data.size() * sizeof(int32_t);
      const int64_t per = bytes <= (512u << 10) ? 4 : 1;
      p.tasks = std::min<int64_t>(threads * per, N / trees::kQsRows);
    } else if (f.n_trees() >= 8 * threads) {
      p.slots = threads;
      p.split_trees = true;
    }
  }
  ctx.set_scratch(p.slot_bytes * p.slots);
  ctx.set_kernel(out_dbl ? pick_kernel<T, double>(in) : pick_kernel<T, float>(in));
  if (!ctx.kernel_) return ctx.invalid_input(std::string("unsupported input type ") + dtype_name(in));
  return {};
}

Status tree_plan(PlanCtx& ctx) {
  const TreeState& st = *static_cast<const TreeState*>(ctx.state);
  return st.dbl ? plan_forest<double>(ctx, st, st.fd) : plan_forest<float>(ctx, st, st.ff);
}

Status tree_load(LoadCtx& ctx, OpKind op) {
  if (op == OpKind::Ensemble5) {
    if (Status s = ctx.require_input(0, {DType::F32, DType::F64}); !s.ok()) return s;
  } else {
    if (Status s = ctx.require_input(0, {DType::F32, DType::F64, DType::I64, DType::I32}); !s.ok()) return s;
  }
  auto st = std::make_shared<TreeState>();
  st->op = op;
  st->dbl = ctx.in_dtype(0) == DType::F64;
  trees::ParsedTrees parsed;
  bool unsupported = false;
  std::string err = op == OpKind::Ensemble5 ? trees::parse_v5(ctx, &parsed, &unsupported)
                                            : trees::parse_v3(ctx, op == OpKind::Classifier, &parsed, &unsupported);
  if (!err.empty()) return unsupported ? ctx.unsupported(err) : ctx.invalid(err);
  err = st->dbl ? trees::build_forest(parsed.graph, parsed.info, &st->fd)
                : trees::build_forest(parsed.graph, parsed.info, &st->ff);
  if (!err.empty()) return ctx.invalid(err);
  st->label_strings = std::move(parsed.label_strings);
  for (const std::string& s : st->label_strings) st->label_refs.push_back(StrRef{s.data(), s.size()});
  if (op == OpKind::Classifier) {
    ctx.set_out(0, st->label_strings.empty() ? DType::I64 : DType::String);
    ctx.set_out(1, DType::F32);
  } else {
    ctx.set_out(0, op == OpKind::Ensemble5 && st->dbl ? DType::F64 : DType::F32);
  }
  ctx.set_state(st);
  return {};
}

Status load_classifier(LoadCtx& ctx) { return tree_load(ctx, OpKind::Classifier); }
Status load_regressor(LoadCtx& ctx) { return tree_load(ctx, OpKind::Regressor); }
Status load_ensemble5(LoadCtx& ctx) { return tree_load(ctx, OpKind::Ensemble5); }

}  // namespace

void register_tree_ensemble_ops(OpRegistry& r) {
  r.add({"ai.onnx.ml", "TreeEnsembleClassifier", 1, 0, load_classifier, tree_plan});
  r.add({"ai.onnx.ml", "TreeEnsembleRegressor", 1, 0, load_regressor, tree_plan});
  r.add({"ai.onnx.ml", "TreeEnsemble", 5, 0, load_ensemble5, tree_plan});
}

}  // namespace rtml
