// tests/ops/test_util_ew.hpp - shared helpers of the element-wise tests: random tensors of any
// dtype, numpy broadcasting done the slow obvious way, element access as double.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ops/common.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {

inline std::mt19937& rng() {
  static std::mt19937 g(1234);
  return g;
}

// Element i of a numeric/bool/float16 tensor as double.
inline double get_d(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::F32: return t.data<float>()[i];
    case DType::F64: return t.data<double>()[i];
    case DType::F16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::I8: return t.data<int8_t>()[i];
    case DType::I16: return t.data<int16_t>()[i];
    case DType::I32: return t.data<int32_t>()[i];
    case DType::I64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::U8: return t.data<uint8_t>()[i];
    case DType::U16: return t.data<uint16_t>()[i];
    case DType::U32: return t.data<uint32_t>()[i];
    case DType::U64: return static_cast<double>(t.data<uint64_t>()[i]);
    case DType::Bool: return t.data<uint8_t>()[i] ? 1 : 0;
    default: return 0;
  }
}

inline void set_d(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::F32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::F64: t.data<double>()[i] = v; break;
    case DType::F16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); break;
    case DType::I8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
    case DType::I16: t.data<int16_t>()[i] = static_cast<int16_t>(v); break;
    case DType::I32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
    case DType::I64: t.data<int64_t>()[i] = static_cast<int64_t>(v); break;
    case DType::U8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case DType::U16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v); break;
    case DType::U32: t.data<uint32_t>()[i] = static_cast<uint32_t>(v); break;
    case DType::U64: t.data<uint64_t>()[i] = static_cast<uint64_t>(v); break;
    case DType::Bool: t.data<uint8_t>()[i] = v != 0; break;
    default: break;
  }
}

inline bool is_float(DType t) { return t == DType::F32 || t == DType::F64 || t == DType::F16; }
inline bool is_signed(DType t) {
  return is_float(t) || t == DType::I8 || t == DType::I16 || t == DType::I32 || t == DType::I64;
}

// Random values in [lo, hi] (integers for integer types; float values rounded to 1/8 so that
// float16 holds them exactly).
inline Tensor random_tensor(DType t, Shape s, double lo, double hi) {
  Tensor x(t, s);
  std::uniform_real_distribution<double> d(lo, hi);
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v = d(rng());
    v = is_float(t) ? std::round(v * 8) / 8 : std::round(v);
    if (t == DType::Bool) v = v > (lo + hi) / 2;
    set_d(x, i, v);
  }
  return x;
}

// Flat index of the input element that output element `o` reads under numpy broadcasting.
inline int64_t bcast_index(const Shape& in, const Shape& out, int64_t o) {
  int64_t idx = 0, stride = 1;
  for (int d = out.rank() - 1; d >= 0; --d) {
    const int64_t od = out[d];
    const int64_t coord = od ? o % od : 0;
    o = od ? o / od : 0;
    const int id = d - (out.rank() - in.rank());
    if (id < 0) continue;
    if (in[id] != 1) idx += coord * stride;
    stride *= in[id];
  }
  return idx;
}

inline Shape bcast(const Shape& a, const Shape& b) {
  Shape o;
  EXPECT_TRUE(broadcast_shapes(a, b, &o));
  return o;
}

// Compares numerically with a relative tolerance (exact for integers).
inline void expect_close(const Tensor& got, const std::vector<double>& want, double rtol,
                         const std::string& what) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size())) << what;
  int bad = 0;
  for (int64_t i = 0; i < got.numel() && bad < 5; ++i) {
    const double g = get_d(got, i), w = want[i];
    const bool ok = (std::isnan(g) && std::isnan(w)) || g == w ||
                    std::fabs(g - w) <= rtol * std::fabs(w) + (rtol > 0 ? 1e-6 : 0);
    if (!ok) {
      ++bad;
      ADD_FAILURE() << what << " element " << i << ": got " << g << " want " << w;
    }
  }
}

}  // namespace rtml::test
