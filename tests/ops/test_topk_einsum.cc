// test_topk_einsum.cc - TopK (largest/smallest, axes, K input and attribute, ties: lower index
// first, errors) and Einsum (matmul, batch matmul, transpose, reductions, outer product, diagonal,
// ellipsis, implicit output) against references written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

std::vector<float> randv(size_t n, unsigned seed, int levels = 0) {
  std::mt19937 rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = levels ? static_cast<float>(rng() % levels) : std::uniform_real_distribution<float>(-5, 5)(rng);
  return v;
}

TEST(TopK, MatchesStableSortAlongEveryAxis) {
  const Shape xs{3, 7, 5};
  auto x = randv(xs.numel(), 1, 4);  // few distinct values: many ties
  for (int64_t axis : {0, 1, 2, -1, -2})
    for (int64_t largest : {0, 1})
      for (int64_t k : {0, 1, 3}) {
        const int a = static_cast<int>(axis < 0 ? axis + 3 : axis);
        if (k > xs[a]) continue;
        auto out = run_node("TopK", {make_f32(xs, x), make_i64({1}, {k})}, 2,
                            {A::i64("axis", axis), A::i64("largest", largest)}, "", 11);
        ASSERT_EQ(out.size(), 2u);
        Shape os = xs;
        os[a] = k;
        ASSERT_EQ(out[0].shape(), os);
        ASSERT_EQ(out[1].dtype(), DType::I64);
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < a; ++d) outer *= xs[d];
        for (int d = a + 1; d < 3; ++d) inner *= xs[d];
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            std::vector<int64_t> idx(xs[a]);
            std::iota(idx.begin(), idx.end(), 0);
            auto val = [&](int64_t j) { return x[(o * xs[a] + j) * inner + i]; };
            std::stable_sort(idx.begin(), idx.end(), [&](int64_t p, int64_t q) {
              return largest ? val(p) > val(q) : val(p) < val(q);
            });
            for (int64_t j = 0; j < k; ++j) {
              const int64_t at = (o * k + j) * inner + i;
              ASSERT_EQ(out[1].data<int64_t>()[at], idx[j]) << axis << " " << largest << " " << k;
              ASSERT_EQ(out[0].data<float>()[at], val(idx[j]));
            }
          }
      }
}

TEST(TopK, AttributeFormAndIntegerTypes) {
  auto out = run_node("TopK", {make_f32({5}, {3, 1, 4, 1, 5})}, 2, {A::i64("k", 2)}, "", 7);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].data<float>()[0], 5);
  EXPECT_EQ(out[1].data<int64_t>()[1], 2);
  auto oi = run_node("TopK", {make_i64({6}, {2, 9, 9, -1, 9, 0}), make_i64({1}, {3})}, 2, {}, "", 11);
  EXPECT_EQ(oi[1].data<int64_t>()[0], 1);
  EXPECT_EQ(oi[1].data<int64_t>()[1], 2);
  EXPECT_EQ(oi[1].data<int64_t>()[2], 4);
}

TEST(TopK, KOutOfRangeIsInvalidInput) {
  ModelBuilder b;
  b.opset("", 11).input("x", DType::F32, {-1}).input("k", DType::I64, {1}).output("v", DType::F32).output("i", DType::I64);
  b.node("TopK", {"x", "k"}, {"v", "i"});
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {make_f32({3}, {1, 2, 3}), make_i64({1}, {4})}, &out).code(), StatusCode::InvalidInput);
  EXPECT_EQ(try_run(m, {make_f32({3}, {1, 2, 3}), make_i64({1}, {-1})}, &out).code(), StatusCode::InvalidInput);
}

std::vector<double> matmul_ref(const std::vector<double>& a, const std::vector<double>& b, int64_t B, int64_t M, int64_t K,
                               int64_t N) {
  std::vector<double> c(B * M * N, 0);
  for (int64_t t = 0; t < B; ++t)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        for (int64_t k = 0; k < K; ++k) c[(t * M + i) * N + j] += a[(t * M + i) * K + k] * b[(t * K + k) * N + j];
  return c;
}

std::vector<double> rd(size_t n, unsigned seed) {
  auto f = randv(n, seed);
  return std::vector<double>(f.begin(), f.end());
}

void expect_vec(const Tensor& t, const std::vector<double>& want) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(t.data<double>()[i], want[i], 1e-9 * (1 + std::fabs(want[i]))) << i;
}

TEST(Einsum, MatmulBatchTransposeReduceOuter) {
  auto a = rd(3 * 4, 1), b = rd(4 * 5, 2);
  auto mm = run_node("Einsum", {make_f64({3, 4}, a), make_f64({4, 5}, b)}, 1, {A::str("equation", "ij,jk->ik")}, "", 12);
  ASSERT_EQ(mm.size(), 1u);
  EXPECT_EQ(mm[0].shape(), (Shape{3, 5}));
  expect_vec(mm[0], matmul_ref(a, b, 1, 3, 4, 5));
  auto implicit = run_node("Einsum", {make_f64({3, 4}, a), make_f64({4, 5}, b)}, 1, {A::str("equation", "ij,jk")}, "", 12);
  expect_vec(implicit[0], matmul_ref(a, b, 1, 3, 4, 5));

  auto ba = rd(2 * 3 * 4, 3), bb = rd(2 * 4 * 5, 4);
  auto bm = run_node("Einsum", {make_f64({2, 3, 4}, ba), make_f64({2, 4, 5}, bb)}, 1, {A::str("equation", "bij,bjk->bik")}, "", 12);
  expect_vec(bm[0], matmul_ref(ba, bb, 2, 3, 4, 5));
  auto el = run_node("Einsum", {make_f64({2, 3, 4}, ba), make_f64({2, 4, 5}, bb)}, 1, {A::str("equation", "...ij,...jk->...ik")}, "", 12);
  expect_vec(el[0], matmul_ref(ba, bb, 2, 3, 4, 5));

  auto tr = run_node("Einsum", {make_f64({3, 4}, a)}, 1, {A::str("equation", "ij->ji")}, "", 12);
  EXPECT_EQ(tr[0].shape(), (Shape{4, 3}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(tr[0].data<double>()[j * 3 + i], a[i * 4 + j]);

  auto rs = run_node("Einsum", {make_f64({3, 4}, a)}, 1, {A::str("equation", "ij->i")}, "", 12);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(rs[0].data<double>()[i], a[i * 4] + a[i * 4 + 1] + a[i * 4 + 2] + a[i * 4 + 3], 1e-12);
  auto all = run_node("Einsum", {make_f64({3, 4}, a)}, 1, {A::str("equation", "ij->")}, "", 12);
  EXPECT_EQ(all[0].shape().rank(), 0);
  EXPECT_NEAR(all[0].data<double>()[0], std::accumulate(a.begin(), a.end(), 0.0), 1e-12);

  auto u = rd(3, 5), v = rd(4, 6);
  auto op = run_node("Einsum", {make_f64({3}, u), make_f64({4}, v)}, 1, {A::str("equation", "i,j->ij")}, "", 12);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(op[0].data<double>()[i * 4 + j], u[i] * v[j]);
  auto dot = run_node("Einsum", {make_f64({3}, u), make_f64({3}, u)}, 1, {A::str("equation", "i,i")}, "", 12);
  EXPECT_NEAR(dot[0].data<double>()[0], u[0] * u[0] + u[1] * u[1] + u[2] * u[2], 1e-12);
}

TEST(Einsum, DiagonalTraceAndFloat) {
  auto a = rd(2 * 3 * 3, 7);
  auto d = run_node("Einsum", {make_f64({2, 3, 3}, a)}, 1, {A::str("equation", "bii->bi")}, "", 12);
  EXPECT_EQ(d[0].shape(), (Shape{2, 3}));
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(d[0].data<double>()[b * 3 + i], a[(b * 3 + i) * 3 + i]);
  auto t = run_node("Einsum", {make_f64({2, 3, 3}, a)}, 1, {A::str("equation", "bii")}, "", 12);
  EXPECT_EQ(t[0].shape(), (Shape{2}));
  EXPECT_NEAR(t[0].data<double>()[1], a[9] + a[13] + a[17], 1e-12);
  auto f = run_node("Einsum", {make_f32({2, 2}, {1, 2, 3, 4}), make_f32({2}, {1, 1})}, 1, {A::str("equation", "ij,j->i")}, "", 12);
  EXPECT_FLOAT_EQ(f[0].data<float>()[1], 7.0f);
}

TEST(Einsum, BadEquations) {
  for (std::string eq : {"ij,jk->ik,", "i$->i", "ij->ii", "ij,jk"}) {
    ModelBuilder b;
    b.opset("", 12).input("x", DType::F32, {2, 2}).output("y", DType::F32);
    b.node("Einsum", {"x"}, {"y"}, {A::str("equation", eq)});
    auto r = b.try_load();
    EXPECT_FALSE(r.ok()) << eq;
    if (!r.ok()) EXPECT_EQ(r.status().code(), StatusCode::InvalidModel) << eq;
  }
  ModelBuilder b;  // mismatched dimensions
  b.opset("", 12).input("x", DType::F32, {-1, -1}).input("z", DType::F32, {-1, -1}).output("y", DType::F32);
  b.node("Einsum", {"x", "z"}, {"y"}, {A::str("equation", "ij,jk->ik")});
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {make_f32({2, 3}, std::vector<float>(6)), make_f32({2, 3}, std::vector<float>(6))}, &out).code(),
            StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml::test
