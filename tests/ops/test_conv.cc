// test_conv.cc - Conv, ConvTranspose and QLinearConv against naive references written here:
// 1-D/2-D/3-D, groups and depthwise, strides, dilations, pads, every auto_pad, bias or not,
// constant (packed) or input weights, batch 1 and 3, float16/double, error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "ops/common.hpp"
#include "ops/kernels/conv.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml {
namespace {

using test::A;

std::vector<float> rnd(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct ConvCase {
  std::vector<int64_t> x;  // N, C, spatial...
  int64_t M;
  std::vector<int64_t> k;
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, pads;
  std::string auto_pad = "NOTSET";
  bool bias = true;
  bool w_const = true;
};

// Naive forward conv with explicit per-axis pads (begin, end) in double.
std::vector<double> ref_conv(const ConvCase& c, const std::vector<float>& x, const std::vector<float>& w,
                             const std::vector<float>& b, const std::vector<int64_t>& pb, const std::vector<int64_t>& pe,
                             std::vector<int64_t>* out_shape) {
  const int nd = static_cast<int>(c.k.size());
  const int64_t N = c.x[0], C = c.x[1], M = c.M, cg = C / c.group, mg = M / c.group;
  std::vector<int64_t> in(3, 1), k(3, 1), s(3, 1), d(3, 1), p(3, 0), out(3, 1);
  for (int i = 0; i < nd; ++i) {
    const int j = 3 - nd + i;
    in[j] = c.x[2 + i], k[j] = c.k[i];
    s[j] = c.strides.empty() ? 1 : c.strides[i];
    d[j] = c.dilations.empty() ? 1 : c.dilations[i];
    p[j] = pb[i];
    out[j] = (in[j] + pb[i] + pe[i] - ((k[j] - 1) * d[j] + 1)) / s[j] + 1;
  }
  *out_shape = {N, M};
  for (int i = 0; i < nd; ++i) out_shape->push_back(out[3 - nd + i]);
  std::vector<double> y(N * M * out[0] * out[1] * out[2]);
  int64_t yi = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t o0 = 0; o0 < out[0]; ++o0)
        for (int64_t o1 = 0; o1 < out[1]; ++o1)
          for (int64_t o2 = 0; o2 < out[2]; ++o2) {
            double acc = c.bias ? b[m] : 0.0;
            for (int64_t ci = 0; ci < cg; ++ci)
              for (int64_t a = 0; a < k[0]; ++a)
                for (int64_t bb = 0; bb < k[1]; ++bb)
                  for (int64_t e = 0; e < k[2]; ++e) {
                    const int64_t i0 = o0 * s[0] - p[0] + a * d[0], i1 = o1 * s[1] - p[1] + bb * d[1],
                                  i2 = o2 * s[2] - p[2] + e * d[2];
                    if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 || i2 >= in[2]) continue;
                    const int64_t cin = (m / mg) * cg + ci;
                    acc += static_cast<double>(x[(((n * C + cin) * in[0] + i0) * in[1] + i1) * in[2] + i2]) *
                           w[(((m * cg + ci) * k[0] + a) * k[1] + bb) * k[2] + e];
                  }
            y[yi++] = acc;
          }
  return y;
}

// The pads auto_pad implies (SAME: output = ceil(in / stride)).
void auto_pads(const ConvCase& c, std::vector<int64_t>* pb, std::vector<int64_t>* pe) {
  const int nd = static_cast<int>(c.k.size());
  pb->assign(nd, 0), pe->assign(nd, 0);
  for (int i = 0; i < nd; ++i) {
    if (c.auto_pad == "NOTSET") {
      if (!c.pads.empty()) (*pb)[i] = c.pads[i], (*pe)[i] = c.pads[nd + i];
    } else if (c.auto_pad != "VALID") {
      const int64_t in = c.x[2 + i], s = c.strides.empty() ? 1 : c.strides[i];
      const int64_t d = c.dilations.empty() ? 1 : c.dilations[i];
      const int64_t out = (in + s - 1) / s, total = std::max<int64_t>(0, (out - 1) * s + (c.k[i] - 1) * d + 1 - in);
      if (c.auto_pad == "SAME_UPPER") (*pb)[i] = total / 2, (*pe)[i] = total - total / 2;
      else (*pe)[i] = total / 2, (*pb)[i] = total - total / 2;
    }
  }
}

void check_conv(const ConvCase& c, const std::string& op = "Conv", DType dt = DType::F32) {
  const int64_t C = c.x[1], cg = C / c.group;
  std::vector<int64_t> ws = {c.M, cg};
  for (int64_t v : c.k) ws.push_back(v);
  Shape xs(c.x.begin(), c.x.end()), wsh(ws.begin(), ws.end());
  auto x = rnd(xs.numel(), 1), w = rnd(wsh.numel(), 2), b = rnd(c.M, 3);
  auto cast = [&](Shape s, std::vector<float>& v) {
    Tensor t(dt, s);
    for (size_t i = 0; i < v.size(); ++i) {
      if (dt == DType::F16) v[i] = half_to_float(float_to_half(v[i])), t.data<uint16_t>()[i] = float_to_half(v[i]);
      else if (dt == DType::F64) t.data<double>()[i] = v[i];
      else t.data<float>()[i] = v[i];
    }
    return t;
  };
  Tensor tx = cast(xs, x), tw = cast(wsh, w), tb = cast(Shape{c.M}, b);
  std::vector<int64_t> pb, pe, os;
  auto_pads(c, &pb, &pe);
  auto ref = ref_conv(c, x, w, b, pb, pe, &os);
  test::ModelBuilder mb;
  mb.input("x", dt, c.x);
  std::vector<Tensor> feeds = {tx};
  if (c.w_const) mb.initializer("w", tw);
  else mb.input("w", dt, ws), feeds.push_back(tw);
  std::vector<std::string> ins = {"x", "w"};
  if (c.bias) mb.initializer("b", tb), ins.push_back("b");
  std::vector<A> attrs = {A::i64("group", c.group), A::str("auto_pad", c.auto_pad)};
  if (!c.strides.empty()) attrs.push_back(A::i64s("strides", c.strides));
  if (!c.dilations.empty()) attrs.push_back(A::i64s("dilations", c.dilations));
  if (!c.pads.empty()) attrs.push_back(A::i64s("pads", c.pads));
  if (op == "Conv") attrs.push_back(A::i64s("kernel_shape", c.k));
  mb.node(op, ins, {"y"}, attrs);
  mb.output("y", dt);
  auto m = mb.load();
  ASSERT_TRUE(m);
  auto out = test::run(m, feeds);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].shape(), Shape(os.begin(), os.end()));
  const double tol = dt == DType::F16 ? 2e-2 : 1e-4;
  for (size_t i = 0; i < ref.size(); ++i) {
    double got = dt == DType::F16 ? half_to_float(out[0].data<uint16_t>()[i])
                 : dt == DType::F64 ? out[0].data<double>()[i] : out[0].data<float>()[i];
    ASSERT_NEAR(got, ref[i], tol * (1 + std::fabs(ref[i]))) << "x" << xs.str() << " k" << wsh.str() << " @" << i;
  }
}

// The shifted path's copies (pad_input, compact_wide) on every variant the host runs, against
// plain loops: row widths around the vector widths (1, 7, 16, 17, 28, 33), 2-D and 3-D.
TEST(ConvCopies, EveryIsaMatchesPlainLoops) {
  for (conv::CopyIsa isa : {conv::CopyIsa::Portable, conv::CopyIsa::Avx512}) {
    if (!conv::copy_isa_available(isa)) {
      std::printf("conv copies: variant %d not available on this host (no AVX-512 or RTML_ISA), skipped\n", int(isa));
      continue;
    }
    for (int64_t w : {1, 7, 16, 17, 28, 33})
      for (int nd : {2, 3}) {
        conv::Geom g;
        g.nd = nd;
        const int64_t in[3] = {nd == 3 ? 2 : 1, 5, w};
        for (int i = 0; i < 3; ++i) {
          g.in[i] = in[i];
          if (i >= 3 - nd) g.pb[i] = 1, g.pe[i] = i == 2 ? 2 : 1, g.k[i] = 3;
          g.out[i] = g.in[i] + g.pb[i] + g.pe[i] - g.k[i] + 1;
        }
        const int64_t C = 3;
        const auto x = rnd(C * g.in_size(), 7);
        std::vector<float> xp(conv::padded_floats(g, C), -1.0f), ref(xp.size(), 0.0f);
        const int64_t Dp = conv::padded_dim(g, 0), Hp = conv::padded_dim(g, 1), Wp = conv::padded_dim(g, 2);
        for (int64_t c = 0; c < C; ++c)
          for (int64_t d = 0; d < g.in[0]; ++d)
            for (int64_t h = 0; h < g.in[1]; ++h)
              for (int64_t v = 0; v < g.in[2]; ++v)
                ref[((c * Dp + d + g.pb[0]) * Hp + h + g.pb[1]) * Wp + v + g.pb[2]] =
                    x[((c * g.in[0] + d) * g.in[1] + h) * g.in[2] + v];
        conv::pad_input_isa(isa, x.data(), C, g, xp.data());
        ASSERT_EQ(xp, ref) << "pad_input isa=" << int(isa) << " w=" << w << " nd=" << nd;
        // The rows only, over an earlier padded image: the same result.
        const auto x2 = rnd(C * g.in_size(), 9);
        conv::pad_input_isa(isa, x2.data(), C, g, xp.data());
        conv::pad_input_isa(isa, x.data(), C, g, xp.data(), false);
        ASSERT_EQ(xp, ref) << "pad_input rows isa=" << int(isa) << " w=" << w << " nd=" << nd;

        const int64_t M = 3, nw = conv::wide_cols(g);
        const auto wide = rnd(M * nw, 8);
        std::vector<float> y(M * g.out_size() + 5, -2.0f), yref(y.size(), -2.0f);
        for (int64_t m = 0; m < M; ++m)
          for (int64_t od = 0; od < g.out[0]; ++od)
            for (int64_t oh = 0; oh < g.out[1]; ++oh)
              for (int64_t ow = 0; ow < g.out[2]; ++ow)
                yref[((m * g.out[0] + od) * g.out[1] + oh) * g.out[2] + ow] = wide[m * nw + (od * Hp + oh) * Wp + ow];
        conv::compact_wide_isa(isa, wide.data(), M, g, y.data());
        ASSERT_EQ(y, yref) << "compact_wide isa=" << int(isa) << " w=" << w << " nd=" << nd;
      }
  }
}

// The implicit shifted GEMM (shifted_conv) on every variant the host runs, against the plain
// direct convolution: channel counts around the 8-row panels (1, 5, 8, 13, 16, 33), row widths
// around the vector and tile widths, 2-D and 3-D, dilations, with bias and ReLU.
TEST(ConvShifted, EveryIsaMatchesDirect) {
  for (gemm::Isa isa : {gemm::Isa::Portable, gemm::Isa::Avx2, gemm::Isa::Avx512}) {
    if (!gemm::isa_available(isa)) {
      std::printf("shifted conv: variant %d not available on this host (or RTML_ISA), skipped\n", int(isa));
      continue;
    }
    for (int64_t w : {1, 7, 16, 17, 28, 50})
      for (int nd : {2, 3})
        for (int64_t C : {1, 3})
          for (int64_t M : {1, 5, 8, 13, 16, 33})
            for (int64_t dil : {1, 2}) {
              if (nd == 3 && (M % 8 != 5 || dil == 2)) continue;  // keep the 3-D cases few
              conv::Geom g;
              g.nd = nd;
              const int64_t in[3] = {nd == 3 ? 3 : 1, 5, w};
              for (int i = 0; i < 3; ++i) {
                g.in[i] = in[i];
                if (i >= 3 - nd) g.pb[i] = 1, g.pe[i] = i == 2 ? 2 : 1, g.k[i] = i == 1 ? 2 : 3, g.d[i] = dil;
                g.out[i] = g.in[i] + g.pb[i] + g.pe[i] - (g.k[i] - 1) * g.d[i];
              }
              if (g.out[0] < 1 || g.out[1] < 1 || g.out[2] < 1) continue;
              const int64_t K = C * g.k_size();
              const auto x = rnd(C * g.in_size(), 11), wt = rnd(M * K, 12), bias = rnd(M, 13);
              gemm::Epilogue ep;
              ep.bias = bias.data(), ep.bias_per_row = true, ep.act = gemm::Act::Relu;
              std::vector<float> yref(M * g.out_size());
              conv::direct(x.data(), C, wt.data(), M, 1, bias.data(), g, ep, yref.data());
              std::vector<float> packed(conv::shifted_packed_floats(M, K));
              conv::pack_shifted_weights(wt.data(), M, K, packed.data());
              std::vector<float> xp(conv::padded_floats(g, C)), y(yref.size() + 1, -7.0f);
              conv::pad_input(x.data(), C, g, xp.data());
              conv::shifted_conv_isa(isa, xp.data(), C, g, packed.data(), M, ep, y.data());
              ASSERT_EQ(y.back(), -7.0f) << "stored past the output";
              for (size_t i = 0; i < yref.size(); ++i)
                ASSERT_NEAR(y[i], yref[i], 1e-4 * (1 + std::fabs(yref[i])))
                    << "isa=" << int(isa) << " w=" << w << " nd=" << nd << " C=" << C << " M=" << M << " d=" << dil
                    << " @" << i;
            }
  }
}

TEST(Conv, TwoD) {
  for (bool wc : {true, false})
    for (bool bias : {true, false}) {
      check_conv({{1, 1, 28, 28}, 8, {3, 3}, 1, {}, {}, {1, 1, 1, 1}, "NOTSET", bias, wc});
      check_conv({{3, 8, 14, 14}, 16, {3, 3}, 1, {}, {}, {1, 1, 1, 1}, "NOTSET", bias, wc});
      check_conv({{2, 3, 7, 17}, 5, {2, 3}, 1, {2, 1}, {1, 2}, {0, 1, 2, 0}, "NOTSET", bias, wc});
      check_conv({{1, 17, 5, 5}, 65, {1, 1}, 1, {}, {}, {}, "NOTSET", bias, wc});  // pointwise
      check_conv({{1, 4, 9, 9}, 6, {1, 1}, 2, {2, 2}, {}, {}, "NOTSET", bias, wc});
    }
}

TEST(Conv, GroupsAndDepthwise) {
  check_conv({{2, 6, 9, 11}, 6, {3, 3}, 6, {}, {}, {1, 1, 1, 1}});    // depthwise
  check_conv({{1, 6, 9, 11}, 12, {3, 3}, 6, {2, 1}, {}, {1, 1, 1, 1}});  // multiplier 2
  check_conv({{1, 8, 7, 7}, 4, {3, 3}, 2, {}, {2, 2}, {2, 2, 2, 2}});
  check_conv({{1, 8, 7, 7}, 4, {3, 3}, 2, {}, {2, 2}, {2, 2, 2, 2}, "NOTSET", true, false});
}

TEST(Conv, OneDThreeD) {
  check_conv({{3, 4, 17}, 5, {3}, 1, {2}, {1}, {1, 1}});
  check_conv({{1, 1, 1}, 1, {1}, 1, {}, {}, {}});
  check_conv({{1, 2, 5, 6, 7}, 3, {3, 2, 3}, 1, {1, 2, 1}, {}, {1, 0, 1, 1, 1, 0}});
  check_conv({{2, 4, 4, 5, 3}, 4, {2, 2, 2}, 4, {}, {}, {}});
  // Stride 1 with pads: the shifted-grid GEMM in 1-D and 3-D (dilated too).
  check_conv({{2, 3, 20}, 5, {3}, 1, {}, {}, {1, 1}});
  check_conv({{1, 2, 8, 9, 10}, 3, {3, 3, 3}, 1, {}, {}, {1, 1, 1, 1, 1, 1}});
  check_conv({{1, 2, 30}, 3, {3}, 1, {}, {2}, {2, 2}});
}

TEST(Conv, AutoPad) {
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    check_conv({{1, 3, 7, 8}, 4, {3, 2}, 1, {2, 2}, {}, {}, ap});
    check_conv({{1, 3, 7, 8}, 4, {4, 4}, 1, {1, 1}, {}, {}, ap});
    check_conv({{1, 2, 9}, 2, {3}, 1, {2}, {2}, {}, ap});
  }
}

TEST(Conv, HalfAndDouble) {
  check_conv({{1, 3, 7, 8}, 4, {3, 3}, 1, {}, {}, {1, 1, 1, 1}}, "Conv", DType::F16);
  check_conv({{2, 3, 7, 8}, 4, {3, 3}, 1, {}, {}, {1, 1, 1, 1}}, "Conv", DType::F64);
}

TEST(Conv, Errors) {
  test::ModelBuilder mb;
  mb.input("x", DType::F32, {-1, 3, 5, 5});  // dynamic: the mismatch shows at run time
  mb.input("w", DType::F32, {-1, -1, 3, 3});  // C/group = 3 expected
  mb.node("Conv", {"x", "w"}, {"y"});
  mb.output("y", DType::F32);
  auto m = mb.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  Status s = test::try_run(m, {Tensor(DType::F32, {1, 3, 5, 5}), Tensor(DType::F32, {4, 2, 3, 3})}, &out);
  EXPECT_EQ(s.code(), StatusCode::InvalidInput);
  // A window larger than the input.
  test::ModelBuilder m2;
  m2.input("x", DType::F32, {-1, 1, -1, -1});
  m2.input("w", DType::F32, {1, 1, 3, 3});
  m2.node("Conv", {"x", "w"}, {"y"});
  m2.output("y", DType::F32);
  auto mm = m2.load();
  ASSERT_TRUE(mm);
  s = test::try_run(mm, {Tensor(DType::F32, {1, 1, 2, 2}), Tensor(DType::F32, {1, 1, 3, 3})}, &out);
  EXPECT_EQ(s.code(), StatusCode::InvalidInput);
}

// ---- ConvTranspose ------------------------------------------------------------------------------

struct TCase {
  std::vector<int64_t> x;  // N, C, spatial
  int64_t Mg;
  std::vector<int64_t> k;
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, pads, output_padding, output_shape;
  std::string auto_pad = "NOTSET";
  bool bias = true;
  bool w_const = true;
};

void check_convt(const TCase& c) {
  const int nd = static_cast<int>(c.k.size());
  const int64_t N = c.x[0], C = c.x[1], cg = C / c.group, M = c.Mg * c.group;
  std::vector<int64_t> ws = {C, c.Mg};
  for (int64_t v : c.k) ws.push_back(v);
  Shape xs(c.x.begin(), c.x.end()), wsh(ws.begin(), ws.end());
  auto x = rnd(xs.numel(), 4), w = rnd(wsh.numel(), 5), b = rnd(M, 6);
  // Output geometry per the ONNX spec.
  std::vector<int64_t> in(3, 1), k(3, 1), s(3, 1), d(3, 1), pb(3, 0), out(3, 1);
  for (int i = 0; i < nd; ++i) {
    const int j = 3 - nd + i;
    in[j] = c.x[2 + i], k[j] = c.k[i];
    s[j] = c.strides.empty() ? 1 : c.strides[i];
    d[j] = c.dilations.empty() ? 1 : c.dilations[i];
    const int64_t op = c.output_padding.empty() ? 0 : c.output_padding[i];
    const int64_t full = s[j] * (in[j] - 1) + op + (k[j] - 1) * d[j] + 1;
    if (!c.output_shape.empty() || c.auto_pad != "NOTSET") {
      out[j] = c.output_shape.empty() ? in[j] * s[j] : c.output_shape[i];
      const int64_t total = std::max<int64_t>(0, full - out[j]);
      pb[j] = c.auto_pad == "SAME_LOWER" ? total - total / 2 : total / 2;
    } else {
      pb[j] = c.pads.empty() ? 0 : c.pads[i];
      out[j] = full - pb[j] - (c.pads.empty() ? 0 : c.pads[nd + i]);
    }
  }
  std::vector<double> y(N * M * out[0] * out[1] * out[2], 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t mi = 0; mi < c.Mg; ++mi) {
        const int64_t m = (ci / cg) * c.Mg + mi;
        for (int64_t i0 = 0; i0 < in[0]; ++i0)
          for (int64_t i1 = 0; i1 < in[1]; ++i1)
            for (int64_t i2 = 0; i2 < in[2]; ++i2)
              for (int64_t a = 0; a < k[0]; ++a)
                for (int64_t bb = 0; bb < k[1]; ++bb)
                  for (int64_t e = 0; e < k[2]; ++e) {
                    const int64_t o0 = i0 * s[0] - pb[0] + a * d[0], o1 = i1 * s[1] - pb[1] + bb * d[1],
                                  o2 = i2 * s[2] - pb[2] + e * d[2];
                    if (o0 < 0 || o0 >= out[0] || o1 < 0 || o1 >= out[1] || o2 < 0 || o2 >= out[2]) continue;
                    y[(((n * M + m) * out[0] + o0) * out[1] + o1) * out[2] + o2] +=
                        static_cast<double>(x[(((n * C + ci) * in[0] + i0) * in[1] + i1) * in[2] + i2]) *
                        w[(((ci * c.Mg + mi) * k[0] + a) * k[1] + bb) * k[2] + e];
                  }
      }
  if (c.bias)
    for (int64_t i = 0; i < static_cast<int64_t>(y.size()); ++i) y[i] += b[(i / (out[0] * out[1] * out[2])) % M];
  test::ModelBuilder mb;
  mb.input("x", DType::F32, c.x);
  std::vector<Tensor> feeds = {test::make_f32(xs, x)};
  if (c.w_const) mb.initializer("w", test::make_f32(wsh, w));
  else mb.input("w", DType::F32, ws), feeds.push_back(test::make_f32(wsh, w));
  std::vector<std::string> ins = {"x", "w"};
  if (c.bias) mb.initializer("b", test::make_f32({M}, b)), ins.push_back("b");
  std::vector<A> attrs = {A::i64("group", c.group), A::str("auto_pad", c.auto_pad)};
  if (!c.strides.empty()) attrs.push_back(A::i64s("strides", c.strides));
  if (!c.dilations.empty()) attrs.push_back(A::i64s("dilations", c.dilations));
  if (!c.pads.empty()) attrs.push_back(A::i64s("pads", c.pads));
  if (!c.output_padding.empty()) attrs.push_back(A::i64s("output_padding", c.output_padding));
  if (!c.output_shape.empty()) attrs.push_back(A::i64s("output_shape", c.output_shape));
  mb.node("ConvTranspose", ins, {"y"}, attrs);
  mb.output("y", DType::F32);
  auto m = mb.load();
  ASSERT_TRUE(m);
  auto res = test::run(m, feeds);
  ASSERT_EQ(res.size(), 1u);
  std::vector<int64_t> os = {N, M};
  for (int i = 0; i < nd; ++i) os.push_back(out[3 - nd + i]);
  ASSERT_EQ(res[0].shape(), Shape(os.begin(), os.end()));
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(res[0].data<float>()[i], y[i], 1e-4 * (1 + std::fabs(y[i]))) << "@" << i;
}

TEST(ConvTranspose, Shapes) {
  for (bool wc : {true, false}) {
    check_convt({{1, 1, 3, 3}, 2, {3, 3}, 1, {}, {}, {}, {}, {}, "NOTSET", true, wc});
    check_convt({{2, 4, 5, 4}, 3, {3, 2}, 2, {2, 3}, {1, 2}, {1, 0, 2, 1}, {1, 1}, {}, "NOTSET", true, wc});
    check_convt({{1, 3, 7}, 2, {3}, 1, {2}, {}, {}, {}, {16}, "NOTSET", false, wc});
    check_convt({{1, 2, 3, 4}, 2, {3, 3}, 1, {2, 2}, {}, {}, {}, {}, "SAME_UPPER", true, wc});
    check_convt({{1, 2, 3, 4}, 2, {3, 3}, 1, {2, 2}, {}, {}, {}, {}, "SAME_LOWER", true, wc});
    check_convt({{1, 2, 2, 3, 2}, 2, {2, 2, 2}, 2, {1, 2, 1}, {}, {}, {}, {}, "NOTSET", true, wc});
  }
}

// ---- QLinearConv ----------------------------------------------------------------------------------

TEST(QLinearConv, PerTensorAndPerChannel) {
  for (bool per_channel : {false, true})
    for (DType xt : {DType::U8, DType::I8}) {
      const int64_t N = 2, C = 3, H = 6, W = 5, M = 4;
      std::mt19937 rng(7);
      Tensor x(xt, {N, C, H, W}), w(DType::I8, {M, C, 3, 3});
      for (int64_t i = 0; i < x.numel(); ++i)
        if (xt == DType::U8) x.data<uint8_t>()[i] = rng() % 256;
        else x.data<int8_t>()[i] = static_cast<int8_t>(rng() % 256 - 128);
      for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(rng() % 256 - 128);
      const float xs = 0.02f, ys = 0.5f;
      Tensor xzp(xt, {}), yzp(xt, {});
      if (xt == DType::U8) xzp.data<uint8_t>()[0] = 128, yzp.data<uint8_t>()[0] = 100;
      else xzp.data<int8_t>()[0] = 3, yzp.data<int8_t>()[0] = -5;
      const int64_t nw = per_channel ? M : 1;
      std::vector<float> wsv(nw);
      Tensor wzp(DType::I8, per_channel ? Shape{M} : Shape{});
      for (int64_t i = 0; i < nw; ++i) wsv[i] = 0.01f * (i + 1), wzp.data<int8_t>()[i] = static_cast<int8_t>(i);
      std::vector<int32_t> bias = {100, -200, 300, 0};
      auto out = test::run_node(
          "QLinearConv",
          {x, test::make_f32({}, {xs}), xzp, w, test::make_f32(per_channel ? Shape{M} : Shape{}, wsv), wzp,
           test::make_f32({}, {ys}), yzp, test::make_i32({M}, bias)},
          1, {A::i64s("pads", {1, 1, 1, 1})});
      ASSERT_EQ(out[0].shape(), (Shape{N, M, H, W}));
      auto q = [&](const Tensor& t, int64_t i) -> int32_t {
        return t.dtype() == DType::U8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
      };
      const int32_t xz = q(xzp, 0), yz = q(yzp, 0);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
          for (int64_t h = 0; h < H; ++h)
            for (int64_t ww = 0; ww < W; ++ww) {
              int64_t acc = bias[m];
              for (int64_t c = 0; c < C; ++c)
                for (int64_t a = 0; a < 3; ++a)
                  for (int64_t b = 0; b < 3; ++b) {
                    const int64_t ih = h - 1 + a, iw = ww - 1 + b;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    acc += (q(x, ((n * C + c) * H + ih) * W + iw) - xz) *
                           (w.data<int8_t>()[((m * C + c) * 3 + a) * 3 + b] - wzp.data<int8_t>()[per_channel ? m : 0]);
                  }
              const float scale = xs * wsv[per_channel ? m : 0] / ys;
              const int32_t lo = xt == DType::U8 ? 0 : -128, hi = xt == DType::U8 ? 255 : 127;
              const int32_t want = std::clamp<int32_t>(static_cast<int32_t>(std::nearbyint(acc * scale)) + yz, lo, hi);
              ASSERT_EQ(q(out[0], ((n * M + m) * H + h) * W + ww), want);
            }
    }
}

}  // namespace
}  // namespace rtml
