// test_matmul.cc - the GEMM kernel variants against the scalar reference, MatMul and Gemm against a
// reference written here (every dtype, broadcasting, 1-D operands, attributes, opsets, errors).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/common.hpp"
#include "ops/kernels/gemm.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml {
namespace {

using test::A;

std::vector<float> rand_vec(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// ---- the kernel ---------------------------------------------------------------------------------

struct KCase {
  int64_t M, N, K;
};

void check_kernel(const KCase& kc, bool ta, bool tb, bool pa, bool pb, gemm::Epilogue ep, float alpha, bool acc) {
  const int64_t M = kc.M, N = kc.N, K = kc.K;
  auto a = rand_vec(M * K, 1), b = rand_vec(K * N, 2), bias = rand_vec(std::max(M, N), 3), c0 = rand_vec(M * N, 4);
  ep.bias = ep.bias ? bias.data() : nullptr;
  gemm::Args g;
  g.M = M, g.N = N, g.K = K, g.ldc = N, g.alpha = alpha, g.accumulate = acc, g.ep = ep;
  g.a = ta ? gemm::Operand{a.data(), 1, M} : gemm::Operand{a.data(), K, 1};
  g.b = tb ? gemm::Operand{b.data(), 1, K} : gemm::Operand{b.data(), N, 1};
  std::vector<float> ref = c0;
  g.c = ref.data();
  gemm::sgemm_isa(gemm::Isa::Scalar, g, nullptr);
  std::vector<float> packed_a(gemm::packed_a_floats(M, K)), packed_b(gemm::packed_b_floats(K, N));
  gemm::Args h = g;
  if (pa) gemm::pack_a(g.a.p, g.a.rs, g.a.cs, M, K, packed_a.data()), h.a.packed = packed_a.data();
  if (pb) gemm::pack_b(g.b.p, g.b.rs, g.b.cs, K, N, packed_b.data()), h.b.packed = packed_b.data();
  for (gemm::Isa isa : {gemm::Isa::Portable, gemm::Isa::Avx2, gemm::Isa::Avx512}) {
    if (!gemm::isa_available(isa)) continue;
    std::vector<float> out = c0, ws(gemm::scratch_floats(h, 1) + 16);
    h.c = out.data();
    gemm::sgemm_isa(isa, h, ws.data());
    for (int64_t i = 0; i < M * N; ++i)
      ASSERT_NEAR(out[i], ref[i], 1e-4f * (1 + std::fabs(ref[i]) + K * 0.01f))
          << "M=" << M << " N=" << N << " K=" << K << " isa=" << int(isa) << " i=" << i << " ta=" << ta
          << " tb=" << tb << " pa=" << pa << " pb=" << pb << " act=" << int(ep.act);
  }
}

TEST(GemmKernel, SizesLayoutsAndPacking) {
  const KCase cases[] = {{1, 1, 1},  {1, 17, 65}, {3, 7, 1},     {7, 3, 17},   {6, 16, 8},  {17, 65, 3},
                         {65, 17, 257}, {1, 257, 7}, {257, 3, 65}, {13, 33, 300}, {0, 5, 3}, {4, 0, 2}};
  for (const KCase& c : cases)
    for (int layout = 0; layout < 16; ++layout)
      check_kernel(c, layout & 1, layout & 2, layout & 4, layout & 8, {}, 1.0f, false);
}

// The AVX-512 micro-tile is 6 x 64 (four 16-column panels): rows and columns around its edges,
// partial panels of a row-major B next to whole ones, K over one cache block, N over NC.
TEST(GemmKernel, Avx512TileEdges) {
  if (!gemm::isa_available(gemm::Isa::Avx512))
    GTEST_SKIP() << "host has no AVX-512 (or RTML_ISA forbids it): the AVX-512 GEMM is not tested here";
  const KCase cases[] = {{5, 63, 9},  {6, 64, 17}, {7, 65, 3},   {12, 80, 33}, {13, 129, 65}, {18, 200, 257},
                         {2, 48, 7},  {4, 31, 5},  {25, 96, 300}, {3, 2100, 2}, {61, 10, 64}};
  for (const KCase& c : cases)
    for (int layout = 0; layout < 16; ++layout)
      check_kernel(c, layout & 1, layout & 2, layout & 4, layout & 8, {}, 1.0f, false);
  gemm::Epilogue ep;
  ep.act = gemm::Act::Relu;
  ep.bias = reinterpret_cast<const float*>(1);
  check_kernel({13, 129, 65}, false, false, true, false, ep, 0.7f, true);
  ep.bias_per_row = true;
  check_kernel({13, 129, 65}, false, false, false, true, ep, 1.0f, false);
}

TEST(GemmKernel, EpiloguesAlphaAccumulate) {
  const KCase cases[] = {{1, 19, 9}, {7, 17, 5}, {12, 32, 40}, {5, 3, 0}};
  for (const KCase& c : cases)
    for (int act = 0; act <= int(gemm::Act::Tanh); ++act)
      for (int bias = 0; bias < 3; ++bias) {
        gemm::Epilogue ep;
        ep.act = gemm::Act(act);
        ep.p0 = act == int(gemm::Act::Clip) ? -0.3f : 0.1f;
        ep.p1 = 0.4f;
        ep.bias = bias ? reinterpret_cast<const float*>(1) : nullptr;  // replaced by real data
        ep.bias_per_row = bias == 2;
        check_kernel(c, false, false, false, bias == 1, ep, 0.7f, act % 2 == 1);
      }
}

TEST(GemmKernel, LargerThanOneCacheBlock) {
  check_kernel({130, 2100, 300}, false, false, false, true, {}, 1.0f, false);
  check_kernel({250, 40, 520}, true, false, false, false, {}, 1.0f, true);
}

// ---- MatMul ---------------------------------------------------------------------------------------

// Reference: numpy matmul semantics in double.
std::vector<double> ref_matmul(const std::vector<double>& a, Shape sa, const std::vector<double>& b, Shape sb,
                               Shape* out) {
  const bool a1 = sa.rank() == 1, b1 = sb.rank() == 1;
  if (a1) sa = Shape{1, sa[0]};
  if (b1) sb = Shape{sb[0], 1};
  const int64_t M = sa[sa.rank() - 2], K = sa[sa.rank() - 1], N = sb[sb.rank() - 1];
  Shape ba, bb, bs;
  for (int i = 0; i < sa.rank() - 2; ++i) ba.push_back(sa[i]);
  for (int i = 0; i < sb.rank() - 2; ++i) bb.push_back(sb[i]);
  EXPECT_TRUE(broadcast_shapes(ba, bb, &bs));
  *out = bs;
  if (!a1) out->push_back(M);
  if (!b1) out->push_back(N);
  std::vector<double> y(bs.numel() * M * N);
  for (int64_t t = 0; t < bs.numel(); ++t) {
    int64_t ia = 0, ib = 0, rem = t, mula = 1, mulb = 1;
    for (int d = bs.rank() - 1; d >= 0; --d) {
      int64_t idx = rem % bs[d];
      rem /= bs[d];
      int da = d - (bs.rank() - ba.rank()), db = d - (bs.rank() - bb.rank());
      if (da >= 0) ia += (ba[da] == 1 ? 0 : idx) * mula, mula *= ba[da];
      if (db >= 0) ib += (bb[db] == 1 ? 0 : idx) * mulb, mulb *= bb[db];
    }
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += a[ia * M * K + i * K + k] * b[ib * K * N + k * N + j];
        y[t * M * N + i * N + j] = s;
      }
  }
  return y;
}

template <class T>
Tensor make_typed(DType dt, Shape s, const std::vector<double>& v) {
  Tensor t(dt, s);
  for (size_t i = 0; i < v.size(); ++i) {
    if (dt == DType::F16) t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v[i]));
    else if (dt == DType::F32) t.data<float>()[i] = static_cast<float>(v[i]);
    else if (dt == DType::F64) t.data<double>()[i] = v[i];
    else t.data<T>()[i] = static_cast<T>(v[i]);
  }
  return t;
}

template <class T>
double get(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::F16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::F32: return t.data<float>()[i];
    case DType::F64: return t.data<double>()[i];
    default: return static_cast<double>(t.data<T>()[i]);
  }
}

std::vector<double> rand_vals(int64_t n, uint32_t seed, bool ints) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> di(0, 6);
  std::uniform_real_distribution<double> dr(-1, 1);
  std::vector<double> v(n);
  for (auto& x : v) x = ints ? di(rng) : dr(rng);
  return v;
}

template <class T>
void check_matmul(DType dt, Shape sa, Shape sb, bool b_const = false) {
  const bool ints = !(dt == DType::F32 || dt == DType::F64 || dt == DType::F16);
  auto a = rand_vals(sa.numel(), 5, ints), b = rand_vals(sb.numel(), 6, ints);
  if (dt == DType::F16)  // exact float16 inputs
    for (auto* v : {&a, &b})
      for (auto& x : *v) x = half_to_float(float_to_half(static_cast<float>(x)));
  Shape so;
  auto ref = ref_matmul(a, sa, b, sb, &so);
  std::vector<Tensor> out;
  if (b_const) {
    test::ModelBuilder mb;
    mb.input("a", dt, std::vector<int64_t>(sa.begin(), sa.end()));
    mb.initializer("b", make_typed<T>(dt, sb, b));
    mb.node("MatMul", {"a", "b"}, {"y"});
    mb.output("y", dt);
    auto m = mb.load();
    ASSERT_TRUE(m);
    out = test::run(m, {make_typed<T>(dt, sa, a)});
  } else {
    out = test::run_node("MatMul", {make_typed<T>(dt, sa, a), make_typed<T>(dt, sb, b)}, 1);
  }
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].shape(), so) << sa.str() << " x " << sb.str();
  ASSERT_EQ(out[0].dtype(), dt);
  const double tol = dt == DType::F16 ? 1e-2 : dt == DType::F32 ? 1e-4 : 1e-9;
  for (int64_t i = 0; i < so.numel(); ++i)
    ASSERT_NEAR(get<T>(out[0], i), ref[i], tol * (1 + std::fabs(ref[i]))) << sa.str() << " x " << sb.str() << " @" << i;
}

const std::vector<std::pair<Shape, Shape>> kShapes = {
    {{1, 1}, {1, 1}},       {{3, 7}, {7, 17}},          {{1, 65}, {65, 17}},       {{257, 7}, {7, 3}},
    {{7}, {7, 3}},          {{3, 7}, {7}},              {{5}, {5}},                {{2, 3, 4}, {4, 5}},
    {{2, 1, 3, 4}, {5, 4, 6}}, {{4}, {2, 4, 3}},        {{2, 3, 4}, {4}},          {{3, 1, 5}, {1, 5, 2}},
    {{0, 4}, {4, 3}},       {{3, 0}, {0, 2}},           {{17, 65}, {65, 33}},
};

TEST(MatMul, Float) {
  for (auto& [a, b] : kShapes) check_matmul<float>(DType::F32, a, b);
  for (auto& [a, b] : kShapes) check_matmul<float>(DType::F32, a, b, true);
}
TEST(MatMul, Double) {
  for (auto& [a, b] : kShapes) check_matmul<double>(DType::F64, a, b);
}
TEST(MatMul, Float16) {
  for (auto& [a, b] : kShapes) check_matmul<float>(DType::F16, a, b);
}
TEST(MatMul, Integers) {
  for (auto& [a, b] : kShapes) {
    check_matmul<int32_t>(DType::I32, a, b);
    check_matmul<int64_t>(DType::I64, a, b);
    check_matmul<uint32_t>(DType::U32, a, b);
    check_matmul<uint64_t>(DType::U64, a, b);
  }
}
TEST(MatMul, TwoThreadsMatchOne) {
  // Big enough for gemm::threads_for to split over columns (packed B) and rows (runtime B).
  for (bool b_const : {true, false}) {
    test::ModelBuilder mb;
    mb.input("a", DType::F32, {-1, 300});
    Tensor b(DType::F32, {300, 310});
    auto bv = rand_vec(b.numel(), 9);
    std::copy(bv.begin(), bv.end(), b.data<float>());
    if (b_const) mb.initializer("b", b);
    else mb.input("b", DType::F32, {300, 310});
    mb.node("MatMul", {"a", "b"}, {"y"});
    mb.output("y", DType::F32);
    Tensor a(DType::F32, {257, 300});
    auto av = rand_vec(a.numel(), 10);
    std::copy(av.begin(), av.end(), a.data<float>());
    std::vector<Tensor> feeds = {a};
    if (!b_const) feeds.push_back(b);
    ModelOptions one, two;
    one.threads = 1, two.threads = 2;
    auto y1 = test::run(mb.load(one), feeds), y2 = test::run(mb.load(two), feeds);
    ASSERT_EQ(y1[0].shape(), y2[0].shape());
    for (int64_t i = 0; i < y1[0].numel(); ++i) ASSERT_FLOAT_EQ(y1[0].data<float>()[i], y2[0].data<float>()[i]) << i;
  }
}

TEST(MatMul, Errors) {
  std::vector<Tensor> out;
  Status s = test::try_run(
      [] {
        test::ModelBuilder mb;
        mb.input("a", DType::F32, {-1, -1});
        mb.input("b", DType::F32, {-1, -1});
        mb.node("MatMul", {"a", "b"}, {"y"});
        mb.output("y", DType::F32);
        return mb.load();
      }(),
      {test::make_f32({2, 3}, {1, 2, 3, 4, 5, 6}), test::make_f32({2, 3}, {1, 2, 3, 4, 5, 6})}, &out);
  EXPECT_EQ(s.code(), StatusCode::InvalidInput);
  test::ModelBuilder mb;
  mb.input("a", DType::F32, {2, 2});
  mb.input("b", DType::F64, {2, 2});
  mb.node("MatMul", {"a", "b"}, {"y"});
  mb.output("y", DType::F32);
  EXPECT_FALSE(mb.try_load().ok());
}

// ---- Gemm -----------------------------------------------------------------------------------------

struct GemmCase {
  int64_t M, N, K;
  bool ta, tb;
  float alpha, beta;
  std::vector<int64_t> c_shape;  // empty with has_c=false: no C
  bool has_c = true;
  bool b_const = false;
};

void check_gemm(const GemmCase& gc, int opset, DType dt = DType::F32) {
  auto a = rand_vals(gc.M * gc.K, 11, false), b = rand_vals(gc.K * gc.N, 12, false);
  Shape sc(gc.c_shape.begin(), gc.c_shape.end());
  auto c = rand_vals(sc.numel(), 13, false);
  if (dt == DType::F16)
    for (auto* v : {&a, &b, &c})
      for (auto& x : *v) x = half_to_float(float_to_half(static_cast<float>(x)));
  Shape sa = gc.ta ? Shape{gc.K, gc.M} : Shape{gc.M, gc.K};
  Shape sb = gc.tb ? Shape{gc.N, gc.K} : Shape{gc.K, gc.N};
  std::vector<double> ref(gc.M * gc.N);
  for (int64_t i = 0; i < gc.M; ++i)
    for (int64_t j = 0; j < gc.N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < gc.K; ++k)
        s += a[gc.ta ? k * gc.M + i : i * gc.K + k] * b[gc.tb ? j * gc.K + k : k * gc.N + j];
      s *= gc.alpha;
      if (gc.has_c) {
        int64_t cm = sc.rank() == 2 ? sc[0] : 1, cn = sc.rank() >= 1 ? sc[sc.rank() - 1] : 1;
        s += gc.beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      }
      ref[i * gc.N + j] = s;
    }
  test::ModelBuilder mb;
  mb.opset("", opset);
  mb.input("a", dt, std::vector<int64_t>(sa.begin(), sa.end()));
  std::vector<std::string> ins = {"a", "b"};
  if (gc.b_const) mb.initializer("b", make_typed<float>(dt, sb, b));
  else mb.input("b", dt, std::vector<int64_t>(sb.begin(), sb.end()));
  std::vector<Tensor> feeds = {make_typed<float>(dt, sa, a)};
  if (!gc.b_const) feeds.push_back(make_typed<float>(dt, sb, b));
  if (gc.has_c) {
    mb.input("c", dt, gc.c_shape);
    ins.push_back("c");
    feeds.push_back(make_typed<float>(dt, sc, c));
  }
  mb.node("Gemm", ins, {"y"},
          {A::i64("transA", gc.ta), A::i64("transB", gc.tb), A::f32("alpha", gc.alpha), A::f32("beta", gc.beta)});
  mb.output("y", dt);
  auto m = mb.load();
  ASSERT_TRUE(m);
  auto out = test::run(m, feeds);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].shape(), (Shape{gc.M, gc.N}));
  const double tol = dt == DType::F16 ? 1e-2 : dt == DType::F32 ? 1e-4 : 1e-9;
  for (int64_t i = 0; i < gc.M * gc.N; ++i)
    ASSERT_NEAR(get<float>(out[0], i), ref[i], tol * (1 + std::fabs(ref[i])))
        << "M=" << gc.M << " N=" << gc.N << " K=" << gc.K << " opset " << opset << " C" << sc.str() << " @" << i;
}

TEST(Gemm, AttributesAndBroadcasts) {
  const std::vector<std::vector<int64_t>> c_shapes = {{}, {1}, {17}, {1, 17}, {7, 1}, {7, 17}};
  for (int opset : {7, 9, 11, 13})
    for (auto& cs : c_shapes)
      for (int t = 0; t < 4; ++t)
        for (bool bc : {false, true})
          check_gemm({7, 17, 65, bool(t & 1), bool(t & 2), 0.5f, 2.0f, cs, true, bc}, opset);
}

TEST(Gemm, OptionalCAndSizes) {
  for (bool bc : {false, true}) {
    check_gemm({1, 1, 1, false, false, 1, 1, {}, false, bc}, 11);
    check_gemm({257, 3, 7, false, true, 1, 1, {3}, true, bc}, 13);
    check_gemm({1, 65, 17, false, true, 1, 1, {65}, true, bc}, 13);
    check_gemm({3, 65, 17, true, false, 1, 0, {3, 65}, true, bc}, 13);
  }
}

TEST(Gemm, DoubleAndHalf) {
  check_gemm({7, 17, 65, false, true, 0.5f, 2.0f, {17}, true}, 13, DType::F64);
  check_gemm({3, 5, 4, true, false, 1.0f, 1.0f, {3, 1}, true}, 13, DType::F16);
  check_gemm({3, 5, 4, true, false, 1.0f, 1.0f, {3, 1}, true, true}, 9, DType::F16);
}

TEST(Gemm, Errors) {
  // opset 9: C is required.
  test::ModelBuilder mb;
  mb.opset("", 9);
  mb.input("a", DType::F32, {2, 2});
  mb.input("b", DType::F32, {2, 2});
  mb.node("Gemm", {"a", "b"}, {"y"});
  mb.output("y", DType::F32);
  EXPECT_FALSE(mb.try_load().ok());
  // C that does not broadcast.
  test::ModelBuilder m2;
  m2.input("a", DType::F32, {-1, 3});  // dynamic: the mismatch shows at run time
  m2.input("b", DType::F32, {3, -1});
  m2.input("c", DType::F32, {-1});
  m2.node("Gemm", {"a", "b", "c"}, {"y"});
  m2.output("y", DType::F32);
  auto m = m2.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  Status s = test::try_run(m, {test::make_f32({2, 3}, std::vector<float>(6, 1)),
                               test::make_f32({3, 4}, std::vector<float>(12, 1)), test::make_f32({3}, {1, 2, 3})},
                           &out);
  EXPECT_EQ(s.code(), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml
