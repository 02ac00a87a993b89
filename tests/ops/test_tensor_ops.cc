// test_tensor_ops.cc - Concat, Split, Gather, Tile against index-by-index references: every
// axis (negative too), opset variants (Split's split attribute / input / num_outputs), element
// sizes from bool to string, odd sizes, zero-size parts, out-of-range indices.
#include <gtest/gtest.h>

#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

Tensor seq(DType t, Shape s, int base = 0) {
  if (t == DType::String) {
    std::vector<std::string> v;
    for (int64_t i = 0; i < s.numel(); ++i) v.push_back("s" + std::to_string(base + i));
    return Tensor::from_strings(s, v);
  }
  Tensor x(t, s);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t v = base + i;
    switch (t) {
      case DType::F32: x.data<float>()[i] = static_cast<float>(v) * 0.5f; break;
      case DType::I64: x.data<int64_t>()[i] = v * 977; break;
      case DType::Bool: x.data<uint8_t>()[i] = v % 3 == 1; break;
      case DType::F16: x.data<uint16_t>()[i] = static_cast<uint16_t>(v + 0x3c00); break;
      case DType::I32: x.data<int32_t>()[i] = static_cast<int32_t>(-v); break;
      default: break;
    }
  }
  return x;
}

// Element (outer o, axis index a, inner i) of x seen as [outer, dim, inner].
void put(const Tensor& src, int64_t si, Tensor& dst, int64_t di) {
  if (src.dtype() == DType::String) return dst.set_str(di, src.str(si));
  const size_t es = dtype_size(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw()) + di * es, static_cast<const char*>(src.raw()) + si * es, es);
}

int64_t prod(const Shape& s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

Tensor ref_concat(const std::vector<Tensor>& xs, int axis) {
  Shape o = xs[0].shape();
  o[axis] = 0;
  for (auto& x : xs) o[axis] += x.shape()[axis];
  Tensor y(xs[0].dtype(), o);
  const int64_t outer = prod(o, 0, axis), inner = prod(o, axis + 1, o.rank());
  int64_t di = 0;
  for (int64_t q = 0; q < outer; ++q)
    for (auto& x : xs) {
      const int64_t blk = x.shape()[axis] * inner;
      for (int64_t k = 0; k < blk; ++k) put(x, q * blk + k, y, di++);
    }
  return y;
}

TEST(Concat, EveryAxisAndDtype) {
  for (DType t : {DType::F32, DType::I64, DType::Bool, DType::F16, DType::String}) {
    for (int axis = -3; axis < 3; ++axis) {
      const int a = axis < 0 ? axis + 3 : axis;
      Shape s0{2, 3, 5}, s1{2, 3, 5}, s2{2, 3, 5};
      s1[a] = 1, s2[a] = 4;
      std::vector<Tensor> xs = {seq(t, s0), seq(t, s1, 100), seq(t, s2, 200)};
      auto y = run_node("Concat", xs, 1, {A::i64("axis", axis)}, "", axis < 0 ? 11 : 7);
      ASSERT_EQ(y.size(), 1u);
      EXPECT_TRUE(y[0].same_as(ref_concat(xs, a))) << dtype_name(t) << " axis " << axis;
    }
  }
  std::vector<Tensor> xs = {seq(DType::F32, {3, 0}), seq(DType::F32, {3, 2})};  // zero-size part
  EXPECT_TRUE(run_node("Concat", xs, 1, {A::i64("axis", 1)}, "", 13)[0].same_as(ref_concat(xs, 1)));
  // Per-row blocks of every size the kernel copies inline (4 .. 32 bytes) and one it does not.
  xs = {seq(DType::F32, {9, 1}), seq(DType::F32, {9, 2}, 50), seq(DType::F32, {9, 3}, 60), seq(DType::F32, {9, 4}, 70),
        seq(DType::F32, {9, 6}, 80), seq(DType::F32, {9, 8}, 90), seq(DType::F32, {9, 5}, 99)};
  EXPECT_TRUE(run_node("Concat", xs, 1, {A::i64("axis", 1)}, "", 13)[0].same_as(ref_concat(xs, 1)));
  std::vector<Tensor> one = {seq(DType::F32, {7})};
  EXPECT_TRUE(run_node("Concat", one, 1, {A::i64("axis", 0)}, "", 13)[0].same_as(one[0]));
}

TEST(Concat, Errors) {
  ModelBuilder b;
  b.opset("", 13);
  b.input("a", DType::F32, {-1, 3});  // dynamic: the mismatch shows at run time
  b.input("b", DType::F32, {-1, 3});
  b.node("Concat", {"a", "b"}, {"y"}, {A::i64("axis", 1)});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {seq(DType::F32, {2, 3}), seq(DType::F32, {3, 3})}, &out).code(), StatusCode::InvalidInput);
  ModelBuilder c;
  c.opset("", 13);
  c.input("a", DType::F32, {2, 3});
  c.node("Concat", {"a"}, {"y"});  // no axis
  c.output("y", DType::F32);
  EXPECT_FALSE(c.try_load().ok());
}

// Splits x along axis into parts of the given sizes.
std::vector<Tensor> ref_split(const Tensor& x, int axis, const std::vector<int64_t>& parts) {
  const Shape& s = x.shape();
  const int64_t outer = prod(s, 0, axis), inner = prod(s, axis + 1, s.rank());
  std::vector<Tensor> ys;
  int64_t off = 0;
  for (int64_t p : parts) {
    Shape o = s;
    o[axis] = p;
    Tensor y(x.dtype(), o);
    int64_t di = 0;
    for (int64_t q = 0; q < outer; ++q)
      for (int64_t k = 0; k < p * inner; ++k) put(x, (q * s[axis] + off) * inner + k, y, di++);
    ys.push_back(std::move(y));
    off += p;
  }
  return ys;
}

void expect_parts(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(got[i].same_as(want[i])) << "part " << i;
}

TEST(Split, EveryOpsetForm) {
  auto x = seq(DType::F32, {4, 6, 3});
  expect_parts(run_node("Split", {x}, 3, {A::i64("axis", 1)}, "", 7), ref_split(x, 1, {2, 2, 2}));
  expect_parts(run_node("Split", {x}, 2, {A::i64("axis", 1), A::i64s("split", {1, 5})}, "", 11), ref_split(x, 1, {1, 5}));
  expect_parts(run_node("Split", {x}, 2, {A::i64("axis", -1), A::i64s("split", {2, 1})}, "", 11), ref_split(x, 2, {2, 1}));
  expect_parts(run_node("Split", {x, make_i64({3}, {1, 0, 3})}, 3, {}, "", 13), ref_split(x, 0, {1, 0, 3}));
  expect_parts(run_node("Split", {x}, 2, {}, "", 13), ref_split(x, 0, {2, 2}));
  expect_parts(run_node("Split", {x, make_i64({2}, {4, 2})}, 2, {A::i64("axis", 1)}, "", 18), ref_split(x, 1, {4, 2}));
  // opset 18 num_outputs: ceil-sized chunks, the last smaller
  auto z = seq(DType::String, {7, 2});
  expect_parts(run_node("Split", {z}, 3, {A::i64("num_outputs", 3)}, "", 18), ref_split(z, 0, {3, 3, 1}));
  auto w = seq(DType::I64, {2, 17});
  expect_parts(run_node("Split", {w}, 4, {A::i64("axis", 1), A::i64("num_outputs", 4)}, "", 18), ref_split(w, 1, {5, 5, 5, 2}));
}

TEST(Split, Errors) {
  auto x = seq(DType::F32, {5, 2});
  std::vector<Tensor> out;
  ModelBuilder b;
  b.opset("", 13);
  b.input("x", DType::F32, {-1, 2});
  b.node("Split", {"x"}, {"a", "b"});  // 5 does not split in 2 equal parts
  b.output("a", DType::F32);
  b.output("b", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  EXPECT_EQ(try_run(m, {x}, &out).code(), StatusCode::InvalidInput);
  ModelBuilder c;
  c.opset("", 13);
  c.input("x", DType::F32, {5, 2});
  c.input("s", DType::I64, {2});
  c.node("Split", {"x", "s"}, {"a", "b"});
  c.output("a", DType::F32);
  c.output("b", DType::F32);
  auto mc = c.load();
  ASSERT_TRUE(mc);
  EXPECT_EQ(try_run(mc, {x, make_i64({2}, {2, 2})}, &out).code(), StatusCode::InvalidInput);  // sums to 4
  EXPECT_TRUE(try_run(mc, {x, make_i64({2}, {2, 3})}, &out).ok());
}

Tensor ref_gather(const Tensor& x, const std::vector<int64_t>& idx, Shape ishape, int axis) {
  const Shape& s = x.shape();
  Shape o;
  for (int i = 0; i < axis; ++i) o.push_back(s[i]);
  for (int i = 0; i < ishape.rank(); ++i) o.push_back(ishape[i]);
  for (int i = axis + 1; i < s.rank(); ++i) o.push_back(s[i]);
  Tensor y(x.dtype(), o);
  const int64_t outer = prod(s, 0, axis), inner = prod(s, axis + 1, s.rank());
  int64_t di = 0;
  for (int64_t q = 0; q < outer; ++q)
    for (int64_t v : idx) {
      const int64_t a = v < 0 ? v + s[axis] : v;
      for (int64_t k = 0; k < inner; ++k) put(x, (q * s[axis] + a) * inner + k, y, di++);
    }
  return y;
}

TEST(Gather, AxesIndicesAndDtypes) {
  for (DType t : {DType::F32, DType::String, DType::Bool, DType::F16}) {
    auto x = seq(t, {5, 4, 3});
    for (int axis = -3; axis < 3; ++axis) {
      const int a = axis < 0 ? axis + 3 : axis;
      std::vector<int64_t> idx = {0, -1, 2, 1, 2, -2};
      auto y = run_node("Gather", {x, make_i64({2, 3}, idx)}, 1, {A::i64("axis", axis)}, "", 13);
      ASSERT_EQ(y.size(), 1u);
      EXPECT_TRUE(y[0].same_as(ref_gather(x, idx, {2, 3}, a))) << dtype_name(t) << " axis " << axis;
    }
  }
  auto x = seq(DType::I64, {7, 2});
  auto y = run_node("Gather", {x, make_i32({}, {3})}, 1, {}, "", 7);  // scalar int32 index
  EXPECT_TRUE(y[0].same_as(ref_gather(x, {3}, {}, 0)));
  y = run_node("Gather", {x, make_i64({0}, {})}, 1, {}, "", 11);
  EXPECT_EQ(y[0].shape(), (Shape{0, 2}));
}

TEST(Gather, OutOfRangeIndexIsAnInputError) {
  ModelBuilder b;
  b.opset("", 13);
  b.input("x", DType::F32, {4, 2});
  b.input("i", DType::I64, {2});
  b.node("Gather", {"x", "i"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  auto x = seq(DType::F32, {4, 2});
  EXPECT_EQ(try_run(m, {x, make_i64({2}, {0, 4})}, &out).code(), StatusCode::InvalidInput);
  EXPECT_EQ(try_run(m, {x, make_i64({2}, {-5, 0})}, &out).code(), StatusCode::InvalidInput);
  EXPECT_TRUE(try_run(m, {x, make_i64({2}, {-4, 3})}, &out).ok());
}

Tensor ref_tile(const Tensor& x, const std::vector<int64_t>& reps) {
  const Shape& s = x.shape();
  Shape o;
  for (int i = 0; i < s.rank(); ++i) o.push_back(s[i] * reps[i]);
  Tensor y(x.dtype(), o);
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t rem = i, off = 0, st = 1;
    for (int d = o.rank() - 1; d >= 0; --d) {
      off += ((rem % o[d]) % s[d]) * st;
      rem /= o[d];
      st *= s[d];
    }
    put(x, off, y, i);
  }
  return y;
}

TEST(Tile, RepeatsAndDtypes) {
  for (DType t : {DType::F32, DType::String, DType::I32}) {
    auto x = seq(t, {2, 3, 1});
    for (auto reps : std::vector<std::vector<int64_t>>{{1, 1, 1}, {2, 1, 3}, {3, 2, 1}, {1, 0, 2}}) {
      auto y = run_node("Tile", {x, make_i64({3}, reps)}, 1, {}, "", 13);
      ASSERT_EQ(y.size(), 1u);
      EXPECT_TRUE(y[0].same_as(ref_tile(x, reps))) << dtype_name(t);
    }
  }
  auto v = seq(DType::F32, {17});
  EXPECT_TRUE(run_node("Tile", {v, make_i64({1}, {5})}, 1, {}, "", 7)[0].same_as(ref_tile(v, {5})));
  std::vector<Tensor> out;
  ModelBuilder b;
  b.opset("", 13);
  b.input("x", DType::F32, {2});
  b.input("r", DType::I64, {2});
  b.node("Tile", {"x", "r"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  EXPECT_EQ(try_run(m, {seq(DType::F32, {2}), make_i64({2}, {1, 2})}, &out).code(), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml::test
