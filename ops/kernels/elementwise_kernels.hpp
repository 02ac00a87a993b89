// ops/kernels/elementwise_kernels.hpp - the element-wise loops, written once as templates on the
// xsimd arch. elementwise.cc instantiates them for the scalar reference and the portable ISA,
// elementwise_avx2.cc for AVX2+FMA. Only those two files include this header.
//
// Every op has a scalar form `s` (the reference, also used for tails) and, where SIMD pays, a
// batch form `v`. Integer arithmetic wraps (two's complement) instead of overflowing.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ops/kernels/elementwise.hpp"
#include "ops/kernels/elementwise_convert.hpp"

// Internal linkage: each ISA translation unit keeps its own copies (no ODR mixing of code
// compiled for different ISAs).
namespace rtml::ew {
namespace {

// The scalar reference "arch": plain loops over the `s` forms.
struct ScalarArch {};

// bool elements are bytes holding 0 or 1; the kernels read them as uint8_t.
template <class T>
using Stor = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
template <class T>
constexpr bool kNumeric = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;
template <class T>
constexpr bool kFloat = std::is_floating_point_v<T>;
template <class T>
constexpr bool kSignedInt = std::is_integral_v<T> && std::is_signed_v<T>;

// ---- binary ops --------------------------------------------------------------------------
// valid<T>: the table holds an entry; simd<T>: the batch form is used; cmp: writes bool.
struct Arith {
  template <class T> static constexpr bool valid = kNumeric<T>;
  template <class T> static constexpr bool simd = kFloat<T>;
  static constexpr bool cmp = false;
};
struct Add : Arith {
  template <class T> static constexpr bool simd = kNumeric<T>;
  template <class T> static T s(T a, T b) {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<Wide<T>>(a) + static_cast<Wide<T>>(b));
    else return a + b;
  }
  template <class B> static B v(const B& a, const B& b) { return a + b; }
};
struct Sub : Arith {
  template <class T> static constexpr bool simd = kNumeric<T>;
  template <class T> static T s(T a, T b) {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<Wide<T>>(a) - static_cast<Wide<T>>(b));
    else return a - b;
  }
  template <class B> static B v(const B& a, const B& b) { return a - b; }
};
struct Mul : Arith {
  template <class T> static T s(T a, T b) {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<Wide<T>>(a) * static_cast<Wide<T>>(b));
    else return a * b;
  }
  template <class B> static B v(const B& a, const B& b) { return a * b; }
};
// Integer division truncates like C; x/0 gives 0 here (callers report the error before) and
// MIN/-1 wraps instead of trapping.
struct Div : Arith {
  template <class T> static T s(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>)
        if (b == -1) return wrap_neg(a);
      return static_cast<T>(a / b);
    } else {
      return a / b;
    }
  }
  template <class B> static B v(const B& a, const B& b) { return a / b; }
};
// Pow stays scalar: std::pow is (nearly) correctly rounded, as ONNX Runtime's results are; a
// SIMD exp(b*log(a)) drifts by several ulps. Squaring (the common case) is exact and vectorises.
struct Pow : Arith {
  template <class T> static constexpr bool simd = false;
  template <class T> static T s(T a, T b) {
    if constexpr (std::is_integral_v<T>) return int_pow(a, b);
    else return std::pow(a, b);
  }
};
// Max/Min propagate NaN (as ONNX Runtime does since 1.x).
struct Max : Arith {
  template <class T> static T s(T a, T b) { return (a > b || a != a) ? a : b; }
  template <class B> static B v(const B& a, const B& b) { return xsimd::select((a > b) | xsimd::isnan(a), a, b); }
};
struct Min : Arith {
  template <class T> static T s(T a, T b) { return (a < b || a != a) ? a : b; }
  template <class B> static B v(const B& a, const B& b) { return xsimd::select((a < b) | xsimd::isnan(a), a, b); }
};
struct Logic {
  template <class T> static constexpr bool valid = std::is_same_v<T, bool>;
  template <class T> static constexpr bool simd = false;
  static constexpr bool cmp = false;
  template <class B> static B v(const B& a, const B&) { return a; }
};
struct And : Logic {
  template <class T> static T s(T a, T b) { return static_cast<T>((a != 0) & (b != 0)); }
};
struct Or : Logic {
  template <class T> static T s(T a, T b) { return static_cast<T>((a != 0) | (b != 0)); }
};
struct Xor : Logic {
  template <class T> static T s(T a, T b) { return static_cast<T>((a != 0) ^ (b != 0)); }
};
struct Cmp {
  template <class T> static constexpr bool valid = std::is_arithmetic_v<T>;
  template <class T> static constexpr bool simd = false;  // bool bytes out: the compiler vectorises
  static constexpr bool cmp = true;
  template <class B> static B v(const B& a, const B&) { return a; }
};
struct Equal : Cmp { template <class T> static uint8_t s(T a, T b) { return a == b; } };
struct Less : Cmp { template <class T> static uint8_t s(T a, T b) { return a < b; } };
struct Greater : Cmp { template <class T> static uint8_t s(T a, T b) { return a > b; } };
struct LessEq : Cmp { template <class T> static uint8_t s(T a, T b) { return a <= b; } };
struct GreaterEq : Cmp { template <class T> static uint8_t s(T a, T b) { return a >= b; } };

// M: 0 = both vectors, 1 = b scalar, 2 = a scalar.
template <class Arch, class Op, class T, int M>
void bin_kernel(const void* pa, const void* pb, void* po, int64_t n) {
  using S = Stor<T>;
  using O = std::conditional_t<Op::cmp, uint8_t, S>;
  if (n <= 0) return;
  const S* a = static_cast<const S*>(pa);
  const S* b = static_cast<const S*>(pb);
  O* o = static_cast<O*>(po);
  const S ca = a[0], cb = b[0];
  int64_t i = 0;
  if constexpr (std::is_same_v<Op, Pow> && kFloat<T> && M == 1) {
    if (cb == S(2)) {
      for (; i < n; ++i) o[i] = a[i] * a[i];
      return;
    }
  }
  if constexpr (!std::is_same_v<Arch, ScalarArch> && Op::template simd<T> && !Op::cmp) {
    using B = xsimd::batch<S, Arch>;
    constexpr int64_t W = B::size;
    const B va(ca), vb(cb);
    for (; i + W <= n; i += W) {
      const B x = M == 2 ? va : B::load_unaligned(a + i);
      const B y = M == 1 ? vb : B::load_unaligned(b + i);
      Op::v(x, y).store_unaligned(o + i);
    }
  }
  for (; i < n; ++i) o[i] = Op::s(M == 2 ? ca : a[i], M == 1 ? cb : b[i]);
}

// ---- unary ops ----------------------------------------------------------------------------
struct UNum {
  template <class T> static constexpr bool valid = kNumeric<T>;
  template <class T> static constexpr bool simd = kFloat<T>;
};
struct UFloat {
  template <class T> static constexpr bool valid = kFloat<T>;
  template <class T> static constexpr bool simd = kFloat<T>;
};
struct Abs : UNum {
  template <class T> static T s(T x) {
    if constexpr (kSignedInt<T>) return x < 0 ? wrap_neg(x) : x;
    else if constexpr (kFloat<T>) return std::fabs(x);
    else return x;
  }
  template <class B> static B v(const B& x) { return xsimd::abs(x); }
};
struct Neg : UNum {
  template <class T> static T s(T x) { return wrap_neg(x); }
  template <class B> static B v(const B& x) { return -x; }
};
// Sign of NaN is NaN (numpy).
struct Sign : UNum {
  template <class T> static T s(T x) {
    if constexpr (kFloat<T>) return x > 0 ? T(1) : x < 0 ? T(-1) : x == 0 ? T(0) : x;
    else return static_cast<T>(x > 0 ? 1 : (kSignedInt<T> && x < T(0)) ? -1 : 0);
  }
  template <class B> static B v(const B& x) {
    using T = typename B::value_type;
    return xsimd::select(x > B(T(0)), B(T(1)), xsimd::select(x < B(T(0)), B(T(-1)), xsimd::select(x == B(T(0)), B(T(0)), x)));
  }
};
// Relu keeps NaN and -0 (as ONNX Runtime).
struct Relu : UNum {
  template <class T> static T s(T x) { return x < T(0) ? T(0) : x; }
  template <class B> static B v(const B& x) {
    using T = typename B::value_type;
    return xsimd::select(x < B(T(0)), B(T(0)), x);
  }
};
struct Sqrt : UFloat {
  template <class T> static T s(T x) { return std::sqrt(x); }
  template <class B> static B v(const B& x) { return xsimd::sqrt(x); }
};
struct Exp : UFloat {
  template <class T> static T s(T x) { return std::exp(x); }
  template <class B> static B v(const B& x) { return xsimd::exp(x); }
};
struct Log : UFloat {
  template <class T> static T s(T x) { return std::log(x); }
  // xsimd's log flushes subnormal inputs; those (rare) batches take the scalar path.
  template <class B> static B v(const B& x) {
    using T = typename B::value_type;
    if (xsimd::any((x < B(std::numeric_limits<T>::min())) & (x > B(T(0))))) {
      alignas(64) T buf[B::size];
      x.store_aligned(buf);
      for (std::size_t i = 0; i < B::size; ++i) buf[i] = std::log(buf[i]);
      return B::load_aligned(buf);
    }
    return xsimd::log(x);
  }
};
struct Reciprocal : UFloat {
  template <class T> static T s(T x) { return T(1) / x; }
  template <class B> static B v(const B& x) { return B(typename B::value_type(1)) / x; }
};
struct Floor : UFloat {
  template <class T> static T s(T x) { return std::floor(x); }
  template <class B> static B v(const B& x) { return xsimd::floor(x); }
};
struct Ceil : UFloat {
  template <class T> static T s(T x) { return std::ceil(x); }
  template <class B> static B v(const B& x) { return xsimd::ceil(x); }
};
// Half to even: the default rounding mode.
struct Round : UFloat {
  template <class T> static T s(T x) { return std::nearbyint(x); }
  template <class B> static B v(const B& x) { return xsimd::nearbyint(x); }
};
struct Sigmoid : UFloat {
  template <class T> static T s(T x) { return T(1) / (T(1) + std::exp(-x)); }
  template <class B> static B v(const B& x) {
    using T = typename B::value_type;
    return B(T(1)) / (B(T(1)) + xsimd::exp(-x));
  }
};
struct Tanh : UFloat {
  template <class T> static T s(T x) { return std::tanh(x); }
  template <class B> static B v(const B& x) { return xsimd::tanh(x); }
};
struct Not {
  template <class T> static constexpr bool valid = std::is_same_v<T, bool>;
  template <class T> static constexpr bool simd = false;
  template <class T> static T s(T x) { return static_cast<T>(x == 0); }
  template <class B> static B v(const B& x) { return x; }
};

template <class Arch, class Op, class T>
void un_kernel(const void* px, void* py, int64_t n) {
  using S = Stor<T>;
  const S* x = static_cast<const S*>(px);
  S* y = static_cast<S*>(py);
  int64_t i = 0;
  if constexpr (!std::is_same_v<Arch, ScalarArch> && Op::template simd<T>) {
    using B = xsimd::batch<S, Arch>;
    constexpr int64_t W = B::size;
    for (; i + W <= n; i += W) Op::v(B::load_unaligned(x + i)).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = Op::s(x[i]);
}

// Clip is min(max(x, lo), hi): NaN stays NaN, and lo > hi gives hi everywhere (the spec).
template <class Arch, class T>
void clip_kernel(const void* px, void* py, int64_t n, const void* plo, const void* phi) {
  const T* x = static_cast<const T*>(px);
  T* y = static_cast<T*>(py);
  const T lo = *static_cast<const T*>(plo), hi = *static_cast<const T*>(phi);
  int64_t i = 0;
  if constexpr (!std::is_same_v<Arch, ScalarArch> && kFloat<T>) {
    using B = xsimd::batch<T, Arch>;
    constexpr int64_t W = B::size;
    const B vlo(lo), vhi(hi);
    for (; i + W <= n; i += W) {
      const B v = B::load_unaligned(x + i);
      const B t = xsimd::select(v < vlo, vlo, v);
      xsimd::select(t > vhi, vhi, t).store_unaligned(y + i);
    }
  }
  for (; i < n; ++i) {
    const T t = x[i] < lo ? lo : x[i];
    y[i] = t > hi ? hi : t;
  }
}

// ---- the table ----------------------------------------------------------------------------
template <class Arch, class Op, class T>
void set_bin(BinFn (&row)[3]) {
  if constexpr (Op::template valid<T>) {
    row[0] = &bin_kernel<Arch, Op, T, 0>;
    row[1] = &bin_kernel<Arch, Op, T, 1>;
    row[2] = &bin_kernel<Arch, Op, T, 2>;
  }
}
template <class Arch, class Op, class T>
void set_un(UnFn& f) {
  if constexpr (Op::template valid<T>) f = &un_kernel<Arch, Op, T>;
}

template <class Arch, class T>
void fill_type(EwKernels& k, EwType t) {
  const int ti = static_cast<int>(t);
  auto b = [&](BinOp op) -> BinFn(&)[3] { return k.bin[static_cast<int>(op)][ti]; };
  set_bin<Arch, Add, T>(b(BinOp::Add));
  set_bin<Arch, Sub, T>(b(BinOp::Sub));
  set_bin<Arch, Mul, T>(b(BinOp::Mul));
  set_bin<Arch, Div, T>(b(BinOp::Div));
  set_bin<Arch, Pow, T>(b(BinOp::Pow));
  set_bin<Arch, Max, T>(b(BinOp::Max));
  set_bin<Arch, Min, T>(b(BinOp::Min));
  set_bin<Arch, And, T>(b(BinOp::And));
  set_bin<Arch, Or, T>(b(BinOp::Or));
  set_bin<Arch, Xor, T>(b(BinOp::Xor));
  set_bin<Arch, Equal, T>(b(BinOp::Equal));
  set_bin<Arch, Less, T>(b(BinOp::Less));
  set_bin<Arch, Greater, T>(b(BinOp::Greater));
  set_bin<Arch, LessEq, T>(b(BinOp::LessEq));
  set_bin<Arch, GreaterEq, T>(b(BinOp::GreaterEq));
  auto u = [&](UnOp op) -> UnFn& { return k.un[static_cast<int>(op)][ti]; };
  set_un<Arch, Abs, T>(u(UnOp::Abs));
  set_un<Arch, Neg, T>(u(UnOp::Neg));
  set_un<Arch, Sign, T>(u(UnOp::Sign));
  set_un<Arch, Relu, T>(u(UnOp::Relu));
  set_un<Arch, Sqrt, T>(u(UnOp::Sqrt));
  set_un<Arch, Exp, T>(u(UnOp::Exp));
  set_un<Arch, Log, T>(u(UnOp::Log));
  set_un<Arch, Reciprocal, T>(u(UnOp::Reciprocal));
  set_un<Arch, Floor, T>(u(UnOp::Floor));
  set_un<Arch, Ceil, T>(u(UnOp::Ceil));
  set_un<Arch, Round, T>(u(UnOp::Round));
  set_un<Arch, Sigmoid, T>(u(UnOp::Sigmoid));
  set_un<Arch, Tanh, T>(u(UnOp::Tanh));
  set_un<Arch, Not, T>(u(UnOp::Not));
  if constexpr (kNumeric<T>) k.clip[ti] = &clip_kernel<Arch, T>;
}

template <class Arch>
void fill(EwKernels& k, const char* isa) {
  fill_type<Arch, float>(k, EwType::F32);
  fill_type<Arch, double>(k, EwType::F64);
  fill_type<Arch, int8_t>(k, EwType::I8);
  fill_type<Arch, int16_t>(k, EwType::I16);
  fill_type<Arch, int32_t>(k, EwType::I32);
  fill_type<Arch, int64_t>(k, EwType::I64);
  fill_type<Arch, uint8_t>(k, EwType::U8);
  fill_type<Arch, uint16_t>(k, EwType::U16);
  fill_type<Arch, uint32_t>(k, EwType::U32);
  fill_type<Arch, uint64_t>(k, EwType::U64);
  fill_type<Arch, bool>(k, EwType::Bool);
  k.isa = isa;
}

}  // namespace
}  // namespace rtml::ew
