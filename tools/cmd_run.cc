// cmd_run.cc - `rtml run MODEL --inputs DIR --outputs DIR`: the ONNX backend-test contract.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tools/cli.hpp"

namespace rtml::cli {

int cmd_run(int argc, char** argv) {
  std::string model_path, in_dir, out_dir;
  ModelOptions opts;
  opts.threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--inputs") in_dir = next();
    else if (a == "--outputs") out_dir = next();
    else if (a == "--threads") opts.threads = std::atoi(next().c_str());
    else if (a == "--no-optimize") opts.optimize = false;
    else if (model_path.empty() && a[0] != '-') model_path = a;
    else {
      std::fprintf(stderr, "rtml run: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (model_path.empty() || in_dir.empty() || out_dir.empty()) {
    std::fprintf(stderr, "usage: rtml run MODEL.onnx --inputs DIR --outputs DIR\n");
    return 2;
  }
  auto loaded = Model::load(model_path, opts);
  if (!loaded.ok()) return fail(loaded.status());
  const Model& m = *loaded.value();
  std::vector<Tensor> tensors;
  std::vector<TensorView> views;
  if (Status s = read_inputs(m, in_dir, &tensors, &views); !s.ok()) return fail(s);
  Session session(loaded.value());
  std::vector<Value> outs(m.outputs().size());
  if (Status s = session.run(views, outs); !s.ok()) return fail(s);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  for (size_t j = 0; j < outs.size(); ++j) {
    const std::string& name = m.outputs()[j].name;
    std::string bytes = outs[j].kind == ValueKind::SequenceOfMaps ? write_sequence_of_maps_proto(outs[j], name)
                                                                  : write_tensor_proto(outs[j].tensor, name);
    std::string path = out_dir + "/output_" + std::to_string(j) + ".pb";
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) return fail(Status(StatusCode::Error, "cannot write " + path));
  }
  return 0;
}

}  // namespace rtml::cli
