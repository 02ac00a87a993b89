// test_pool.cc - MaxPool (Indices, storage_order, ceil_mode, dilations, pads, auto_pad, int8/uint8),
// AveragePool (count_include_pad, ceil_mode, dilations), GlobalAveragePool, GlobalMaxPool against
// naive references written here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "ops/common.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml {
namespace {

using test::A;

struct PoolCase {
  std::vector<int64_t> x;
  std::vector<int64_t> k, strides, dilations, pads;
  bool ceil = false;
  bool include_pad = false;
  std::string auto_pad = "NOTSET";
};

struct RefOut {
  std::vector<int64_t> shape;
  std::vector<double> y;
  std::vector<int64_t> idx;
};

RefOut ref_pool(const PoolCase& c, const std::vector<float>& x, bool is_max, bool col_major) {
  const int nd = static_cast<int>(c.k.size());
  std::vector<int64_t> in(3, 1), k(3, 1), s(3, 1), d(3, 1), pb(3, 0), pe(3, 0), out(3, 1);
  for (int i = 0; i < nd; ++i) {
    const int j = 3 - nd + i;
    in[j] = c.x[2 + i], k[j] = c.k[i];
    s[j] = c.strides.empty() ? 1 : c.strides[i];
    d[j] = c.dilations.empty() ? 1 : c.dilations[i];
    const int64_t dk = (k[j] - 1) * d[j] + 1;
    if (c.auto_pad == "NOTSET") {
      pb[j] = c.pads.empty() ? 0 : c.pads[i];
      pe[j] = c.pads.empty() ? 0 : c.pads[nd + i];
      const int64_t span = in[j] + pb[j] + pe[j] - dk;
      out[j] = (c.ceil ? (span + s[j] - 1) / s[j] : span / s[j]) + 1;
      if (c.ceil && (out[j] - 1) * s[j] >= in[j] + pb[j]) --out[j];
    } else if (c.auto_pad == "VALID") {
      out[j] = (in[j] - dk) / s[j] + 1;
    } else {
      out[j] = (in[j] + s[j] - 1) / s[j];
      const int64_t total = std::max<int64_t>(0, (out[j] - 1) * s[j] + dk - in[j]);
      pb[j] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe[j] = total - pb[j];
    }
  }
  RefOut r;
  r.shape = {c.x[0], c.x[1]};
  for (int i = 0; i < nd; ++i) r.shape.push_back(out[3 - nd + i]);
  const int64_t isz = in[0] * in[1] * in[2];
  for (int64_t nc = 0; nc < c.x[0] * c.x[1]; ++nc)
    for (int64_t o0 = 0; o0 < out[0]; ++o0)
      for (int64_t o1 = 0; o1 < out[1]; ++o1)
        for (int64_t o2 = 0; o2 < out[2]; ++o2) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          int64_t bi = 0, cnt = 0, cnt_pad = 0;
          for (int64_t a = 0; a < k[0]; ++a)
            for (int64_t b = 0; b < k[1]; ++b)
              for (int64_t e = 0; e < k[2]; ++e) {
                const int64_t i0 = o0 * s[0] - pb[0] + a * d[0], i1 = o1 * s[1] - pb[1] + b * d[1],
                              i2 = o2 * s[2] - pb[2] + e * d[2];
                if (i0 < in[0] + pe[0] && i1 < in[1] + pe[1] && i2 < in[2] + pe[2]) ++cnt_pad;
                if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2]) continue;
                const double v = x[nc * isz + (i0 * in[1] + i1) * in[2] + i2];
                ++cnt;
                sum += v;
                if (v > best) best = v, bi = col_major ? (i2 * in[1] + i1) * in[0] + i0 : (i0 * in[1] + i1) * in[2] + i2;
              }
          r.y.push_back(is_max ? best : sum / (c.include_pad ? cnt_pad : cnt));
          r.idx.push_back(nc * isz + bi);
        }
  return r;
}

void check_pool(const PoolCase& c, bool is_max, int opset = 19, DType dt = DType::F32, bool col_major = false) {
  Shape xs(c.x.begin(), c.x.end());
  std::mt19937 rng(3);
  std::vector<float> x(xs.numel());
  for (auto& v : x) v = dt == DType::F32 ? static_cast<float>(rng() % 2000) / 100.0f - 10.0f
                                         : static_cast<float>(static_cast<int>(rng() % 200) - 100);
  if (dt == DType::U8)
    for (auto& v : x) v += 100;
  Tensor tx(dt, xs);
  for (int64_t i = 0; i < xs.numel(); ++i) {
    if (dt == DType::F32) tx.data<float>()[i] = x[i];
    else if (dt == DType::I8) tx.data<int8_t>()[i] = static_cast<int8_t>(x[i]);
    else tx.data<uint8_t>()[i] = static_cast<uint8_t>(x[i]);
  }
  auto ref = ref_pool(c, x, is_max, col_major);
  std::vector<A> attrs = {A::i64s("kernel_shape", c.k), A::str("auto_pad", c.auto_pad)};
  if (!c.strides.empty()) attrs.push_back(A::i64s("strides", c.strides));
  if (!c.dilations.empty()) attrs.push_back(A::i64s("dilations", c.dilations));
  if (!c.pads.empty()) attrs.push_back(A::i64s("pads", c.pads));
  if (c.ceil) attrs.push_back(A::i64("ceil_mode", 1));
  if (!is_max) attrs.push_back(A::i64("count_include_pad", c.include_pad));
  if (col_major) attrs.push_back(A::i64("storage_order", 1));
  auto out = test::run_node(is_max ? "MaxPool" : "AveragePool", {tx}, is_max ? 2 : 1, attrs, "", opset);
  ASSERT_GE(out.size(), 1u);
  ASSERT_EQ(out[0].shape(), Shape(ref.shape.begin(), ref.shape.end())) << xs.str();
  for (size_t i = 0; i < ref.y.size(); ++i) {
    const double got = dt == DType::F32 ? out[0].data<float>()[i]
                       : dt == DType::I8 ? out[0].data<int8_t>()[i] : out[0].data<uint8_t>()[i];
    ASSERT_NEAR(got, ref.y[i], 1e-5 * (1 + std::fabs(ref.y[i]))) << xs.str() << " @" << i;
  }
  if (is_max) {
    // Without the Indices output (another kernel path): the same values.
    auto only = test::run_node("MaxPool", {tx}, 1, attrs, "", opset);
    ASSERT_EQ(only[0].shape(), out[0].shape());
    ASSERT_EQ(std::memcmp(only[0].raw(), out[0].raw(), out[0].bytes()), 0) << xs.str();
    ASSERT_EQ(out.size(), 2u);
    ASSERT_EQ(out[1].dtype(), DType::I64);
    for (size_t i = 0; i < ref.idx.size(); ++i) ASSERT_EQ(out[1].data<int64_t>()[i], ref.idx[i]) << "@" << i;
  }
}

const std::vector<PoolCase> kCases = {
    {{1, 8, 28, 28}, {2, 2}, {2, 2}, {}, {}},
    {{2, 3, 7, 9}, {3, 3}, {2, 2}, {}, {1, 1, 1, 1}},
    {{1, 2, 7, 9}, {3, 2}, {2, 3}, {}, {0, 1, 1, 0}, true},
    {{1, 2, 8, 8}, {2, 2}, {3, 3}, {2, 2}, {}, true},
    {{3, 4, 17}, {3}, {2}, {}, {1, 1}},
    {{1, 2, 5, 6, 7}, {2, 3, 2}, {1, 2, 2}, {}, {1, 0, 1, 0, 1, 1}},
    {{1, 1, 1, 1}, {1, 1}, {}, {}, {}},
    {{1, 3, 5, 7}, {2, 2}, {2, 2}, {}, {}, true},  // ceil_mode: a last window past an odd input
};

TEST(MaxPool, Float) {
  for (const auto& c : kCases) check_pool(c, true);
  check_pool(kCases[1], true, 12, DType::F32, true);  // storage_order 1
}

TEST(MaxPool, AutoPadAndInts) {
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER", "VALID"}) check_pool({{1, 2, 7, 8}, {3, 3}, {2, 2}, {}, {}, false, false, ap}, true);
  check_pool(kCases[1], true, 12, DType::I8);
  check_pool(kCases[2], true, 12, DType::U8);
}

TEST(AveragePool, CountIncludePadCeilDilations) {
  for (bool inc : {false, true})
    for (auto c : kCases) {
      c.include_pad = inc;
      check_pool(c, false);
    }
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER", "VALID"})
    check_pool({{1, 2, 7, 8}, {3, 3}, {2, 2}, {}, {}, false, false, ap}, false);
}

TEST(GlobalPool, AverageAndMax) {
  for (std::vector<int64_t> dims : {std::vector<int64_t>{2, 3, 5}, {1, 32, 7, 7}, {2, 3, 2, 3, 4}, {1, 1, 1, 1}}) {
    Shape s(dims.begin(), dims.end());
    std::vector<float> x(s.numel());
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
    const int64_t nc = dims[0] * dims[1], sp = s.numel() / nc;
    for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
      auto out = test::run_node(op, {test::make_f32(s, x)}, 1);
      Shape want{dims[0], dims[1]};
      for (size_t i = 2; i < dims.size(); ++i) want.push_back(1);
      ASSERT_EQ(out[0].shape(), want);
      for (int64_t i = 0; i < nc; ++i) {
        double sum = 0, mx = -1e9;
        for (int64_t j = 0; j < sp; ++j) sum += x[i * sp + j], mx = std::max<double>(mx, x[i * sp + j]);
        const double r = std::string(op) == "GlobalMaxPool" ? mx : sum / sp;
        ASSERT_NEAR(out[0].data<float>()[i], r, 1e-5) << op << " " << s.str();
      }
    }
  }
}

TEST(Pool, Errors) {
  test::ModelBuilder mb;
  mb.input("x", DType::F32, {1, 1, 4, 4});
  mb.node("MaxPool", {"x"}, {"y"});  // no kernel_shape
  mb.output("y", DType::F32);
  EXPECT_FALSE(mb.try_load().ok());
  test::ModelBuilder m2;
  m2.input("x", DType::F32, {-1, 1, -1, -1});  // dynamic: the mismatch shows at run time
  m2.node("AveragePool", {"x"}, {"y"}, {A::i64s("kernel_shape", {3, 3})});
  m2.output("y", DType::F32);
  auto m = m2.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(test::try_run(m, {Tensor(DType::F32, {1, 1, 2, 2})}, &out).code(), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml
