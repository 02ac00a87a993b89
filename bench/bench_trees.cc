// bench_trees.cc - the tree-ensemble kernel alone: rows x trees x depth on random complete trees
// (BRANCH_LEQ, one target, float): Auto (what the operator runs), the interleaved walk, the
// QuickScorer kernel, the level tables and the scalar reference.
// Counter ns_per_row_tree = time / (rows * trees).
//   build/bench/bench_trees --benchmark_filter='(Interleaved|QuickScorer|Levels)/1000/100/6'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "ops/kernels/tree_forest.hpp"

namespace {

using namespace rtml::trees;

constexpr int kFeatures = 20;

Forest<float> make_forest(int n_trees, int depth, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> feat(0, kFeatures - 1);
  std::normal_distribution<float> thr(0, 1);
  TreeGraph g;
  auto add = [&](Mode m) {
    g.mode.push_back(static_cast<uint8_t>(m));
    g.feature.push_back(feat(rng));
    g.value.push_back(thr(rng));
    g.tchild.push_back(-1);
    g.fchild.push_back(-1);
    return static_cast<int32_t>(g.mode.size() - 1);
  };
  std::vector<int32_t> leaves;
  for (int t = 0; t < n_trees; ++t) {
    // breadth-first complete tree: node k has children 2k+1, 2k+2
    const int32_t base = static_cast<int32_t>(g.mode.size());
    const int n = (1 << (depth + 1)) - 1;
    for (int k = 0; k < n; ++k) add(k < (1 << depth) - 1 ? Mode::Leq : Mode::Leaf);
    for (int k = 0; k < (1 << depth) - 1; ++k) {
      g.tchild[base + k] = base + 2 * k + 1;
      g.fchild[base + k] = base + 2 * k + 2;
    }
    g.roots.push_back(base);
  }
  g.w_begin.assign(g.mode.size() + 1, 0);
  for (size_t i = 0; i < g.mode.size(); ++i) {
    if (static_cast<Mode>(g.mode[i]) == Mode::Leaf) {
      g.w_target.push_back(0);
      g.w_value.push_back(thr(rng));
    }
    g.w_begin[i + 1] = static_cast<int32_t>(g.w_target.size());
  }
  ForestInfo info;
  Forest<float> f;
  build_forest(g, info, &f);
  return f;
}

void run(benchmark::State& state, Path path) {
  const int rows = static_cast<int>(state.range(0)), n_trees = static_cast<int>(state.range(1)),
            depth = static_cast<int>(state.range(2));
  Forest<float> f = make_forest(n_trees, depth, 7);
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0, 1);
  std::vector<float> x(static_cast<size_t>(rows) * kFeatures);
  for (auto& v : x) v = d(rng);
  std::vector<float> score(rows);
  std::vector<uint8_t> has(rows);
  std::vector<float> work(static_cast<size_t>(work_elems(f, rows)));
  for (auto _ : state) {
    std::fill(score.begin(), score.end(), 0.f);
    // In blocks of 128 rows, as the operator does (ops/tree_ensemble.cc: a block stays in L1).
    for (int r0 = 0; r0 < rows; r0 += 128)
      accumulate(f, x.data() + static_cast<size_t>(r0) * kFeatures, std::min(128, rows - r0), kFeatures, 0, f.n_trees(),
                 score.data() + r0, has.data() + r0, work.data(), path);
    benchmark::DoNotOptimize(score.data());
  }
  state.counters["ns_per_row_tree"] = benchmark::Counter(
      static_cast<double>(rows) * n_trees, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["rows_per_s"] = benchmark::Counter(rows, benchmark::Counter::kIsIterationInvariantRate);
}

void Auto(benchmark::State& s) { run(s, Path::Auto); }
void Interleaved(benchmark::State& s) { run(s, Path::Interleaved); }
void QuickScorer(benchmark::State& s) { run(s, Path::QuickScorer); }
void Reference(benchmark::State& s) { run(s, Path::Reference); }
void Levels(benchmark::State& s) { run(s, Path::Levels); }

void args(benchmark::internal::Benchmark* b) {
  for (int rows : {1, 1000})
    for (int trees : {100, 500})
      for (int depth : {3, 4, 6, 8, 10, 12}) b->Args({rows, trees, depth});
}

BENCHMARK(Auto)->Apply(args);
BENCHMARK(Interleaved)->Apply(args);
BENCHMARK(QuickScorer)->Apply(args);
BENCHMARK(Levels)->Apply(args);
BENCHMARK(Reference)->Apply(args);

}  // namespace

BENCHMARK_MAIN();
