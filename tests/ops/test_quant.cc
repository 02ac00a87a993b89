// test_quant.cc - int8 inference: the integer GEMM variants against a naive reference,
// QuantizeLinear / DequantizeLinear (per tensor, per axis, blocked; rounding and saturation),
// MatMulInteger (zero points per tensor/row/column, batches, 1-D operands, constant B packed at
// load) and QLinearMatMul. Every int8 kernel variant the host runs (scalar, AVX2, AVX-512 VNNI)
// is compared bit for bit with the scalar kernel and a naive int64 sum, also on extreme values.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <utility>

#include "ops/kernels/int8.hpp"
#include "ops/kernels/isa.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

template <class T>
Tensor make_q(DType t, Shape s, const std::vector<int>& v) {
  Tensor x(t, s);
  for (size_t i = 0; i < v.size(); ++i) x.data<T>()[i] = static_cast<T>(v[i]);
  return x;
}
Tensor u8(Shape s, const std::vector<int>& v) { return make_q<uint8_t>(DType::U8, s, v); }
Tensor i8(Shape s, const std::vector<int>& v) { return make_q<int8_t>(DType::I8, s, v); }

std::vector<int> randi(size_t n, int lo, int hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int> v(n);
  for (auto& x : v) x = lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1));
  return v;
}

TEST(Int8Kernels, VariantsMatchNaive) {
  for (auto [M, K, N] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {3, 7, 17}, {7, 65, 3}, {17, 16, 33}, {65, 3, 65}}) {
    for (int signs = 0; signs < 4; ++signs) {
      const bool as = signs & 1, bs = signs & 2;
      auto a = randi(M * K, as ? -128 : 0, as ? 127 : 255, 1), b = randi(K * N, bs ? -128 : 0, bs ? 127 : 255, 2);
      auto zr = randi(M, -3, 3, 3), zc = randi(N, -5, 5, 4);
      std::vector<int8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
      std::vector<uint8_t> au(a.begin(), a.end()), bu(b.begin(), b.end());
      std::vector<int32_t> zr32(zr.begin(), zr.end()), zc32(zc.begin(), zc.end());
      std::vector<int16_t> ap(kernels::packed_a_elems(M, K)), bp(kernels::packed_b_elems(K, N));
      kernels::pack_a(as ? static_cast<const void*>(a8.data()) : au.data(), as, M, K, K, zr32.data(), 0, ap.data());
      kernels::pack_b(bs ? static_cast<const void*>(b8.data()) : bu.data(), bs, K, N, N, zc32.data(), 0, bp.data());
      for (const auto& v : kernels::int8_kernel_variants()) {
        std::vector<int32_t> c(M * N, -1);
        v.gemm(ap.data(), M, kernels::i8_kp(K), bp.data(), N, 0, kernels::i8_panels(N), c.data(), N);
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) {
            int64_t want = 0;
            for (int64_t k = 0; k < K; ++k) want += int64_t(a[m * K + k] - zr[m]) * (b[k * N + n] - zc[n]);
            ASSERT_EQ(c[m * N + n], want) << v.name << " " << M << "x" << K << "x" << N << " signs " << signs;
          }
      }
    }
  }
}

// Packs A (M x K) and B (K x N) of the given signedness with per-row / per-column zero points.
struct PackedI8 {
  int64_t M, K, N;
  std::vector<int> a, b, zr, zc;
  std::vector<int16_t> ap, bp;
  PackedI8(int64_t m, int64_t k, int64_t n, bool as, bool bs, std::vector<int> a_, std::vector<int> b_,
           std::vector<int> zr_, std::vector<int> zc_)
      : M(m), K(k), N(n), a(std::move(a_)), b(std::move(b_)), zr(std::move(zr_)), zc(std::move(zc_)),
        ap(kernels::packed_a_elems(m, k)), bp(kernels::packed_b_elems(k, n)) {
    std::vector<int8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
    std::vector<uint8_t> au(a.begin(), a.end()), bu(b.begin(), b.end());
    std::vector<int32_t> zr32(zr.begin(), zr.end()), zc32(zc.begin(), zc.end());
    kernels::pack_a(as ? static_cast<const void*>(a8.data()) : au.data(), as, M, K, K, zr32.data(), 0, ap.data());
    kernels::pack_b(bs ? static_cast<const void*>(b8.data()) : bu.data(), bs, K, N, N, zc32.data(), 0, bp.data());
  }
  int64_t naive(int64_t m, int64_t n) const {
    int64_t s = 0;
    for (int64_t k = 0; k < K; ++k) s += int64_t(a[m * K + k] - zr[m]) * (b[k * N + n] - zc[n]);
    return s;
  }
  // C over panels [p0, p1) with `fn`; other columns keep the fill value -7.
  std::vector<int32_t> run(kernels::GemmI16Fn fn, int64_t p0, int64_t p1) const {
    std::vector<int32_t> c(M * N, -7);
    fn(ap.data(), M, kernels::i8_kp(K), bp.data(), N, p0, p1, c.data(), N);
    return c;
  }
};

// Every variant equals the scalar kernel bit for bit (and the naive sum) over shapes that hit each
// row remainder of the 6-row tiles, each panel-group remainder of the 4-panel AVX-512 tile, partial
// last panels, odd K, and panel ranges that start and end inside a group (the threaded split).
TEST(Int8Kernels, EveryVariantMatchesScalarOnOddShapesAndPanelRanges) {
  const auto variants = kernels::int8_kernel_variants();
  ASSERT_STREQ(variants.front().name, "scalar");
  unsigned seed = 10;
  for (int64_t M : {1, 5, 6, 7, 13}) {
    for (int64_t N : {1, 15, 16, 17, 49, 64, 65, 113, 200}) {
      for (int64_t K : {1, 2, 3, 31, 64, 67}) {
        const bool as = seed & 1, bs = seed & 2;
        PackedI8 p(M, K, N, as, bs, randi(M * K, as ? -128 : 0, as ? 127 : 255, seed),
                   randi(K * N, bs ? -128 : 0, bs ? 127 : 255, seed + 1), randi(M, as ? -128 : 0, as ? 127 : 255, seed + 2),
                   randi(N, bs ? -128 : 0, bs ? 127 : 255, seed + 3));
        ++seed;
        const int64_t panels = kernels::i8_panels(N);
        std::vector<std::pair<int64_t, int64_t>> ranges{{0, panels}};
        if (panels > 2) ranges.push_back({1, panels - 1});
        if (panels > 5) ranges.push_back({3, panels});
        for (auto [p0, p1] : ranges) {
          const auto want = p.run(kernels::gemm_i16_scalar, p0, p1);
          for (int64_t m = 0; m < M; ++m)
            for (int64_t n = p0 * kernels::kI8Nr; n < std::min(N, p1 * kernels::kI8Nr); ++n)
              ASSERT_EQ(want[m * N + n], p.naive(m, n)) << "scalar " << M << "x" << K << "x" << N;
          for (const auto& v : variants) {
            const auto got = p.run(v.gemm, p0, p1);
            ASSERT_EQ(got, want) << v.name << " " << M << "x" << K << "x" << N << " panels [" << p0 << "," << p1 << ")";
          }
        }
      }
    }
  }
}

// The extremes: operands at -128/127 (int8) or 0/255 (uint8) against zero points at the other end,
// so that widened values reach +-255, every product +-65025 and the pair sums +-130050; and large K
// (sums near 2^28). Exact int32 results are required of every variant.
TEST(Int8Kernels, EveryVariantIsExactOnExtremeValues) {
  for (int signs = 0; signs < 4; ++signs) {
    const bool as = signs & 1, bs = signs & 2;
    const int alo = as ? -128 : 0, ahi = as ? 127 : 255, blo = bs ? -128 : 0, bhi = bs ? 127 : 255;
    for (auto [M, K, N] : std::vector<std::array<int64_t, 3>>{{7, 33, 70}, {13, 4099, 67}}) {
      std::vector<int> a(M * K), b(K * N), zr(M), zc(N);
      std::mt19937 rng(static_cast<unsigned>(signs * 100 + K));
      // Mostly the extremes, so that whole rows/columns sum to the largest magnitudes.
      for (auto& x : a) x = rng() % 8 ? (rng() % 2 ? ahi : alo) : (as ? 0 : 128);
      for (auto& x : b) x = rng() % 8 ? (rng() % 2 ? bhi : blo) : (bs ? 0 : 128);
      for (int64_t m = 0; m < M; ++m) zr[m] = m % 3 == 0 ? alo : m % 3 == 1 ? ahi : 0;
      for (int64_t n = 0; n < N; ++n) zc[n] = n % 3 == 0 ? bhi : n % 3 == 1 ? blo : 0;
      // One row and one column of all-max against the opposite zero point: +-255 everywhere.
      for (int64_t k = 0; k < K; ++k) a[k] = ahi, b[k * N] = blo;
      zr[0] = alo, zc[0] = bhi;
      PackedI8 p(M, K, N, as, bs, a, b, zr, zc);
      const auto want = p.run(kernels::gemm_i16_scalar, 0, kernels::i8_panels(N));
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) ASSERT_EQ(want[m * N + n], p.naive(m, n)) << "scalar " << m << "," << n;
      EXPECT_EQ(want[0], int64_t{255} * (blo - bhi) * K);
      for (const auto& v : kernels::int8_kernel_variants())
        ASSERT_EQ(p.run(v.gemm, 0, kernels::i8_panels(N)), want) << v.name << " signs " << signs << " K " << K;
    }
  }
}

// On an AVX-512 VNNI host (and RTML_ISA not narrowing it) the VNNI kernel exists and is the one the
// ops use; elsewhere this says why it is skipped (the two tests above still cover the others).
TEST(Int8Kernels, Avx512VnniVariantIsChosenWhenAvailable) {
  if (!isa::avx512_vnni())
    GTEST_SKIP() << "AVX-512 VNNI kernel not run: host lacks avx512f/bw/dq/vl + avx512vnni, or RTML_ISA narrows it";
  EXPECT_STREQ(kernels::int8_kernel_variants().back().name, "avx512vnni");
  EXPECT_STREQ(kernels::int8_kernels().name, "avx512vnni");
}

TEST(QuantizeLinear, PerTensorRoundsHalfToEvenAndSaturates) {
  std::vector<float> x = {0.f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000.f, -1000.f, 3.9f};
  auto out = run_node("QuantizeLinear", {make_f32({9}, x), make_f32({}, {1.0f}), u8({}, {10})}, 1, {}, "", 13);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), DType::U8);
  std::vector<int> want = {10, 10, 12, 12, 10, 8, 255, 0, 14};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(out[0].data<uint8_t>()[i], want[i]) << i;
  auto s8 = run_node("QuantizeLinear", {make_f32({3}, {-300, 2.6f, 300}), make_f32({}, {2.0f}), i8({}, {-1})}, 1, {}, "", 10);
  EXPECT_EQ(s8[0].dtype(), DType::I8);
  EXPECT_EQ(s8[0].data<int8_t>()[0], -128);
  EXPECT_EQ(s8[0].data<int8_t>()[1], 0);
  EXPECT_EQ(s8[0].data<int8_t>()[2], 127);
  auto nozp = run_node("QuantizeLinear", {make_f32({2}, {3, -3}), make_f32({}, {1.0f})}, 1, {}, "", 13);
  EXPECT_EQ(nozp[0].dtype(), DType::U8);
  EXPECT_EQ(nozp[0].data<uint8_t>()[0], 3);
  EXPECT_EQ(nozp[0].data<uint8_t>()[1], 0);
}

TEST(QuantizeLinear, PerAxisAndBlocked) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // [2, 3, 2]
  auto pa = run_node("QuantizeLinear", {make_f32({2, 3, 2}, x), make_f32({3}, {1, 2, 4}), u8({3}, {0, 1, 2})}, 1,
                     {A::i64("axis", 1)}, "", 13);
  ASSERT_EQ(pa.size(), 1u);
  for (int e = 0; e < 12; ++e) {
    int c = (e / 2) % 3;
    float s = c == 0 ? 1 : c == 1 ? 2 : 4;
    EXPECT_EQ(pa[0].data<uint8_t>()[e], static_cast<int>(std::nearbyint(x[e] / s)) + c) << e;
  }
  // blocked along axis 1 with block 2: scale [2, 2, 2]
  auto bl = run_node("QuantizeLinear",
                     {make_f32({2, 3, 2}, x), make_f32({2, 2, 2}, {1, 1, 2, 2, 1, 2, 1, 2}), u8({2, 2, 2}, {0, 0, 0, 0, 0, 0, 0, 0})},
                     1, {A::i64("axis", 1), A::i64("block_size", 2)}, "", 21);
  ASSERT_EQ(bl.size(), 1u);
  // element (o, a, i) uses scale[o, a / 2, i]
  std::vector<float> sc = {1, 1, 2, 2, 1, 2, 1, 2};
  for (int o = 0; o < 2; ++o)
    for (int a = 0; a < 3; ++a)
      for (int i = 0; i < 2; ++i) {
        int e = (o * 3 + a) * 2 + i;
        EXPECT_EQ(bl[0].data<uint8_t>()[e], static_cast<int>(std::nearbyint(x[e] / sc[(o * 2 + a / 2) * 2 + i]))) << e;
      }
}

TEST(DequantizeLinear, PerTensorPerAxisInt32) {
  auto d = run_node("DequantizeLinear", {u8({4}, {0, 3, 128, 255}), make_f32({}, {0.5f}), u8({}, {128})}, 1, {}, "", 10);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].dtype(), DType::F32);
  EXPECT_FLOAT_EQ(d[0].data<float>()[0], -64.0f);
  EXPECT_FLOAT_EQ(d[0].data<float>()[3], 63.5f);
  auto ax = run_node("DequantizeLinear", {i8({2, 2}, {-1, 2, 3, -4}), make_f32({2}, {2, 3}), i8({2}, {1, 0})}, 1,
                     {A::i64("axis", 0)}, "", 13);
  EXPECT_FLOAT_EQ(ax[0].data<float>()[0], -4.0f);
  EXPECT_FLOAT_EQ(ax[0].data<float>()[1], 2.0f);
  EXPECT_FLOAT_EQ(ax[0].data<float>()[3], -12.0f);
  auto i32 = run_node("DequantizeLinear", {make_i32({2}, {-100000, 7}), make_f32({}, {0.25f})}, 1, {}, "", 13);
  EXPECT_FLOAT_EQ(i32[0].data<float>()[0], -25000.0f);
}

TEST(DequantizeLinear, ScaleShapeMismatchIsInvalidInput) {
  ModelBuilder b;
  b.opset("", 13).input("x", DType::U8, {-1, 3}).input("s", DType::F32, {-1}).output("y", DType::F32);
  b.node("DequantizeLinear", {"x", "s"}, {"y"}, {A::i64("axis", 1)});
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {u8({2, 3}, {1, 2, 3, 4, 5, 6}), make_f32({2}, {1, 1})}, &out).code(), StatusCode::InvalidInput);
}

std::vector<int64_t> mmi_ref(const std::vector<int>& a, const std::vector<int>& b, int64_t Bt, int64_t M, int64_t K,
                             int64_t N, const std::vector<int>& za, const std::vector<int>& zb, bool b_batched) {
  std::vector<int64_t> c(Bt * M * N, 0);
  for (int64_t t = 0; t < Bt; ++t)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
          c[(t * M + m) * N + n] += int64_t(a[(t * M + m) * K + k] - za[za.size() == 1 ? 0 : m]) *
                                    (b[((b_batched ? t : 0) * K + k) * N + n] - zb[zb.size() == 1 ? 0 : n]);
  return c;
}

TEST(MatMulInteger, ZeroPointsBatchesAndShapes) {
  for (auto [Bt, M, K, N] : std::vector<std::array<int64_t, 4>>{{1, 1, 5, 3}, {2, 3, 7, 17}, {1, 17, 65, 33}, {3, 4, 2, 1}}) {
    auto a = randi(Bt * M * K, 0, 255, 11), b = randi(Bt * K * N, -128, 127, 12);
    auto za = randi(M, 0, 255, 13), zb = randi(N, -128, 127, 14);
    auto out = run_node("MatMulInteger", {u8({Bt, M, K}, a), i8({Bt, K, N}, b), u8({M}, za), i8({N}, zb)}, 1, {}, "", 10);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dtype(), DType::I32);
    EXPECT_EQ(out[0].shape(), (Shape{Bt, M, N}));
    auto want = mmi_ref(a, b, Bt, M, K, N, za, zb, true);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(out[0].data<int32_t>()[i], want[i]) << i;
    // scalar zero points, B broadcast over the batch (2-D)
    std::vector<int> b2(b.begin(), b.begin() + K * N);
    auto o2 = run_node("MatMulInteger", {u8({Bt, M, K}, a), i8({K, N}, b2), u8({}, {7}), i8({}, {-3})}, 1, {}, "", 10);
    auto w2 = mmi_ref(a, b2, Bt, M, K, N, {7}, {-3}, false);
    for (size_t i = 0; i < w2.size(); ++i) ASSERT_EQ(o2[0].data<int32_t>()[i], w2[i]) << i;
  }
  // 1-D A; no zero points
  auto v = run_node("MatMulInteger", {u8({3}, {1, 2, 3}), u8({3, 2}, {1, 2, 3, 4, 5, 6})}, 1, {}, "", 10);
  EXPECT_EQ(v[0].shape(), (Shape{2}));
  EXPECT_EQ(v[0].data<int32_t>()[0], 22);
  EXPECT_EQ(v[0].data<int32_t>()[1], 28);
}

TEST(MatMulInteger, ConstantWeightsPackedAtLoad) {
  const int64_t M = 5, K = 9, N = 20;
  auto a = randi(M * K, 0, 255, 21), b = randi(K * N, 0, 255, 22);
  ModelBuilder mb;
  mb.opset("", 10).input("a", DType::U8, {-1, K}).output("y", DType::I32);
  mb.initializer("b", u8({K, N}, b)).initializer("bz", u8({}, {128}));
  mb.node("MatMulInteger", {"a", "b", "", "bz"}, {"y"});
  auto m = mb.load();
  ASSERT_TRUE(m);
  for (int rep = 0; rep < 2; ++rep) {
    auto out = run(m, {u8({M, K}, a)});
    ASSERT_EQ(out.size(), 1u);
    auto want = mmi_ref(a, b, 1, M, K, N, {0}, {128}, false);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(out[0].data<int32_t>()[i], want[i]);
  }
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {u8({2, K + 1}, randi(2 * (K + 1), 0, 9, 1))}, &out).code(), StatusCode::InvalidInput);
}

TEST(QLinearMatMul, RequantisesLikeOrt) {
  const int64_t M = 3, K = 4, N = 5;
  auto a = randi(M * K, 0, 255, 31), b = randi(K * N, 0, 255, 32);
  const float as = 0.02f, ys = 0.3f;
  std::vector<float> bs = {0.01f, 0.02f, 0.03f, 0.04f, 0.05f};
  const int az = 120, bz = 130, yz = 100;
  auto out = run_node("QLinearMatMul",
                      {u8({M, K}, a), make_f32({}, {as}), u8({}, {az}), u8({K, N}, b), make_f32({N}, bs), u8({}, {bz}),
                       make_f32({}, {ys}), u8({}, {yz})},
                      1, {}, "", 10);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), DType::U8);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += (a[m * K + k] - az) * (b[k * N + n] - bz);
      float v = std::nearbyint(static_cast<float>(acc) * (as * bs[n] / ys)) + yz;
      int want = static_cast<int>(std::min(255.f, std::max(0.f, v)));
      EXPECT_EQ(out[0].data<uint8_t>()[m * N + n], want);
    }
  // int8 output saturates
  auto s = run_node("QLinearMatMul",
                    {i8({1, 2}, {127, 127}), make_f32({}, {1}), i8({}, {0}), i8({2, 1}, {127, 127}), make_f32({}, {1}),
                     i8({}, {0}), make_f32({}, {1}), i8({}, {0})},
                    1, {}, "", 21);
  EXPECT_EQ(s[0].data<int8_t>()[0], 127);
}

}  // namespace
}  // namespace rtml::test
