// runner.cc - the conformance runner: every ONNX-backend-layout folder (model.onnx +
// test_data_set_*/input_*.pb, output_*.pb) under ../shared/conformance and ../shared/models is run
// in-process and compared with its expected outputs; a table per operator (passed / failed /
// unsupported) is printed. A test whose model loads (every op implemented) but does not match, or
// fails to run, fails the suite unless tests/conformance/exclusions.txt lists it with a reason.
//
// Tolerances: rtol 1e-3 / atol 1e-7 for the ONNX suites (the ONNX backend runner's defaults),
// rtol 1e-4 / atol 1e-5 for ../shared/models (ONNX Runtime's outputs). NaN matches NaN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "ops/common.hpp"
#include "tests/util/proto_seq.hpp"
#include "tests/util/test_env.hpp"

namespace fs = std::filesystem;
using namespace rtml;

namespace {

struct Outcome {
  enum Kind { Pass, Fail, Unsupported, Excluded } kind;
  std::string why;
};

std::map<std::string, std::string> read_exclusions() {
  std::map<std::string, std::string> ex;
  std::ifstream f(std::string(RTML_SOURCE_DIR) + "/tests/conformance/exclusions.txt");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find_first_of(" \t");
    ex[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", tab));
  }
  return ex;
}

double as_double(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::F32: return t.as<float>()[i];
    case DType::F64: return t.as<double>()[i];
    case DType::F16: return half_to_float(t.as<uint16_t>()[i]);
    case DType::I8: return t.as<int8_t>()[i];
    case DType::I16: return t.as<int16_t>()[i];
    case DType::I32: return t.as<int32_t>()[i];
    case DType::I64: return static_cast<double>(t.as<int64_t>()[i]);
    case DType::U8: case DType::Bool: return t.as<uint8_t>()[i];
    case DType::U16: return t.as<uint16_t>()[i];
    case DType::U32: return t.as<uint32_t>()[i];
    case DType::U64: return static_cast<double>(t.as<uint64_t>()[i]);
    default: return 0;
  }
}

// "" when equal within tolerance, else what differs.
std::string compare(const TensorView& got, const TensorView& exp, double rtol, double atol) {
  if (got.dtype != exp.dtype) return std::string("dtype ") + dtype_name(got.dtype) + " vs expected " + dtype_name(exp.dtype);
  if (got.shape != exp.shape) return "shape " + got.shape.str() + " vs expected " + exp.shape.str();
  int64_t n = exp.numel(), bad = 0;
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (exp.dtype == DType::String) {
      if (got.as<StrRef>()[i].view() != exp.as<StrRef>()[i].view()) ++bad;
      continue;
    }
    if (exp.dtype == DType::I64 || exp.dtype == DType::U64) {  // exact, beyond double's 53 bits
      if (std::memcmp(got.as<int64_t>() + i, exp.as<int64_t>() + i, 8) != 0) ++bad;
      continue;
    }
    double g = as_double(got, i), e = as_double(exp, i);
    if (std::isnan(e) && std::isnan(g)) continue;
    if (std::isinf(e) && g == e) continue;
    double d = std::fabs(g - e);
    if (!(d <= atol + rtol * std::fabs(e))) {
      ++bad;
      worst = std::max(worst, d);
    }
  }
  if (!bad) return "";
  std::ostringstream os;
  os << bad << "/" << n << " values differ (max abs diff " << worst << ")";
  return os.str();
}

std::vector<std::string> ops_of(const Model& m) {
  std::vector<std::string> ops;
  for (auto& [op, n] : m.op_counts()) ops.push_back(op);
  return ops;
}

Outcome run_test(const fs::path& dir, double rtol, double atol, std::vector<std::string>* ops) {
  auto loaded = Model::load((dir / "model.onnx").string(), ModelOptions{1, true});
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::Unsupported) return {Outcome::Unsupported, loaded.status().message()};
    return {Outcome::Fail, "load: " + loaded.status().message()};
  }
  const Model& m = *loaded.value();
  *ops = ops_of(m);
  std::vector<fs::path> sets;
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  Session session(loaded.value());
  for (const fs::path& set : sets) {
    std::vector<Tensor> in(m.inputs().size());
    std::vector<TensorView> views(m.inputs().size());
    for (size_t i = 0; i < m.inputs().size(); ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) {
        if (m.inputs()[i].has_default) continue;
        return {Outcome::Fail, "missing " + p.string()};
      }
      auto t = read_tensor_file(p.string());
      if (!t.ok()) {
        if (t.status().code() == StatusCode::Unsupported) return {Outcome::Unsupported, t.status().message()};
        return {Outcome::Fail, t.status().message()};
      }
      in[i] = std::move(t.value());
      views[i] = in[i].view();
    }
    std::vector<Value> out(m.outputs().size());
    Status st = session.run(views, out);
    if (!st.ok()) return {Outcome::Fail, set.filename().string() + ": run: " + st.message()};
    for (size_t j = 0; j < out.size(); ++j) {
      fs::path p = set / ("output_" + std::to_string(j) + ".pb");
      std::string bytes = test::read_file(p.string());
      std::string diff;
      if (out[j].kind == ValueKind::SequenceOfMaps) {
        diff = test::compare_sequence_of_maps(bytes, out[j], rtol, atol);
      } else {
        auto exp = read_tensor_proto(bytes.data(), bytes.size());
        if (!exp.ok()) return {Outcome::Fail, p.string() + ": " + exp.status().message()};
        diff = compare(out[j].tensor, exp.value().view(), rtol, atol);
      }
      if (!diff.empty()) return {Outcome::Fail, set.filename().string() + " output " + std::to_string(j) + ": " + diff};
    }
  }
  return {Outcome::Pass, ""};
}

struct Table {
  std::map<std::string, std::array<int, 3>> per_op;  // passed, failed, unsupported
  int pass = 0, fail = 0, unsupported = 0, excluded = 0;
  std::vector<std::string> failures;
};

void walk(const fs::path& root, double rtol, double atol, Table& t, const std::map<std::string, std::string>& ex) {
  std::vector<fs::path> tests;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && it->path().filename() == "model.onnx") tests.push_back(it->path().parent_path());
  std::sort(tests.begin(), tests.end());
  for (const fs::path& dir : tests) {
    std::vector<std::string> ops;
    Outcome o = run_test(dir, rtol, atol, &ops);
    std::string name = dir.filename().string();
    if (o.kind == Outcome::Fail && ex.count(name)) o.kind = Outcome::Excluded;
    switch (o.kind) {
      case Outcome::Pass: ++t.pass; break;
      case Outcome::Fail: ++t.fail; t.failures.push_back(dir.string() + ": " + o.why); break;
      case Outcome::Unsupported: ++t.unsupported; break;
      case Outcome::Excluded: ++t.excluded; break;
    }
    for (auto& op : ops) ++t.per_op[op][o.kind == Outcome::Pass ? 0 : o.kind == Outcome::Unsupported ? 2 : 1];
  }
}

void print(const std::string& title, const Table& t) {
  std::printf("\n== %s: %d passed, %d failed, %d unsupported, %d excluded (tests/conformance/exclusions.txt)\n", title.c_str(),
              t.pass, t.fail, t.unsupported, t.excluded);
  std::printf("%-40s %7s %7s\n", "operator (of tests that load)", "passed", "failed");
  for (auto& [op, c] : t.per_op) std::printf("%-40s %7d %7d\n", op.c_str(), c[0], c[1]);
  for (auto& f : t.failures) std::printf("FAIL %s\n", f.c_str());
}

}  // namespace

TEST(Conformance, OnnxBackendSuites) {
  std::string shared = test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent (set RTML_SHARED_DIR): the ONNX backend suites were not run";
  Table t;
  walk(fs::path(shared) / "conformance", 1e-3, 1e-7, t, read_exclusions());
  print("ONNX backend node tests (rtol 1e-3, atol 1e-7)", t);
  EXPECT_GT(t.pass, 0);
  EXPECT_TRUE(t.failures.empty()) << t.failures.size() << " tests of implemented operators failed (listed above)";
}

TEST(Conformance, ConverterModels) {
  std::string shared = test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent (set RTML_SHARED_DIR): the converter models were not run";
  Table t;
  walk(fs::path(shared) / "models", 1e-4, 1e-5, t, read_exclusions());
  print("converter models vs ONNX Runtime (rtol 1e-4, atol 1e-5)", t);
  EXPECT_GT(t.pass, 0);
  EXPECT_TRUE(t.failures.empty()) << t.failures.size() << " models failed (listed above)";
}
