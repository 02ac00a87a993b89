// ops/broadcast.hpp - numpy broadcasting of up to three inputs into one output, planned once per
// shape set: dims of size 1 are dropped and neighbouring dims that every input walks the same
// way are merged, so a kernel sees a few outer rows of one contiguous inner run each.
//
//   Broadcast bc;
//   if (!bc.init({&a_shape, &b_shape}, out_shape)) -> shapes do not broadcast
//   for_each_run(bc, pool, [&](int64_t o, const int64_t* in, int64_t n) { ... });
// Each run covers out[o, o+n); input k starts at element in[k] and advances along the run when
// bc.contig bit k is set, else repeats that one element.
//
// Layout: dims[0..rank) are the collapsed output dims (outermost first); st[k][d] is input k's
// element stride along dim d (0 where it broadcasts); the innermost stride is 1 or 0.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "ops/common.hpp"

namespace rtml {

struct Broadcast {
  static constexpr int kMaxIn = 3;
  int n_in = 0;
  int rank = 1;
  int64_t dims[Shape::kMaxRank] = {1};
  int64_t st[kMaxIn][Shape::kMaxRank] = {};
  int64_t inner = 1;   // dims[rank-1]
  int64_t outer = 1;   // product of the other dims
  int64_t total = 1;   // inner * outer (0 for an empty output)
  uint8_t contig = 0;  // bit k: input k advances along the inner run

  // False when an input does not broadcast to `out` (or has a higher rank).
  bool init(std::initializer_list<const Shape*> ins, const Shape& out) {
    n_in = static_cast<int>(ins.size());
    const int r = out.rank();
    int64_t cd[Shape::kMaxRank], cs[kMaxIn][Shape::kMaxRank];  // collapsed, innermost first
    int n = 0;
    int64_t in_stride[kMaxIn] = {1, 1, 1};
    total = out.numel();
    for (int d = r - 1; d >= 0; --d) {
      const int64_t od = out[d];
      int64_t s[kMaxIn];
      int k = 0;
      for (const Shape* in : ins) {
        const int id = d - (r - in->rank());
        const int64_t idim = id >= 0 ? (*in)[id] : 1;
        if (in->rank() > r || (idim != od && idim != 1)) return false;
        s[k] = idim == 1 ? 0 : in_stride[k];
        in_stride[k] *= idim;
        ++k;
      }
      if (od == 1) continue;
      bool merge = n > 0;
      for (int j = 0; j < n_in && merge; ++j) merge = s[j] == cs[j][n - 1] * cd[n - 1];
      if (merge) {
        cd[n - 1] *= od;
      } else {
        cd[n] = od;
        for (int j = 0; j < n_in; ++j) cs[j][n] = s[j];
        ++n;
      }
    }
    if (n == 0) {  // every dim is 1: one element
      cd[0] = 1;
      for (int j = 0; j < n_in; ++j) cs[j][0] = 1;
      n = 1;
    }
    rank = n;
    for (int d = 0; d < n; ++d) {
      dims[d] = cd[n - 1 - d];
      for (int j = 0; j < n_in; ++j) st[j][d] = cs[j][n - 1 - d];
    }
    inner = dims[n - 1];
    outer = 1;
    for (int d = 0; d + 1 < n; ++d) outer *= dims[d];
    contig = 0;
    for (int j = 0; j < n_in; ++j)
      if (st[j][n - 1] != 0) contig |= uint8_t(1u << j);
    return true;
  }

  // Binary kernel mode of the inner runs: 0 both advance, 1 b repeats, 2 a repeats.
  int mode2() const {
    const bool a = contig & 1, b = contig & 2;
    return (a && !b) ? 1 : (!a && b) ? 2 : 0;
  }

  // Calls f(out_offset, in_offsets, n) for rows [r0, r1).
  template <class F>
  void rows(int64_t r0, int64_t r1, F&& f) const {
    int64_t idx[Shape::kMaxRank] = {};
    int64_t off[kMaxIn] = {};
    int64_t rem = r0;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = rem % dims[d];
      rem /= dims[d];
      for (int k = 0; k < n_in; ++k) off[k] += idx[d] * st[k][d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      f(r * inner, static_cast<const int64_t*>(off), inner);
      for (int d = rank - 2; d >= 0; --d) {
        for (int k = 0; k < n_in; ++k) off[k] += st[k][d];
        if (++idx[d] < dims[d]) break;
        for (int k = 0; k < n_in; ++k) off[k] -= st[k][d] * dims[d];
        idx[d] = 0;
      }
    }
  }
};

// Below this many output elements a broadcast op stays on the calling thread: splitting costs
// a few microseconds of wake-up, more than the work itself (about 64K floats at ~20 GB/s).
constexpr int64_t kParallelMinElems = 64 * 1024;
// Smallest chunk handed to one thread.
constexpr int64_t kParallelGrain = 16 * 1024;

// Runs f over every inner run of `bc`, split across `pool` when the output is big.
template <class F>
void for_each_run(const Broadcast& bc, ThreadPool* pool, F&& f) {
  if (bc.total <= 0) return;
  const bool par = pool && pool->threads() > 1 && bc.total >= kParallelMinElems;
  if (bc.outer == 1) {
    const int64_t zero[Broadcast::kMaxIn] = {};
    if (!par) {
      f(int64_t(0), static_cast<const int64_t*>(zero), bc.inner);
      return;
    }
    pool->parallel_for(bc.inner, kParallelGrain, [&](int64_t b, int64_t e) {
      int64_t off[Broadcast::kMaxIn];
      for (int k = 0; k < bc.n_in; ++k) off[k] = (bc.contig >> k & 1) ? b : 0;
      f(b, static_cast<const int64_t*>(off), e - b);
    });
    return;
  }
  if (!par) {
    bc.rows(0, bc.outer, f);
    return;
  }
  const int64_t grain = bc.inner >= kParallelGrain ? 1 : kParallelGrain / bc.inner;
  pool->parallel_for(bc.outer, grain, [&](int64_t b, int64_t e) { bc.rows(b, e, f); });
}

// float16 runs through a float kernel, in stack chunks (no allocation).
constexpr int64_t kF16Chunk = 256;

inline void f16_to_f32(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = half_to_float(x[i]);
}
inline void f32_to_f16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = float_to_half(x[i]);
}

}  // namespace rtml
