// tests/ops/test_binary.cc - Add Sub Mul Div Pow Max Min Sum Mean, comparisons, logic and Where:
// every ISA table against the scalar reference, then whole models (broadcast patterns, dtypes,
// in-place chains, threads, errors) against a slow reference written here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/kernels/elementwise.hpp"
#include "tests/ops/test_util_ew.hpp"

namespace rtml::test {
namespace {

const DType kAllNumeric[] = {DType::F32, DType::F64, DType::F16, DType::I8, DType::I16, DType::I32,
                             DType::I64, DType::U8,  DType::U16, DType::U32, DType::U64};
const int kSizes[] = {1, 3, 7, 17, 65, 257};

size_t ew_size(EwType t) {
  static const size_t s[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8, 1};
  return s[static_cast<int>(t)];
}

// Random bytes that make sense for (op, type): no integer division by zero, small exponents.
void fill_operand(EwType t, BinOp op, bool exponent, std::vector<uint8_t>& buf, int64_t n) {
  buf.assign(n * ew_size(t) + 64, 0);
  std::uniform_real_distribution<double> d(-50, 50);
  for (int64_t i = 0; i < n; ++i) {
    double v = d(rng());
    if (op == BinOp::Pow) v = exponent ? std::round(std::fmod(std::fabs(v), 6)) : std::fmod(v, 4);
    void* p = buf.data() + i * ew_size(t);
    switch (t) {
      case EwType::F32: *static_cast<float*>(p) = static_cast<float>(v); break;
      case EwType::F64: *static_cast<double*>(p) = v; break;
      case EwType::I8: *static_cast<int8_t*>(p) = static_cast<int8_t>(v); break;
      case EwType::I16: *static_cast<int16_t*>(p) = static_cast<int16_t>(v * 100); break;
      case EwType::I32: *static_cast<int32_t*>(p) = static_cast<int32_t>(v * 1e6); break;
      case EwType::I64: *static_cast<int64_t*>(p) = static_cast<int64_t>(v * 1e12); break;
      case EwType::U8: *static_cast<uint8_t*>(p) = static_cast<uint8_t>(std::fabs(v)); break;
      case EwType::U16: *static_cast<uint16_t*>(p) = static_cast<uint16_t>(std::fabs(v) * 100); break;
      case EwType::U32: *static_cast<uint32_t*>(p) = static_cast<uint32_t>(std::fabs(v) * 1e7); break;
      case EwType::U64: *static_cast<uint64_t*>(p) = static_cast<uint64_t>(std::fabs(v) * 1e15); break;
      case EwType::Bool: *static_cast<uint8_t*>(p) = v > 0; break;
      default: break;
    }
    if (op == BinOp::Div && exponent && t != EwType::F32 && t != EwType::F64) {
      bool zero = true;
      for (size_t b = 0; b < ew_size(t); ++b) zero &= buf[i * ew_size(t) + b] == 0;
      if (zero) buf[i * ew_size(t)] = 3;
    }
  }
  if (t == EwType::F32 && n > 2) *reinterpret_cast<float*>(buf.data()) = std::numeric_limits<float>::quiet_NaN();
}

bool same_elem(EwType t, const uint8_t* a, const uint8_t* b, double rtol) {
  if (t == EwType::F32 || t == EwType::F64) {
    const double x = t == EwType::F32 ? *reinterpret_cast<const float*>(a) : *reinterpret_cast<const double*>(a);
    const double y = t == EwType::F32 ? *reinterpret_cast<const float*>(b) : *reinterpret_cast<const double*>(b);
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return x == y || std::fabs(x - y) <= rtol * std::fabs(y) + 1e-30;
  }
  return std::memcmp(a, b, ew_size(t)) == 0;
}

TEST(EwIsa, BinaryTablesMatchScalar) {
  const EwKernels* ref = ew_kernels_for(Isa::Scalar);
  ASSERT_NE(ref, nullptr);
  int variants = 0;
  for (Isa isa : {Isa::Portable, Isa::Avx2}) {
    const EwKernels* k = ew_kernels_for(isa);
    if (!k) continue;
    ++variants;
    for (int op = 0; op < kBinOps; ++op)
      for (int t = 0; t < kEwTypes; ++t)
        for (int m = 0; m < 3; ++m) {
          ASSERT_EQ(k->bin[op][t][m] == nullptr, ref->bin[op][t][m] == nullptr);
          if (!ref->bin[op][t][m]) continue;
          const bool cmp = op >= static_cast<int>(BinOp::Equal);
          const EwType et = static_cast<EwType>(t);
          const EwType ot = cmp ? EwType::Bool : et;
          const double rtol = 1e-7;
          for (int n : kSizes) {
            std::vector<uint8_t> a, b, o1, o2;
            fill_operand(et, static_cast<BinOp>(op), false, a, n);
            fill_operand(et, static_cast<BinOp>(op), true, b, n);
            o1.assign(n * ew_size(ot), 0);
            o2.assign(n * ew_size(ot), 0);
            ref->bin[op][t][m](a.data(), b.data(), o1.data(), n);
            k->bin[op][t][m](a.data(), b.data(), o2.data(), n);
            for (int i = 0; i < n; ++i)
              ASSERT_TRUE(same_elem(ot, &o2[i * ew_size(ot)], &o1[i * ew_size(ot)], rtol))
                  << k->isa << " op " << op << " type " << t << " mode " << m << " n " << n << " i " << i;
            // In place: out == a (mode 0/1) or out == b (mode 2) gives the same result.
            if (!cmp) {
              std::vector<uint8_t>& io = m == 2 ? b : a;
              k->bin[op][t][m](a.data(), b.data(), io.data(), n);
              for (int i = 0; i < n; ++i)
                ASSERT_TRUE(same_elem(ot, &io[i * ew_size(ot)], &o1[i * ew_size(ot)], rtol))
                    << "in place " << k->isa << " op " << op << " type " << t;
            }
          }
        }
  }
  EXPECT_GE(variants, 1);
  EXPECT_NE(std::string(ew_kernels().isa), "");
}

// ---- whole models ---------------------------------------------------------------------------
double ref_binary(const std::string& op, DType t, double a, double b) {
  auto wrap = [&](double v) {  // integer results wrap to the type
    Tensor x(t, {1});
    if (!is_float(t)) {
      long double m = std::ldexp(1.0L, static_cast<int>(dtype_size(t) * 8));
      long double w = std::fmod(static_cast<long double>(v), m);
      if (w < 0) w += m;
      if (is_signed(t) && w >= m / 2) w -= m;
      v = static_cast<double>(w);
    }
    set_d(x, 0, v);
    return get_d(x, 0);
  };
  if (op == "Add") return wrap(a + b);
  if (op == "Sub") return wrap(a - b);
  if (op == "Mul") return wrap(a * b);
  if (op == "Div") return is_float(t) ? wrap(a / b) : wrap(std::trunc(a / b));
  if (op == "Pow") return wrap(std::pow(a, b));
  if (op == "Max") return std::max(a, b);
  if (op == "Min") return std::min(a, b);
  ADD_FAILURE() << op;
  return 0;
}

struct Pattern {
  Shape a, b;
};
const Pattern kPatterns[] = {
    {{7}, {7}},           {{1, 16}, {1, 16}},    {{257, 17}, {17}},  {{257, 17}, {257, 1}},
    {{3, 1, 65}, {1, 7, 1}}, {{1}, {3, 7}},      {{3, 7}, {}},       {{2, 3, 4, 5}, {3, 1, 5}},
    {{1, 1, 3}, {5, 1, 1}}, {{0, 3}, {3}},       {{65}, {1}},        {{1, 257}, {257, 1}},
};

void check_binary(const std::string& op, DType t, const Pattern& p, int opset = 17) {
  const bool pw = op == "Pow";
  Tensor a = random_tensor(t, p.a, pw ? (is_signed(t) ? -3 : 0) : (is_signed(t) ? -20 : 20), pw ? 3 : is_signed(t) ? 20 : 40);
  Tensor b = random_tensor(t, p.b, pw ? 0 : (is_signed(t) ? -20 : 1), pw ? 4 : 20);
  if (op == "Div" && !is_float(t))
    for (int64_t i = 0; i < b.numel(); ++i)
      if (get_d(b, i) == 0) set_d(b, i, 3);
  auto out = run_node(op, {a, b}, 1, {}, "", opset);
  ASSERT_EQ(out.size(), 1u) << op << " " << dtype_name(t);
  const Shape os = bcast(p.a, p.b);
  ASSERT_EQ(out[0].shape(), os);
  ASSERT_EQ(out[0].dtype(), t);
  std::vector<double> want(os.numel());
  for (int64_t i = 0; i < os.numel(); ++i) {
    double r = ref_binary(op, t, get_d(a, bcast_index(p.a, os, i)), get_d(b, bcast_index(p.b, os, i)));
    if (t == DType::F16) r = half_to_float(float_to_half(static_cast<float>(r)));
    if (t == DType::F32) r = static_cast<float>(r);
    want[i] = r;
  }
  expect_close(out[0], want, is_float(t) ? (t == DType::F16 ? 2e-3 : 1e-6) : 0,
               op + " " + dtype_name(t) + " " + p.a.str() + "x" + p.b.str());
}

TEST(Binary, ArithmeticEveryTypeAndPattern) {
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"})
    for (DType t : kAllNumeric)
      for (const Pattern& p : kPatterns) check_binary(op, t, p);
}

TEST(Binary, OldOpsets) {
  for (int opset : {7, 13, 14})
    for (const char* op : {"Add", "Mul", "Div"}) check_binary(op, DType::F32, kPatterns[2], opset);
}

TEST(Binary, IntegerDivisionByZeroIsAnError) {
  ModelBuilder b;
  b.input("a", DType::I32, {3}).input("b", DType::I32, {3}).node("Div", {"a", "b"}, {"c"}).output("c", DType::I32);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  Status st = try_run(m, {make_i32({3}, {1, 2, 3}), make_i32({3}, {1, 0, 1})}, &out);
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
  // MIN / -1 wraps instead of trapping; C truncation toward zero.
  st = try_run(m, {make_i32({3}, {std::numeric_limits<int32_t>::min(), -7, 7}), make_i32({3}, {-1, 2, -2})}, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(out[0].data<int32_t>()[0], std::numeric_limits<int32_t>::min());
  EXPECT_EQ(out[0].data<int32_t>()[1], -3);
  EXPECT_EQ(out[0].data<int32_t>()[2], -3);
}

TEST(Binary, ShapesThatDoNotBroadcast) {
  ModelBuilder b;
  b.input("a", DType::F32, {-1}).input("b", DType::F32, {-1}).node("Add", {"a", "b"}, {"c"}).output("c", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  Status st = try_run(m, {make_f32({3}, {1, 2, 3}), make_f32({2}, {1, 2})}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
}

TEST(Binary, IntegerPowAndMixedPow) {
  auto o = run_node("Pow", {make_i64({5}, {2, -3, 5, 1, -1}), make_i64({5}, {10, 3, -1, -5, -3})}, 1);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<int64_t>()[0], 1024);
  EXPECT_EQ(o[0].data<int64_t>()[1], -27);
  EXPECT_EQ(o[0].data<int64_t>()[2], 0);
  EXPECT_EQ(o[0].data<int64_t>()[3], 1);
  EXPECT_EQ(o[0].data<int64_t>()[4], -1);
  // float base, int64 exponent (opset 12+); broadcast exponent
  o = run_node("Pow", {make_f32({2, 2}, {1.5f, -2, 3, 0.5f}), make_i64({2}, {2, 3})}, 1, {}, "", 15);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].dtype(), DType::F32);
  EXPECT_FLOAT_EQ(o[0].data<float>()[0], 2.25f);
  EXPECT_FLOAT_EQ(o[0].data<float>()[1], -8.f);
  EXPECT_FLOAT_EQ(o[0].data<float>()[3], 0.125f);
  // int32 base, float exponent: pow in double, truncated
  o = run_node("Pow", {make_i32({3}, {4, 9, 2}), make_f32({3}, {0.5f, 0.5f, 3.f})}, 1, {}, "", 15);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].dtype(), DType::I32);
  EXPECT_EQ(o[0].data<int32_t>()[0], 2);
  EXPECT_EQ(o[0].data<int32_t>()[1], 3);
  EXPECT_EQ(o[0].data<int32_t>()[2], 8);
  // double base, int32 exponent, base broadcasts
  o = run_node("Pow", {make_f64({1}, {2.0}), make_i32({3}, {1, 2, -1})}, 1, {}, "", 15);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_DOUBLE_EQ(o[0].data<double>()[2], 0.5);
  // uint16 base (not float16!) and float16 base with other exponent types
  Tensor u16(DType::U16, {2});
  u16.data<uint16_t>()[0] = 3;
  u16.data<uint16_t>()[1] = 300;
  o = run_node("Pow", {u16, make_i64({1}, {2})}, 1, {}, "", 15);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<uint16_t>()[0], 9);
  EXPECT_EQ(o[0].data<uint16_t>()[1], static_cast<uint16_t>(90000));
  Tensor h = random_tensor(DType::F16, {3}, 1.5, 1.5);
  o = run_node("Pow", {h, make_f32({3}, {2, 0.5f, -1})}, 1, {}, "", 15);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].dtype(), DType::F16);
  expect_close(o[0], {2.25, std::sqrt(1.5), 1 / 1.5}, 1e-3, "f16 ^ f32");
}

TEST(Binary, FloatPowSpecialValues) {
  auto o = run_node("Pow", {make_f32({17}, {-2, -2, 2, 0, 0, 1, -1, 4, 9, 2, 2, 2, 2, 2, 2, 2, -8}),
                            make_f32({17}, {3, 2, 0.5f, 0, -1, 100, 1e9f, -0.5f, 0.5f, 1, 2, 3, 4, 5, 6, 10, 1.0f / 3})},
                    1);
  ASSERT_EQ(o.size(), 1u);
  const float* y = o[0].data<float>();
  EXPECT_FLOAT_EQ(y[0], -8);
  EXPECT_FLOAT_EQ(y[1], 4);
  EXPECT_FLOAT_EQ(y[2], std::sqrt(2.f));
  EXPECT_EQ(y[3], 1);
  EXPECT_TRUE(std::isinf(y[4]));
  EXPECT_EQ(y[5], 1);
  EXPECT_EQ(y[6], 1);
  EXPECT_FLOAT_EQ(y[7], 0.5f);
  EXPECT_FLOAT_EQ(y[8], 3);
  EXPECT_FLOAT_EQ(y[15], 1024);
  EXPECT_TRUE(std::isnan(y[16]));
}

TEST(Binary, MaxMinPropagateNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const char* op : {"Max", "Min"}) {
    auto o = run_node(op, {make_f32({3}, {nan, 1, 2}), make_f32({3}, {1, nan, 3})}, 1);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_TRUE(std::isnan(o[0].data<float>()[0])) << op;
    EXPECT_TRUE(std::isnan(o[0].data<float>()[1])) << op;
  }
}

TEST(Binary, VariadicSumMeanMaxMin) {
  const Shape shapes[] = {{3, 1, 7}, {7}, {1, 5, 1}, {1}};
  for (const char* op : {"Sum", "Mean", "Max", "Min"})
    for (DType t : {DType::F32, DType::F64, DType::F16, DType::I32}) {
      if (t == DType::I32 && std::string(op) == "Mean") continue;
      for (int n = 1; n <= 4; ++n) {
        std::vector<Tensor> ins;
        Shape os;
        for (int i = 0; i < n; ++i) {
          ins.push_back(random_tensor(t, shapes[i], -10, 10));
          os = i == 0 ? shapes[0] : bcast(os, shapes[i]);
        }
        auto out = run_node(op, ins, 1, {}, "", 13);
        ASSERT_EQ(out.size(), 1u);
        ASSERT_EQ(out[0].shape(), os) << op << n;
        std::vector<double> want(os.numel());
        for (int64_t e = 0; e < os.numel(); ++e) {
          double acc = get_d(ins[0], bcast_index(shapes[0], os, e));
          for (int i = 1; i < n; ++i) {
            const double v = get_d(ins[i], bcast_index(shapes[i], os, e));
            acc = op[1] == 'u' || op[1] == 'e' ? acc + v : op[1] == 'a' ? std::max(acc, v) : std::min(acc, v);
          }
          if (op[1] == 'e') acc /= n;
          want[e] = acc;
        }
        expect_close(out[0], want, t == DType::F16 ? 5e-3 : 1e-6, std::string(op) + " " + dtype_name(t) + " n=" + std::to_string(n));
      }
    }
}

TEST(Binary, Comparisons) {
  const char* ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
  for (int k = 0; k < 5; ++k)
    for (DType t : {DType::F32, DType::F64, DType::F16, DType::I8, DType::I32, DType::I64, DType::U8, DType::U64})
      for (const Pattern& p : {kPatterns[0], kPatterns[3], kPatterns[4], kPatterns[6]}) {
        Tensor a = random_tensor(t, p.a, 0, 5), b = random_tensor(t, p.b, 0, 5);
        auto out = run_node(ops[k], {a, b}, 1, {}, "", 19);
        ASSERT_EQ(out.size(), 1u);
        ASSERT_EQ(out[0].dtype(), DType::Bool);
        const Shape os = bcast(p.a, p.b);
        std::vector<double> want(os.numel());
        for (int64_t i = 0; i < os.numel(); ++i) {
          const double x = get_d(a, bcast_index(p.a, os, i)), y = get_d(b, bcast_index(p.b, os, i));
          want[i] = k == 0 ? x == y : k == 1 ? x < y : k == 2 ? x > y : k == 3 ? x <= y : x >= y;
        }
        expect_close(out[0], want, 0, std::string(ops[k]) + " " + dtype_name(t));
      }
  // bool and string Equal
  auto o = run_node("Equal", {make_bool({4}, {true, false, true, false}), make_bool({1}, {true})}, 1, {}, "", 13);
  ASSERT_EQ(o.size(), 1u);
  expect_close(o[0], {1, 0, 1, 0}, 0, "Equal bool");
  o = run_node("Equal", {make_str({2, 2}, {"a", "bb", "", "c"}), make_str({2}, {"a", "c"})}, 1, {}, "", 19);
  ASSERT_EQ(o.size(), 1u);
  expect_close(o[0], {1, 0, 0, 1}, 0, "Equal string");
}

TEST(Binary, Logic) {
  const char* ops[] = {"And", "Or", "Xor"};
  for (int k = 0; k < 3; ++k)
    for (const Pattern& p : {kPatterns[0], kPatterns[2], kPatterns[4], kPatterns[8]}) {
      Tensor a = random_tensor(DType::Bool, p.a, 0, 1), b = random_tensor(DType::Bool, p.b, 0, 1);
      auto out = run_node(ops[k], {a, b}, 1, {}, "", 7);
      ASSERT_EQ(out.size(), 1u);
      const Shape os = bcast(p.a, p.b);
      std::vector<double> want(os.numel());
      for (int64_t i = 0; i < os.numel(); ++i) {
        const bool x = get_d(a, bcast_index(p.a, os, i)) != 0, y = get_d(b, bcast_index(p.b, os, i)) != 0;
        want[i] = k == 0 ? (x && y) : k == 1 ? (x || y) : (x != y);
      }
      expect_close(out[0], want, 0, ops[k]);
    }
}

TEST(Binary, Where) {
  for (DType t : {DType::F32, DType::F16, DType::I64, DType::U8, DType::Bool, DType::F64}) {
    const Shape sc{3, 1, 7}, sx{1, 5, 1}, sy{7};
    Tensor c = random_tensor(DType::Bool, sc, 0, 1), x = random_tensor(t, sx, 0, 9), y = random_tensor(t, sy, 0, 9);
    auto out = run_node("Where", {c, x, y}, 1, {}, "", 16);
    ASSERT_EQ(out.size(), 1u);
    const Shape os{3, 5, 7};
    ASSERT_EQ(out[0].shape(), os);
    std::vector<double> want(os.numel());
    for (int64_t i = 0; i < os.numel(); ++i)
      want[i] = get_d(c, bcast_index(sc, os, i)) ? get_d(x, bcast_index(sx, os, i)) : get_d(y, bcast_index(sy, os, i));
    expect_close(out[0], want, 0, std::string("Where ") + dtype_name(t));
  }
  auto o = run_node("Where", {make_bool({2, 2}, {true, false, false, true}), make_str({2}, {"x0", "x1"}),
                              make_str({2, 1}, {"y0", "y1"})},
                    1, {}, "", 9);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].str(0), "x0");
  EXPECT_EQ(o[0].str(1), "y0");
  EXPECT_EQ(o[0].str(2), "y1");
  EXPECT_EQ(o[0].str(3), "x1");
}

// A chain whose intermediates the planner may compute in place, batch 1 and 257.
TEST(Binary, ChainInPlace) {
  for (int64_t batch : {1, 257}) {
    ModelBuilder b;
    b.input("x", DType::F32, {-1, 17}).input("y", DType::F32, {17}).input("z", DType::F32, {-1, 1});
    b.node("Add", {"x", "y"}, {"t1"}).node("Mul", {"t1", "z"}, {"t2"}).node("Sub", {"t2", "x"}, {"t3"});
    b.node("Div", {"y", "t3"}, {"t4"}).node("Max", {"t4", "t1", "t2"}, {"out"});
    b.output("out", DType::F32);
    auto m = b.load();
    ASSERT_TRUE(m);
    Tensor x = random_tensor(DType::F32, {batch, 17}, -5, 5), y = random_tensor(DType::F32, {17}, 1, 5),
           z = random_tensor(DType::F32, {batch, 1}, 2, 5);
    auto out = run(m, {x, y, z});
    ASSERT_EQ(out.size(), 1u);
    std::vector<double> want(batch * 17);
    for (int64_t r = 0; r < batch; ++r)
      for (int c = 0; c < 17; ++c) {
        const float xv = x.data<float>()[r * 17 + c], yv = y.data<float>()[c], zv = z.data<float>()[r];
        const float t1 = xv + yv, t2 = t1 * zv, t3 = t2 - xv, t4 = yv / t3;
        want[r * 17 + c] = std::max(std::max(t4, t1), t2);
      }
    expect_close(out[0], want, 1e-6, "chain");
  }
}

TEST(Binary, BigTensorsWithThreads) {
  ModelBuilder b;
  b.input("x", DType::F32, {-1, 1000}).input("y", DType::F32, {1000}).node("Mul", {"x", "y"}, {"t"});
  b.node("Add", {"t", "x"}, {"u"}).node("Less", {"u", "y"}, {"out"}).output("out", DType::Bool).output("u", DType::F32);
  ModelOptions opt;
  opt.threads = 2;
  auto m = b.load(opt);
  ASSERT_TRUE(m);
  Tensor x = random_tensor(DType::F32, {300, 1000}, -5, 5), y = random_tensor(DType::F32, {1000}, -5, 5);
  auto out = run(m, {x, y});
  ASSERT_EQ(out.size(), 2u);
  std::vector<double> wu(300000), wl(300000);
  for (int64_t i = 0; i < 300000; ++i) {
    const float u = x.data<float>()[i] * y.data<float>()[i % 1000] + x.data<float>()[i];
    wu[i] = u;
    wl[i] = u < y.data<float>()[i % 1000];
  }
  expect_close(out[1], wu, 0, "threads u");
  expect_close(out[0], wl, 0, "threads less");
}

TEST(Binary, TypeMismatchRefusedAtLoad) {
  ModelBuilder b;
  b.input("a", DType::F32, {3}).input("b", DType::F64, {3}).node("Add", {"a", "b"}, {"c"}).output("c", DType::F32);
  auto r = b.try_load();
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace rtml::test
