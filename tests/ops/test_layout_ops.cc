// test_layout_ops.cc - Transpose, Slice, Expand against index-by-index references: every
// permutation of ranks 2-4, odd sizes, the tiled 2-D path, negative steps, clamping, INT64_MAX
// ends, broadcasting, every element size (bool, int8, float16, float, int64, string).
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "ops/kernels/transpose.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

Tensor seq(DType t, Shape s) {
  Tensor x(t, s);
  std::vector<std::string> strs;
  for (int64_t i = 0; i < x.numel(); ++i) {
    switch (t) {
      case DType::F32: x.data<float>()[i] = static_cast<float>(i) + 0.5f; break;
      case DType::I64: x.data<int64_t>()[i] = i * 1000003; break;
      case DType::I8: x.data<int8_t>()[i] = static_cast<int8_t>(i * 7); break;
      case DType::Bool: x.data<uint8_t>()[i] = (i * 7) % 3 == 0; break;
      case DType::F16: x.data<uint16_t>()[i] = static_cast<uint16_t>(i * 13 + 1); break;
      case DType::String: strs.push_back("s" + std::to_string(i)); break;
      default: break;
    }
  }
  if (t == DType::String) return Tensor::from_strings(s, strs);
  return x;
}

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.rank());
  int64_t a = 1;
  for (int i = s.rank() - 1; i >= 0; --i) st[i] = a, a *= s[i];
  return st;
}

// Copies element `si` of src to element `di` of dst (any dtype).
void put(const Tensor& src, int64_t si, Tensor& dst, int64_t di) {
  if (src.dtype() == DType::String) {
    dst.set_str(di, src.str(si));
    return;
  }
  const size_t es = dtype_size(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw()) + di * es, static_cast<const char*>(src.raw()) + si * es, es);
}

Tensor ref_transpose(const Tensor& x, const std::vector<int64_t>& perm) {
  const Shape& s = x.shape();
  Shape o;
  for (int64_t p : perm) o.push_back(s[static_cast<int>(p)]);
  Tensor y(x.dtype(), o);
  auto is = strides_of(s);
  std::vector<int64_t> idx(o.rank(), 0);
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t rem = i, off = 0;
    for (int d = o.rank() - 1; d >= 0; --d) off += (rem % o[d]) * is[perm[d]], rem /= o[d];
    put(x, off, y, i);
  }
  return y;
}

TEST(Transpose, EveryPermutationAndDtype) {
  for (DType t : {DType::F32, DType::I64, DType::I8, DType::Bool, DType::F16, DType::String}) {
    for (Shape s : {Shape{3, 5}, Shape{2, 3, 5}, Shape{2, 1, 3, 7}}) {
      std::vector<int64_t> perm(s.rank());
      std::iota(perm.begin(), perm.end(), 0);
      do {
        auto x = seq(t, s);
        auto y = run_node("Transpose", {x}, 1, {A::i64s("perm", perm)}, "", 13);
        ASSERT_EQ(y.size(), 1u);
        EXPECT_TRUE(y[0].same_as(ref_transpose(x, perm))) << dtype_name(t) << " " << s.str();
      } while (std::next_permutation(perm.begin(), perm.end()));
    }
  }
}

TEST(Transpose, DefaultReversesAndTiledPaths) {
  auto x = seq(DType::F32, {2, 3, 4});
  EXPECT_TRUE(run_node("Transpose", {x}, 1, {}, "", 7)[0].same_as(ref_transpose(x, {2, 1, 0})));
  // big 2-D (tiles with ragged edges), NCHW <-> NHWC with a batch of 257 rows
  auto m = seq(DType::F32, {65, 257});
  EXPECT_TRUE(run_node("Transpose", {m}, 1, {A::i64s("perm", {1, 0})}, "", 21)[0].same_as(ref_transpose(m, {1, 0})));
  auto n = seq(DType::F32, {3, 17, 7, 5});
  EXPECT_TRUE(run_node("Transpose", {n}, 1, {A::i64s("perm", {0, 2, 3, 1})})[0].same_as(ref_transpose(n, {0, 2, 3, 1})));
  EXPECT_TRUE(run_node("Transpose", {n}, 1, {A::i64s("perm", {0, 3, 1, 2})})[0].same_as(ref_transpose(n, {0, 3, 1, 2})));
  auto big = seq(DType::I64, {257, 65});
  EXPECT_TRUE(run_node("Transpose", {big}, 1, {})[0].same_as(ref_transpose(big, {1, 0})));
  auto one = seq(DType::F32, {1});
  EXPECT_TRUE(run_node("Transpose", {one}, 1, {})[0].same_as(one));
}

TEST(TransposeKernels, VariantsMatchScalar) {
  const TransposeKernels* ref = transpose_kernels_variant(0);
  ASSERT_NE(ref, nullptr);
  const TransposeKernels* k = transpose_kernels_variant(2);
  if (!k) GTEST_SKIP() << "no AVX2 on this host";
  for (int64_t R : {1, 3, 7, 8, 17, 65, 257})
    for (int64_t C : {1, 5, 8, 16, 33, 65}) {
      std::vector<uint32_t> in(R * C), a(R * C), b(R * C, 0xdeadbeef);
      for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint32_t>(i * 2654435761u);
      ref->t32(in.data(), R, C, a.data());
      k->t32(in.data(), R, C, b.data());
      EXPECT_EQ(a, b) << R << "x" << C;
      EXPECT_EQ(a[1 % a.size()], in[R > 1 ? C % in.size() : 1 % in.size()]) << "scalar reference sanity";
    }
}

TEST(Transpose, BadPerm) {
  ModelBuilder b;
  b.input("x", DType::F32, {2, 3});
  b.node("Transpose", {"x"}, {"y"}, {A::i64s("perm", {0, 0})});
  b.output("y", DType::F32);
  EXPECT_FALSE(b.try_load().ok());
  ModelBuilder c;
  c.input("x", DType::F32, {2, 3});
  c.node("Transpose", {"x"}, {"y"}, {A::i64s("perm", {2, 0, 1})});
  c.output("y", DType::F32);
  auto m = c.try_load();
  if (m.ok()) {
    std::vector<Tensor> out;
    EXPECT_FALSE(try_run(m.value(), {seq(DType::F32, {2, 3})}, &out).ok());
  }
}

// Slice reference, per the ONNX spec's clamping rules.
Tensor ref_slice(const Tensor& x, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
                 std::vector<int64_t> steps) {
  const Shape& s = x.shape();
  const int r = s.rank();
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  std::vector<std::vector<int64_t>> idx(r);
  for (int d = 0; d < r; ++d)
    for (int64_t i = 0; i < s[d]; ++i) idx[d].push_back(i);
  for (size_t i = 0; i < starts.size(); ++i) {
    const int a = static_cast<int>(axes[i] < 0 ? axes[i] + r : axes[i]);
    const int64_t d = s[a], st = steps[i];
    int64_t b = starts[i] < 0 ? starts[i] + d : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + d : ends[i];
    idx[a].clear();
    if (st > 0) {
      b = std::clamp<int64_t>(b, 0, d), e = std::clamp<int64_t>(e, 0, d);
      for (int64_t k = b; k < e; k += st) {
        idx[a].push_back(k);
        if (e - k <= st) break;  // no overflow with huge steps
      }
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1), e = std::clamp<int64_t>(e, -1, d - 1);
      const int64_t as = st == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -st;
      for (int64_t k = b; k > e; k += st) {
        idx[a].push_back(k);
        if (k - e <= as) break;
      }
    }
  }
  Shape o;
  for (int d = 0; d < r; ++d) o.push_back(static_cast<int64_t>(idx[d].size()));
  Tensor y(x.dtype(), o);
  auto is = strides_of(s);
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t rem = i, off = 0;
    for (int d = r - 1; d >= 0; --d) off += idx[d][rem % o[d]] * is[d], rem /= o[d];
    put(x, off, y, i);
  }
  return y;
}

void check_slice(const Tensor& x, std::vector<int64_t> st, std::vector<int64_t> en, std::vector<int64_t> ax,
                 std::vector<int64_t> sp, int64_t opset = 13) {
  std::vector<Tensor> in = {x, make_i64({(int64_t)st.size()}, st), make_i64({(int64_t)en.size()}, en)};
  if (!ax.empty() || !sp.empty()) {
    std::vector<int64_t> axes = ax;
    if (axes.empty())
      for (size_t i = 0; i < st.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    in.push_back(make_i64({(int64_t)axes.size()}, axes));
  }
  if (!sp.empty()) in.push_back(make_i64({(int64_t)sp.size()}, sp));
  auto y = run_node("Slice", in, 1, {}, "", opset);
  ASSERT_EQ(y.size(), 1u);
  auto want = ref_slice(x, st, en, ax, sp);
  EXPECT_TRUE(y[0].same_as(want)) << "got " << y[0].shape().str() << " want " << want.shape().str();
}

TEST(Slice, StepsClampingAndAxes) {
  const int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  auto x = seq(DType::F32, {5, 7, 3});
  check_slice(x, {1, 2}, {4, 6}, {}, {});
  check_slice(x, {0}, {kMax}, {1}, {2});
  check_slice(x, {-1}, {kMin}, {1}, {-1});
  check_slice(x, {20}, {-20}, {0}, {-2});
  check_slice(x, {-100}, {100}, {-1}, {1});
  check_slice(x, {3, 1}, {1, 0}, {0, 2}, {1, 1});  // empty result
  check_slice(x, {1, 0, 2}, {3, 7, 0}, {2, 1, 0}, {1, 3, -1}, 11);
  check_slice(seq(DType::String, {4, 3}), {3}, {0}, {0}, {-1}, 10);
  check_slice(seq(DType::I8, {17}), {1}, {16}, {}, {3}, 21);
  check_slice(seq(DType::I64, {257, 3}), {1}, {256}, {0}, {}, 13);
  check_slice(x, {1, 4}, {kMax, kMin}, {0, 1}, {kMax, kMin});  // huge steps: one element each
  // int32 indices
  auto y = run_node("Slice", {x, make_i32({1}, {1}), make_i32({1}, {3})}, 1, {}, "", 13);
  EXPECT_TRUE(y[0].same_as(ref_slice(x, {1}, {3}, {}, {})));
  // opset < 10: attributes, no steps
  y = run_node("Slice", {x}, 1, {A::i64s("starts", {1, -2}), A::i64s("ends", {kMax, 7}), A::i64s("axes", {1, 0})}, "", 9);
  EXPECT_TRUE(y[0].same_as(ref_slice(x, {1, -2}, {kMax, 7}, {1, 0}, {})));
}

TEST(Slice, Errors) {
  auto x = seq(DType::F32, {4, 4});
  std::vector<Tensor> out;
  ModelBuilder b;
  b.opset("", 13);
  for (auto n : {"x", "s", "e", "a", "p"}) b.input(n, n[0] == 'x' ? DType::F32 : DType::I64, {n[0] == 'x' ? 4 : 1});
  b.node("Slice", {"x", "s", "e", "a", "p"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  auto x1 = seq(DType::F32, {4});
  EXPECT_EQ(try_run(m, {x1, make_i64({1}, {0}), make_i64({1}, {2}), make_i64({1}, {0}), make_i64({1}, {0})}, &out).code(),
            StatusCode::InvalidInput);  // step 0
  EXPECT_EQ(try_run(m, {x1, make_i64({1}, {0}), make_i64({1}, {2}), make_i64({1}, {3}), make_i64({1}, {1})}, &out).code(),
            StatusCode::InvalidInput);  // bad axis
  EXPECT_TRUE(try_run(m, {x1, make_i64({1}, {0}), make_i64({1}, {2}), make_i64({1}, {-1}), make_i64({1}, {1})}, &out).ok());
}

Tensor ref_expand(const Tensor& x, Shape o) {
  Tensor y(x.dtype(), o);
  const Shape& s = x.shape();
  auto is = strides_of(s);
  const int lead = o.rank() - s.rank();
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t rem = i, off = 0;
    for (int d = o.rank() - 1; d >= 0; --d) {
      const int64_t c = rem % o[d];
      rem /= o[d];
      if (d >= lead && s[d - lead] != 1) off += c * is[d - lead];
    }
    put(x, off, y, i);
  }
  return y;
}

TEST(Expand, Broadcasting) {
  auto x = seq(DType::F32, {3, 1});
  auto y = run_node("Expand", {x, make_i64({3}, {2, 1, 6})}, 1, {}, "", 8);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(y[0].same_as(ref_expand(x, {2, 3, 6})));
  y = run_node("Expand", {x, make_i64({1}, {4})}, 1, {}, "", 13);  // shape smaller than input rank
  EXPECT_TRUE(y[0].same_as(ref_expand(x, {3, 4})));
  auto s = seq(DType::String, {1, 2});
  y = run_node("Expand", {s, make_i64({2}, {3, 2})}, 1, {}, "", 13);
  EXPECT_TRUE(y[0].same_as(ref_expand(s, {3, 2})));
  auto b = seq(DType::Bool, {17, 1, 1});
  y = run_node("Expand", {b, make_i64({3}, {17, 5, 65})}, 1, {}, "", 13);
  EXPECT_TRUE(y[0].same_as(ref_expand(b, {17, 5, 65})));
  std::vector<Tensor> out;
  ModelBuilder mb;
  mb.opset("", 13);
  mb.input("x", DType::F32, {3, 2});
  mb.input("s", DType::I64, {2});
  mb.node("Expand", {"x", "s"}, {"y"});
  mb.output("y", DType::F32);
  auto m = mb.load();
  ASSERT_TRUE(m);
  EXPECT_EQ(try_run(m, {seq(DType::F32, {3, 2}), make_i64({2}, {4, 2})}, &out).code(), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml::test

namespace rtml::test {
namespace {

TEST(Transpose, ThreadsGiveTheSameResult) {
  auto x = seq(DType::F32, {8, 64, 28, 28});
  ModelBuilder b;
  b.opset("", 13);
  b.input("x", DType::F32, {-1, 64, 28, 28});
  b.node("Transpose", {"x"}, {"y"}, {A::i64s("perm", {0, 2, 3, 1})});
  b.output("y", DType::F32);
  ModelOptions o;
  o.threads = 4;
  auto m = b.load(o);
  ASSERT_TRUE(m);
  auto y = run(m, {x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(y[0].same_as(ref_transpose(x, {0, 2, 3, 1})));
}

}  // namespace
}  // namespace rtml::test
