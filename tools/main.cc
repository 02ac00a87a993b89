// main.cc - `rtml run | bench | inspect | serve`: dispatch, and the exit-status contract.
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>

#include "tools/cli.hpp"
#ifdef RTML_HAVE_SERVER
#include "server/serve.hpp"
#endif

namespace rtml::cli {

int exit_code(const Status& s) {
  switch (s.code()) {
    case StatusCode::Ok: return 0;
    case StatusCode::Unsupported: return 3;
    case StatusCode::InvalidModel: return 4;
    case StatusCode::InvalidInput: return 5;
    default: return 1;
  }
}

int fail(const Status& s) {
  std::fprintf(stderr, "rtml: %s\n", s.message().c_str());
  return exit_code(s);
}

Status read_inputs(const Model& m, const std::string& dir, std::vector<Tensor>* tensors, std::vector<TensorView>* views) {
  tensors->clear();
  views->clear();
  tensors->reserve(m.inputs().size());
  for (size_t i = 0; i < m.inputs().size(); ++i) {
    std::string path = dir + "/input_" + std::to_string(i) + ".pb";
    if (!std::filesystem::exists(path)) {
      if (m.inputs()[i].has_default) {
        tensors->emplace_back();
        views->emplace_back();
        continue;
      }
      return Status(StatusCode::InvalidInput, "missing " + path + " for input '" + m.inputs()[i].name + "'");
    }
    auto t = read_tensor_file(path);
    if (!t.ok()) return t.status().code() == StatusCode::Error ? Status(StatusCode::InvalidInput, t.status().message()) : t.status();
    tensors->push_back(std::move(t.value()));
    views->push_back(tensors->back().view());
  }
  return {};
}

static int usage() {
  std::fprintf(stderr,
               "rtml %s - real-time ONNX inference\n"
               "usage:\n"
               "  rtml run MODEL.onnx --inputs DIR --outputs DIR [--threads N]\n"
               "  rtml bench MODEL.onnx --inputs DIR [--batch N] [--threads N] [--warmup N] [--iters N] [--json]\n"
               "  rtml inspect MODEL.onnx\n"
               "  rtml serve MODEL.onnx | --model-repository DIR [--host H] [--port P]\n"
               "exit status: 0 ok, 3 unsupported model, 4 invalid model, 5 inputs do not fit, 1 other\n",
               version());
  return 2;
}

}  // namespace rtml::cli

int main(int argc, char** argv) {
  using namespace rtml::cli;
  if (argc < 2) return usage();
  const char* cmd = argv[1];
  try {
    if (!std::strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!std::strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!std::strcmp(cmd, "inspect")) return cmd_inspect(argc - 1, argv + 1);
    if (!std::strcmp(cmd, "serve")) {
#ifdef RTML_HAVE_SERVER
      return rtml::server::serve_main(argc - 1, argv + 1);
#else
      std::fprintf(stderr, "rtml: this build has no server (configure with -DRTML_SERVER=ON)\n");
      return 1;
#endif
    }
    if (!std::strcmp(cmd, "--version") || !std::strcmp(cmd, "version")) {
      std::printf("rtml %s\n", rtml::version());
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtml: internal error: %s\n", e.what());
    return 1;
  }
  return usage();
}
