// ops/kernels/elementwise_convert.hpp - one element from one numeric type to another, the way a
// C++ static_cast compiles on x86-64 (what ONNX Runtime's Cast does), without undefined
// behaviour: a float out of an integer's range or NaN gives the x86 "integer indefinite" value
// (INT_MIN of the 32/64-bit conversion, then truncated). bool is x != 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace rtml {
// Internal linkage: ISA-specific translation units include this too.
namespace {

// Wrapping integer arithmetic through an unsigned type at least as wide as unsigned int.
template <class T>
using Wide = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
template <class T>
T wrap_neg(T a) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(Wide<T>(0) - static_cast<Wide<T>>(a));
  else return -a;
}

template <class T>
T int_pow(T base, T e) {
  if constexpr (std::is_signed_v<T>) {
    if (e < 0) {  // |base| > 1 gives a fraction that truncates to 0, as pow() then a cast does
      if (base == 1) return 1;
      if (base == -1) return (e & 1) ? T(-1) : T(1);
      return 0;
    }
  }
  Wide<T> r = 1, b = static_cast<Wide<T>>(base);
  auto u = static_cast<std::make_unsigned_t<T>>(e);
  while (u) {
    if (u & 1) r *= b;
    b *= b;
    u >>= 1;
  }
  return static_cast<T>(r);
}


// float/double -> int32 as cvttss2si: out of range or NaN -> INT32_MIN.
template <class F>
int32_t cvt_i32(F x) {
  if (x > F(-2147483649.0) && x < F(2147483648.0)) return static_cast<int32_t>(x);
  return std::numeric_limits<int32_t>::min();
}
// float/double -> int64 as cvttsd2si: out of range or NaN -> INT64_MIN.
template <class F>
int64_t cvt_i64(F x) {
  if (x >= F(-9223372036854775808.0) && x < F(9223372036854775808.0)) return static_cast<int64_t>(x);
  return std::numeric_limits<int64_t>::min();
}

template <class D, class S>
D convert(S x) {
  if constexpr (std::is_same_v<D, bool>) {
    return x != S(0);
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    if constexpr (std::is_same_v<D, int64_t>) {
      return cvt_i64(x);
    } else if constexpr (std::is_same_v<D, uint64_t>) {
      // gcc: values >= 2^63 go through a subtraction (too big: 0), the rest through the signed
      // conversion.
      if (x >= S(9223372036854775808.0))
        return static_cast<uint64_t>(cvt_i64(x - S(9223372036854775808.0))) ^ (uint64_t(1) << 63);
      return static_cast<uint64_t>(cvt_i64(x));
    } else if constexpr (std::is_same_v<D, uint32_t>) {
      // The same trick on 32 bits (what ONNX Runtime's vectorised cast computes).
      if (x >= S(2147483648.0)) return static_cast<uint32_t>(cvt_i32(x - S(2147483648.0))) ^ 0x80000000u;
      return static_cast<uint32_t>(cvt_i32(x));
    } else {
      return static_cast<D>(cvt_i32(x));
    }
  } else {
    return static_cast<D>(x);
  }
}

}  // namespace
}  // namespace rtml
