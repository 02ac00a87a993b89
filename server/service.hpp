// service.hpp - the KServe v2 REST protocol as an HttpHandler: routing, auth, inference through
// per-thread Session caches, health/readiness, metrics. Transport-independent.
//
// Routes:
//   GET  /v2/health/live, /v2/health/ready, /v2, /metrics
//   GET  /v2/models/{name}[/versions/{v}]          metadata
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer    v2 JSON, binary extension, or records
//   GET|POST /v2/repository/index                   (admin token)
//   POST /v2/repository/models/{name}/load|unload   (admin token; load body = .onnx bytes or empty)
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "server/http.hpp"
#include "server/repository.hpp"
#include "server/v2_codec.hpp"

namespace rtml::server {

struct ServiceOptions {
  std::string admin_token;  // "" = the repository extension is off
  CodecLimits codec;
};

class Service : public HttpHandler {
 public:
  Service(Repository& repo, ServiceOptions opts);
  void handle(const HttpRequest& rq, HttpResponse& rs) override;
  void set_ready(bool r) { ready_.store(r); }
  bool ready() const { return ready_.load(); }
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

  struct Thread;  // per-thread codec + sessions

 private:
  void infer(const HttpRequest& rq, HttpResponse& rs, std::string_view name, std::string_view version);
  void admin(const HttpRequest& rq, HttpResponse& rs, std::string_view rest);
  void metrics(HttpResponse& rs);
  Thread& thread();

  Repository& repo_;
  ServiceOptions opts_;
  std::atomic<bool> ready_{false};
  std::atomic<uint64_t> requests_{0};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// A JSON error answer {"error": msg}.
void error_answer(HttpResponse& rs, int status, std::string_view msg);

}  // namespace rtml::server
