// test_pad_resize.cc - Pad (every mode, attribute and input forms, axes, negative pads, dtypes,
// errors) and Resize / Upsample (nearest modes, linear, cubic, coordinate modes, sizes, axes,
// keep_aspect_ratio_policy) against references written here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

// numpy.pad reference on 2-D int64 data.
int64_t src_idx(const std::string& mode, int64_t j, int64_t n) {
  if (j >= 0 && j < n) return j;
  if (mode == "constant") return -1;
  if (mode == "edge") return j < 0 ? 0 : n - 1;
  if (mode == "wrap") return ((j % n) + n) % n;
  if (n == 1) return 0;
  int64_t per = 2 * (n - 1), r = ((j % per) + per) % per;
  return r >= n ? per - r : r;
}

std::vector<int64_t> pad_ref(const std::vector<int64_t>& x, int64_t H, int64_t W, const std::vector<int64_t>& pads,
                             const std::string& mode, int64_t cval, int64_t* oh, int64_t* ow) {
  *oh = H + pads[0] + pads[2], *ow = W + pads[1] + pads[3];
  std::vector<int64_t> y;
  for (int64_t i = 0; i < *oh; ++i)
    for (int64_t j = 0; j < *ow; ++j) {
      int64_t si = src_idx(mode, i - pads[0], H), sj = src_idx(mode, j - pads[1], W);
      y.push_back(si < 0 || sj < 0 ? cval : x[si * W + sj]);
    }
  return y;
}

TEST(Pad, EveryModeAndPads) {
  const int64_t H = 3, W = 4;
  std::vector<int64_t> x(H * W);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>(i) + 1;
  std::vector<std::vector<int64_t>> padsets = {{0, 0, 0, 0}, {1, 2, 1, 2}, {0, 3, 2, 0}, {-1, 1, 0, -2}, {2, 2, 2, 2}};
  for (std::string mode : {"constant", "reflect", "edge", "wrap"})
    for (const auto& pads : padsets) {
      int64_t oh, ow;
      auto want = pad_ref(x, H, W, pads, mode, mode == "constant" ? 9 : 0, &oh, &ow);
      std::vector<Tensor> in = {make_i64({H, W}, x), make_i64({4}, pads)};
      if (mode == "constant") in.push_back(make_i64({}, {9}));
      auto out = run_node("Pad", in, 1, {A::str("mode", mode)}, "", 19);
      ASSERT_EQ(out.size(), 1u) << mode;
      ASSERT_EQ(out[0].shape(), (Shape{oh, ow})) << mode;
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(out[0].data<int64_t>()[i], want[i]) << mode << " " << i;
    }
}

TEST(Pad, AttributeFormBeforeOpset11) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  auto out = run_node("Pad", {make_f32({2, 3}, x)}, 1, {A::i64s("pads", {0, 1, 1, 0}), A::f32("value", 1.5f)}, "", 7);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{3, 4}));
  std::vector<float> want = {1.5f, 1, 2, 3, 1.5f, 4, 5, 6, 1.5f, 1.5f, 1.5f, 1.5f};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(out[0].data<float>()[i], want[i]);
  auto r = run_node("Pad", {make_f32({2, 3}, x)}, 1, {A::i64s("pads", {0, 2, 0, 0}), A::str("mode", "reflect")}, "", 10);
  ASSERT_EQ(r.size(), 1u);
  std::vector<float> wr = {3, 2, 1, 2, 3, 6, 5, 4, 5, 6};
  for (size_t i = 0; i < wr.size(); ++i) EXPECT_FLOAT_EQ(r[0].data<float>()[i], wr[i]);
}

TEST(Pad, AxesInputAndNegativeAxes) {
  std::vector<float> x(2 * 3 * 4, 1.0f);
  auto out = run_node("Pad", {make_f32({2, 3, 4}, x), make_i64({2}, {1, 2}), make_f32({}, {0.0f}), make_i64({1}, {-1})},
                      1, {}, "", 18);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 3, 7}));
  EXPECT_FLOAT_EQ(out[0].data<float>()[0], 0.0f);
  EXPECT_FLOAT_EQ(out[0].data<float>()[1], 1.0f);
  EXPECT_FLOAT_EQ(out[0].data<float>()[5], 0.0f);
}

TEST(Pad, Errors) {
  ModelBuilder b;
  b.opset("", 19).input("x", DType::F32, {-1, 3}).input("p", DType::I64, {-1}).output("y", DType::F32);
  b.node("Pad", {"x", "p"}, {"y"}, {A::str("mode", "edge")});
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  // wrong number of pads, cropping below zero, edge-padding an empty dim
  EXPECT_EQ(try_run(m, {make_f32({1, 3}, {1, 2, 3}), make_i64({3}, {1, 1, 1})}, &out).code(), StatusCode::InvalidInput);
  EXPECT_EQ(try_run(m, {make_f32({1, 3}, {1, 2, 3}), make_i64({4}, {0, -2, 0, -2})}, &out).code(), StatusCode::InvalidInput);
  EXPECT_EQ(try_run(m, {make_f32({0, 3}, {}), make_i64({4}, {1, 0, 0, 0})}, &out).code(), StatusCode::InvalidInput);
  ModelBuilder bad;
  bad.opset("", 13).input("x", DType::F32, {2}).input("p", DType::I64, {2}).output("y", DType::F32);
  bad.node("Pad", {"x", "p"}, {"y"}, {A::str("mode", "wrap")});  // wrap exists from opset 19
  EXPECT_EQ(bad.try_load().status().code(), StatusCode::InvalidModel);
}

Tensor resize_run(const Tensor& x, const std::vector<A>& attrs, const std::vector<float>* scales,
                  const std::vector<int64_t>* sizes, int64_t opset, const std::vector<float>* roi = nullptr) {
  ModelBuilder b;
  b.opset("", opset);
  std::vector<int64_t> dims(x.shape().begin(), x.shape().end());
  b.input("x", x.dtype(), dims);
  std::vector<Tensor> ins = {x};
  std::vector<std::string> names = {"x", roi ? "roi" : "", scales ? "scales" : "", sizes ? "sizes" : ""};
  if (roi) b.input("roi", DType::F32, {static_cast<int64_t>(roi->size())}), ins.push_back(make_f32({static_cast<int64_t>(roi->size())}, *roi));
  if (scales)
    b.input("scales", DType::F32, {static_cast<int64_t>(scales->size())}),
        ins.push_back(make_f32({static_cast<int64_t>(scales->size())}, *scales));
  if (sizes)
    b.input("sizes", DType::I64, {static_cast<int64_t>(sizes->size())}),
        ins.push_back(make_i64({static_cast<int64_t>(sizes->size())}, *sizes));
  while (!names.empty() && names.back().empty()) names.pop_back();
  b.output("y", x.dtype());
  b.node("Resize", names, {"y"}, attrs);
  auto m = b.load();
  if (!m) return {};
  auto out = run(m, ins);
  return out.empty() ? Tensor() : out[0];
}

TEST(Resize, NearestModesUpsample) {
  std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> sc = {1, 1, 2, 3};
  auto y = resize_run(make_f32({1, 1, 2, 2}, x), {A::str("mode", "nearest")}, &sc, nullptr, 19);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 6}));
  std::vector<float> want = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(y.data<float>()[i], want[i]) << i;
  // asymmetric + floor: index floor(o / 3)
  std::vector<float> x1 = {10, 20, 30};
  std::vector<int64_t> sz = {7};
  auto f = resize_run(make_f32({3}, x1),
                      {A::str("mode", "nearest"), A::str("coordinate_transformation_mode", "asymmetric"),
                       A::str("nearest_mode", "floor")},
                      nullptr, &sz, 13);
  ASSERT_EQ(f.shape(), (Shape{7}));
  for (int o = 0; o < 7; ++o) EXPECT_FLOAT_EQ(f.data<float>()[o], x1[std::min(2, static_cast<int>(std::floor(o * 3.0 / 7)))]);
  auto c = resize_run(make_f32({3}, x1),
                      {A::str("mode", "nearest"), A::str("coordinate_transformation_mode", "asymmetric"),
                       A::str("nearest_mode", "ceil")},
                      nullptr, &sz, 13);
  for (int o = 0; o < 7; ++o) EXPECT_FLOAT_EQ(c.data<float>()[o], x1[std::min(2, static_cast<int>(std::ceil(o * 3.0 / 7)))]);
}

TEST(Resize, LinearHalfPixelAndAlignCorners) {
  std::vector<float> x = {0, 10, 20, 30};
  std::vector<float> sc = {2};
  auto y = resize_run(make_f32({4}, x), {A::str("mode", "linear")}, &sc, nullptr, 13);
  ASSERT_EQ(y.shape(), (Shape{8}));
  for (int o = 0; o < 8; ++o) {
    double xo = std::min(3.0, std::max(0.0, (o + 0.5) / 2 - 0.5));
    EXPECT_NEAR(y.data<float>()[o], xo * 10, 1e-4) << o;
  }
  std::vector<int64_t> sz = {7};
  auto a = resize_run(make_f32({4}, x), {A::str("mode", "linear"), A::str("coordinate_transformation_mode", "align_corners")},
                      nullptr, &sz, 11);
  ASSERT_EQ(a.shape(), (Shape{7}));
  for (int o = 0; o < 7; ++o) EXPECT_NEAR(a.data<float>()[o], o * 3.0 / 6 * 10, 1e-4);
}

TEST(Resize, CubicReproducesLinearRamp) {
  // cubic convolution with a = -0.5 (Keys) reproduces linear functions inside the image
  std::vector<float> x(8);
  for (int i = 0; i < 8; ++i) x[i] = static_cast<float>(3 * i + 1);
  std::vector<float> sc = {1.5f};
  auto y = resize_run(make_f32({8}, x), {A::str("mode", "cubic"), A::str("coordinate_transformation_mode", "asymmetric"),
                       A::f32("cubic_coeff_a", -0.5f)},
                      &sc, nullptr, 19);
  ASSERT_EQ(y.shape(), (Shape{12}));
  for (int o = 2; o < 9; ++o) EXPECT_NEAR(y.data<float>()[o], 3 * (o / 1.5) + 1, 1e-3) << o;
}

TEST(Resize, AxesAndKeepAspectRatio) {
  std::vector<float> x(2 * 4 * 6, 1.0f);
  std::vector<int64_t> sz = {2, 2};
  auto y = resize_run(make_f32({2, 4, 6}, x),
                      {A::str("mode", "nearest"), A::i64s("axes", {1, 2}), A::str("keep_aspect_ratio_policy", "not_larger")},
                      nullptr, &sz, 18);
  EXPECT_EQ(y.shape(), (Shape{2, 1, 2}));  // scale min(2/4, 2/6) = 1/3
  auto z = resize_run(make_f32({2, 4, 6}, x),
                      {A::str("mode", "nearest"), A::i64s("axes", {1, 2}), A::str("keep_aspect_ratio_policy", "not_smaller")},
                      nullptr, &sz, 18);
  EXPECT_EQ(z.shape(), (Shape{2, 2, 3}));  // scale 1/2
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> roi = {-0.5f, 1.5f};
  std::vector<int64_t> sz = {5};
  auto y = resize_run(make_f32({4}, x),
                      {A::str("mode", "linear"), A::str("coordinate_transformation_mode", "tf_crop_and_resize"),
                       A::f32("extrapolation_value", -7.0f)},
                      nullptr, &sz, 13, &roi);
  ASSERT_EQ(y.shape(), (Shape{5}));
  // x_ori = o * 2 * 3 / 4 - 1.5 = -1.5, 0, 1.5, 3, 4.5
  EXPECT_FLOAT_EQ(y.data<float>()[0], -7.0f);
  EXPECT_NEAR(y.data<float>()[1], 1.0f, 1e-5);
  EXPECT_NEAR(y.data<float>()[2], 2.5f, 1e-5);
  EXPECT_NEAR(y.data<float>()[3], 4.0f, 1e-5);
  EXPECT_FLOAT_EQ(y.data<float>()[4], -7.0f);
}

TEST(Upsample, NearestAndLinearOldOpsets) {
  std::vector<float> x = {1, 2, 3, 4};
  auto o7 = run_node("Upsample", {make_f32({1, 1, 2, 2}, x)}, 1, {A::f32s("scales", {1, 1, 2, 2})}, "", 7);
  ASSERT_EQ(o7.size(), 1u);
  EXPECT_EQ(o7[0].shape(), (Shape{1, 1, 4, 4}));
  EXPECT_FLOAT_EQ(o7[0].data<float>()[5], 1.0f);
  EXPECT_FLOAT_EQ(o7[0].data<float>()[15], 4.0f);
  auto o9 = run_node("Upsample", {make_f32({1, 1, 2, 2}, x), make_f32({4}, {1, 1, 1, 2})}, 1, {A::str("mode", "linear")}, "", 9);
  ASSERT_EQ(o9.size(), 1u);
  EXPECT_EQ(o9[0].shape(), (Shape{1, 1, 2, 4}));
  std::vector<float> want = {1, 1.5f, 2, 2, 3, 3.5f, 4, 4};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(o9[0].data<float>()[i], want[i], 1e-6);
}

TEST(Resize, LargeOutputSplitAcrossThreads) {
  const int64_t C = 3, H = 70, W = 90;
  std::vector<float> x(C * H * W);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 977);
  ModelBuilder b;
  b.opset("", 13).input("x", DType::F32, {1, C, H, W}).input("s", DType::F32, {4}).output("y", DType::F32);
  b.node("Resize", {"x", "", "s"}, {"y"}, {A::str("mode", "nearest"), A::str("coordinate_transformation_mode", "asymmetric"),
                                          A::str("nearest_mode", "floor")});
  auto m = b.load(ModelOptions{.threads = 2, .optimize = true});
  ASSERT_TRUE(m);
  auto out = run(m, {make_f32({1, C, H, W}, x), make_f32({4}, {1, 1, 2, 2})});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].shape(), (Shape{1, C, 2 * H, 2 * W}));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < 2 * H; ++i)
      for (int64_t j = 0; j < 2 * W; ++j)
        ASSERT_EQ(out[0].data<float>()[(c * 2 * H + i) * 2 * W + j], x[(c * H + i / 2) * W + j / 2]) << c << " " << i << " " << j;
}

TEST(Resize, NeitherScalesNorSizesIsInvalidInput) {
  ModelBuilder b;
  b.opset("", 13).input("x", DType::F32, {-1}).output("y", DType::F32);
  b.node("Resize", {"x"}, {"y"});
  auto m = b.load();
  if (!m) return;  // refusing it at load is fine too
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {make_f32({2}, {1, 2})}, &out).code(), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml::test
