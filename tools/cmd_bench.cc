// cmd_bench.cc - `rtml bench MODEL --inputs DIR [--batch N] [--threads N] [--warmup N]
// [--iters N] [--max-seconds S] [--json]`: latency min/p50/p99, rows/s, load time, arena bytes,
// heap allocations per run. Each run is timed alone with a monotonic clock, like ort_bench.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/cli.hpp"

namespace rtml::cli {

namespace {

using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

// N rows made by cycling the stored rows along axis 0.
Tensor tile_rows(const Tensor& t, int64_t n) {
  if (t.shape().rank() == 0 || t.shape()[0] == 0) return t;
  Shape s = t.shape();
  int64_t stored = s[0];
  s[0] = n;
  Tensor out(t.dtype(), s);
  int64_t row = t.numel() / stored;
  for (int64_t r = 0; r < n; ++r) {
    int64_t src = r % stored;
    if (t.dtype() == DType::String) {
      for (int64_t e = 0; e < row; ++e) out.set_str(r * row + e, t.str(src * row + e));
    } else {
      size_t bytes = static_cast<size_t>(row) * dtype_size(t.dtype());
      std::memcpy(static_cast<char*>(out.raw()) + r * bytes, static_cast<const char*>(t.raw()) + src * bytes, bytes);
    }
  }
  return out;
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  std::string model_path, in_dir;
  int64_t batch = 0, warmup = 100, iters = 1000;
  double max_seconds = 5;
  bool json = false;
  ModelOptions opts;
  opts.threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : "0"; };
    if (a == "--inputs") in_dir = next();
    else if (a == "--batch") batch = std::atoll(next().c_str());
    else if (a == "--threads") opts.threads = std::atoi(next().c_str());
    else if (a == "--warmup") warmup = std::atoll(next().c_str());
    else if (a == "--iters") iters = std::atoll(next().c_str());
    else if (a == "--max-seconds") max_seconds = std::atof(next().c_str());
    else if (a == "--json") json = true;
    else if (a == "--no-optimize") opts.optimize = false;
    else if (model_path.empty() && a[0] != '-') model_path = a;
    else {
      std::fprintf(stderr, "rtml bench: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (model_path.empty() || in_dir.empty()) {
    std::fprintf(stderr, "usage: rtml bench MODEL.onnx --inputs DIR [--batch N] [--threads N] [--json]\n");
    return 2;
  }
  auto t0 = Clock::now();
  auto loaded = Model::load(model_path, opts);
  double load_ms = us_since(t0) / 1000;
  if (!loaded.ok()) return fail(loaded.status());
  const Model& m = *loaded.value();
  std::vector<Tensor> tensors;
  std::vector<TensorView> views;
  if (Status s = read_inputs(m, in_dir, &tensors, &views); !s.ok()) return fail(s);
  int64_t rows = 1;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (views[i].dtype == DType::Undefined) continue;
    if (batch > 0) {
      tensors[i] = tile_rows(tensors[i], batch);
      views[i] = tensors[i].view();
    }
    if (i == 0 && views[i].shape.rank() > 0) rows = views[i].shape[0];
  }
  Session session(loaded.value());
  std::vector<Value> outs(m.outputs().size());
  if (Status s = session.run(views, outs); !s.ok()) return fail(s);
  auto w0 = Clock::now();
  for (int64_t i = 0; i < warmup && us_since(w0) < 1e6; ++i)
    if (Status s = session.run(views, outs); !s.ok()) return fail(s);
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(iters));
  uint64_t allocs0 = heap_allocations();
  auto start = Clock::now();
  for (int64_t i = 0; i < iters; ++i) {
    auto r0 = Clock::now();
    Status s = session.run(views, outs);
    double us = us_since(r0);
    if (!s.ok()) return fail(s);
    lat.push_back(us);
    if (us_since(start) > max_seconds * 1e6) break;
  }
  uint64_t allocs = heap_allocations() - allocs0;  // lat was reserved up front
  double mean = 0;
  for (double v : lat) mean += v;
  mean /= lat.empty() ? 1 : lat.size();
  std::vector<double> sorted = lat;
  std::sort(sorted.begin(), sorted.end());
  double p50 = pct(sorted, 0.5), p90 = pct(sorted, 0.9), p99 = pct(sorted, 0.99);
  double allocs_per_run = lat.empty() ? 0 : static_cast<double>(allocs) / lat.size();
  double rows_per_s = rows / (mean / 1e6), rows_per_s_median = rows / (p50 / 1e6);
  if (json) {
    std::printf(
        "{\"harness\":\"rtml\",\"version\":\"%s\",\"model\":\"%s\",\"batch\":%lld,\"rows\":%lld,\"threads\":%d,"
        "\"load_ms\":%.3f,\"arena_bytes\":%zu,\"allocs_per_run\":%.3f,"
        "\"latency_us\":{\"n\":%zu,\"min\":%.4f,\"p50\":%.4f,\"median\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"max\":%.4f,\"mean\":%.4f},"
        "\"rows_per_s\":%.0f,\"rows_per_s_median\":%.0f}\n",
        version(), model_path.c_str(), static_cast<long long>(rows), static_cast<long long>(rows), opts.threads, load_ms,
        session.arena_bytes(), allocs_per_run, lat.size(), sorted.front(), p50, p50, p90, p99, sorted.back(), mean, rows_per_s,
        rows_per_s_median);
  } else {
    std::printf("model        %s\nbatch        %lld   threads %d\nload         %.3f ms\n", model_path.c_str(),
                static_cast<long long>(rows), opts.threads, load_ms);
    std::printf("latency      min %.3f us   p50 %.3f us   p99 %.3f us   (n=%zu)\n", sorted.front(), p50, p99, lat.size());
    std::printf("throughput   %.0f rows/s\narena        %zu bytes\nallocations  %.3f per run\n", rows_per_s,
                session.arena_bytes(), allocs_per_run);
  }
  return 0;
}

}  // namespace rtml::cli
