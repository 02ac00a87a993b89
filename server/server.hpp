// server.hpp - one running `rtml serve`: options, the model repository, the v2 service and the
// HTTP transport wired together. serve_main() uses it; the tests start it in-process on port 0.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "server/http.hpp"
#include "server/repository.hpp"
#include "server/service.hpp"

namespace rtml::server {

struct ServeOptions {
  std::string model_path;     // rtml serve MODEL.onnx
  std::string model_name;     // default: the file name without .onnx
  std::string repository;     // --model-repository DIR
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string admin_token;
  int threads = 0;            // event loops; 0 = one per core
  int model_threads = 1;      // ModelOptions::threads of each model
  int drain_timeout_s = 20;
  int log_interval_s = 60;
  bool quiet = false;
  bool floor = false;         // --floor: answer every request with a fixed body (transport floor)
  HttpLimits http;
  CodecLimits codec;
  BatchOptions batch;         // default for every model (config.json overrides)
};

// Parses the command line (argv[0] = "serve"). Returns 0 to go on, else an exit code (help: 0
// with *exit_now true; errors: 2 with a message in *error).
int parse_serve_args(int argc, char** argv, ServeOptions* o, bool* exit_now, std::string* error);
const char* serve_usage();

class Server {
 public:
  explicit Server(ServeOptions o);
  ~Server();
  // Listens, starts the loops, loads every model (liveness answers meanwhile; readiness once all
  // are loaded). False (with *error) if it cannot listen or a model given on the command line
  // fails to load.
  bool start(std::string* error);
  int port() const { return http_->port(); }
  // Readiness false at once, in-flight requests complete, then the loops stop.
  bool drain(std::chrono::milliseconds deadline);
  void stop();
  Repository& repository() { return *repo_; }
  Service& service() { return *service_; }
  const ServeOptions& options() const { return opts_; }

 private:
  ServeOptions opts_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpHandler> floor_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace rtml::server
