// serve.hpp - `rtml serve`: the entry point the rtml command calls (argv[0] is "serve").
//
//   rtml serve MODEL.onnx [--host 127.0.0.1] [--port 8080]
//   rtml serve --model-repository DIR [--admin-token T | env RTML_ADMIN_TOKEN]
//   rtml serve --help   (every option, with the limits)
#pragma once

namespace rtml::server {
int serve_main(int argc, char** argv);
}  // namespace rtml::server
