// metrics.hpp - per-model counters and latency histograms (lock-free atomics), written out in
// Prometheus text format by GET /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace rtml::server {

class Histogram {
 public:
  // Upper bounds in microseconds: from a cache-hot tree (~10 us) to a slow batch (1 s).
  static constexpr std::array<int64_t, 14> kBoundsUs = {10,   25,   50,    100,   250,    500,    1000,
                                                        2500, 5000, 10000, 25000, 100000, 250000, 1000000};
  void observe(int64_t us) {
    size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(us, std::memory_order_relaxed);
  }
  // Appends name_bucket{labels,le=...}, name_sum, name_count lines.
  void write(std::string& o, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsUs.size() + 1> counts_{};
  std::atomic<int64_t> sum_us_{0};
};

// Lives as long as the server: shared by every version of one model name.
struct ModelMetrics {
  std::atomic<uint64_t> requests{0}, failures{0}, rows{0}, batches{0};  // batches: micro-batched runs
  Histogram queue_us, compute_us, total_us;
};

}  // namespace rtml::server
