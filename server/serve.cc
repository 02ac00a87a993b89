// serve.cc - `rtml serve`: command line, start-up banner, signals (SIGTERM/SIGINT drain), the
// periodic summary line.
#include "server/serve.hpp"

#include <signal.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "server/server.hpp"

namespace rtml::server {

namespace fs = std::filesystem;

const char* serve_usage() {
  return "usage: rtml serve MODEL.onnx | --model-repository DIR [options]\n"
         "  --model-repository DIR   Triton/KServe layout: DIR/<name>/<version>/model.onnx\n"
         "  --model_dir DIR|FILE     KServe alias (a folder with one .onnx, a repository, or a file)\n"
         "  --model_name NAME        name of the single model (default: the file name)\n"
         "  --host ADDR              default 127.0.0.1\n"
         "  --port N, --http_port N  default 8080 (0: any free port)\n"
         "  --admin-token T          enables /v2/repository/* with 'Authorization: Bearer T'\n"
         "                           (or environment RTML_ADMIN_TOKEN)\n"
         "  --threads N              event loops (default: one per core)\n"
         "  --model-threads N        threads per inference (default 1)\n"
         "  --max-body-bytes N       default 67108864 (413 above)\n"
         "  --max-rows N             rows per request, default 1048576\n"
         "  --max-header-bytes N     default 16384 (431 above)\n"
         "  --max-headers N          default 64\n"
         "  --max-connections N      default 4096 (503 above)\n"
         "  --read-timeout-ms N      whole request, default 30000\n"
         "  --write-timeout-ms N     whole answer, default 30000\n"
         "  --idle-timeout-ms N      keep-alive, default 60000\n"
         "  --max-batch N            micro-batching: merge up to N single-row requests (default off)\n"
         "  --max-wait-us N          micro-batching: longest wait for company, default 500\n"
         "  --max-queue N            micro-batching: queued requests before 503, default 1024\n"
         "  --drain-timeout-s N      SIGTERM: seconds to finish requests, default 20\n"
         "  --log-interval-s N       summary line period, default 60 (0: off)\n"
         "  --quiet                  no log lines\n"
         "  --floor                  benchmark aid: answer every request with a fixed body\n";
}

int parse_serve_args(int argc, char** argv, ServeOptions* o, bool* exit_now, std::string* error) {
  *exit_now = false;
  if (const char* tok = std::getenv("RTML_ADMIN_TOKEN")) o->admin_token = tok;
  std::string model_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string val;
    bool has_val = false;
    if (a.starts_with("--")) {
      size_t eq = a.find('=');
      if (eq != std::string::npos) {
        val = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_val = true;
      }
    }
    auto value = [&](std::string* out) {
      if (has_val) return *out = val, true;
      if (i + 1 >= argc) return *error = a + " needs a value", false;
      *out = argv[++i];
      return true;
    };
    auto number = [&](auto* out) {
      std::string s;
      if (!value(&s)) return false;
      long long v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || p != s.data() + s.size() || v < 0) return *error = a + ": not a number: " + s, false;
      *out = static_cast<std::remove_reference_t<decltype(*out)>>(v);
      return true;
    };
    bool ok = true;
    if (a == "-h" || a == "--help") {
      std::fputs(serve_usage(), stdout);
      *exit_now = true;
      return 0;
    } else if (a == "--model-repository" || a == "--model_repository") ok = value(&o->repository);
    else if (a == "--model_dir" || a == "--model-dir") ok = value(&model_dir);
    else if (a == "--model_name" || a == "--model-name") ok = value(&o->model_name);
    else if (a == "--host") ok = value(&o->host);
    else if (a == "--port" || a == "--http_port" || a == "--http-port") ok = number(&o->port);
    else if (a == "--admin-token" || a == "--admin_token") ok = value(&o->admin_token);
    else if (a == "--threads") ok = number(&o->threads);
    else if (a == "--model-threads") ok = number(&o->model_threads);
    else if (a == "--max-body-bytes") ok = number(&o->http.max_body_bytes);
    else if (a == "--max-rows") ok = number(&o->codec.max_rows);
    else if (a == "--max-header-bytes") ok = number(&o->http.max_header_bytes);
    else if (a == "--max-headers") ok = number(&o->http.max_headers);
    else if (a == "--max-connections") ok = number(&o->http.max_connections);
    else if (a == "--read-timeout-ms") ok = number(&o->http.read_timeout_ms);
    else if (a == "--write-timeout-ms") ok = number(&o->http.write_timeout_ms);
    else if (a == "--idle-timeout-ms") ok = number(&o->http.idle_timeout_ms);
    else if (a == "--drain-timeout-s") ok = number(&o->drain_timeout_s);
    else if (a == "--log-interval-s") ok = number(&o->log_interval_s);
    else if (a == "--quiet") o->quiet = true;
    else if (a == "--floor") o->floor = true;
    else if (a == "--max-batch") ok = number(&o->batch.max_batch);
    else if (a == "--max-wait-us") ok = number(&o->batch.max_wait_us);
    else if (a == "--max-queue") ok = number(&o->batch.max_queue);
    else if (a.starts_with("-")) return *error = "unknown option " + a, 2;
    else if (o->model_path.empty()) o->model_path = a;
    else return *error = "more than one model file given (use --model-repository for several)", 2;
    if (!ok) return 2;
  }
  if (!model_dir.empty()) {
    // KServe's --model_dir: a file, a folder holding one .onnx, or a repository.
    std::error_code ec;
    if (fs::is_regular_file(model_dir, ec)) {
      o->model_path = model_dir;
    } else {
      std::vector<fs::path> onnx;
      for (auto& e : fs::directory_iterator(model_dir, ec))
        if (e.is_regular_file(ec) && e.path().extension() == ".onnx") onnx.push_back(e.path());
      if (onnx.size() == 1) o->model_path = onnx[0].string();
      else o->repository = model_dir;
    }
  }
  if (o->model_path.empty() && o->repository.empty()) return *error = "give a MODEL.onnx or --model-repository DIR", 2;
  if (o->port > 65535) return *error = "--port out of range", 2;
  if (o->model_name.empty() && !o->model_path.empty()) o->model_name = fs::path(o->model_path).stem().string();
  return 0;
}

// --floor: what the transport costs with no protocol work at all (a fixed v2-shaped answer).
struct FloorHandler : HttpHandler {
  void handle(const HttpRequest& rq, HttpResponse& rs) override {
    if (rq.path.ends_with("/ready")) {
      rs.body = "{\"ready\":true}";
      return;
    }
    rs.body = "{\"model_name\":\"floor\",\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}";
  }
};

Server::Server(ServeOptions o) : opts_(std::move(o)) {
  if (opts_.threads <= 0) opts_.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  repo_ = std::make_unique<Repository>(opts_.repository, opts_.model_threads, opts_.quiet, opts_.batch);
  if (!opts_.model_path.empty()) repo_->add_file(opts_.model_name, opts_.model_path);
  service_ = std::make_unique<Service>(*repo_, ServiceOptions{opts_.admin_token, opts_.codec});
  if (opts_.floor) floor_ = std::make_unique<FloorHandler>();
  http_ = std::make_unique<HttpServer>(floor_ ? *floor_ : static_cast<HttpHandler&>(*service_), opts_.http, opts_.threads);
}

Server::~Server() { stop(); }

bool Server::start(std::string* error) {
  if (!http_->listen(opts_.host, opts_.port, error)) return false;
  http_->start();
  for (const std::string& name : opts_.floor ? std::vector<std::string>{} : repo_->known_names()) {
    Status st = repo_->load(name);
    if (!st.ok() && !opts_.model_path.empty()) {
      *error = "cannot load " + opts_.model_path + ": " + st.message();
      stop();
      return false;
    }
  }
  service_->set_ready(true);
  return true;
}

bool Server::drain(std::chrono::milliseconds deadline) {
  service_->set_ready(false);
  http_->drain();
  return http_->wait(std::chrono::steady_clock::now() + deadline);
}

void Server::stop() {
  if (http_) http_->stop();
}

// A curl line a user can paste: zeros of the right shape for every input.
static std::string curl_example(const std::string& base, const ModelEntry& e) {
  std::string body = "{\"inputs\":[";
  const auto& ins = e.model->inputs();
  for (size_t i = 0; i < ins.size(); ++i) {
    const IOInfo& io = ins[i];
    std::vector<int64_t> dims = io.has_shape ? io.dims : std::vector<int64_t>{1};
    int64_t n = 1;
    std::string shape;
    for (size_t d = 0; d < dims.size(); ++d) {
      int64_t v = dims[d] < 0 ? 1 : dims[d];
      n *= v;
      shape += (d ? "," : "") + std::to_string(v);
    }
    if (n > 64) return "curl -s " + base + "/v2/models/" + e.name;
    std::string data;
    const char* zero = io.dtype == DType::String ? "\"a\"" : io.dtype == DType::Bool ? "false" : "0";
    for (int64_t k = 0; k < n; ++k) data += (k ? "," : "") + std::string(zero);
    body += (i ? "," : "") + std::string("{\"name\":\"") + io.name + "\",\"shape\":[" + shape +
            "],\"datatype\":\"" + v2_name(io.dtype) + "\",\"data\":[" + data + "]}";
  }
  body += "]}";
  return "curl -s " + base + "/v2/models/" + e.name + "/infer -d '" + body + "'";
}

int serve_main(int argc, char** argv) {
  ServeOptions o;
  bool exit_now = false;
  std::string err;
  int rc = parse_serve_args(argc, argv, &o, &exit_now, &err);
  if (rc || exit_now) {
    if (rc) std::fprintf(stderr, "rtml serve: %s\n%s", err.c_str(), serve_usage());
    return rc;
  }
  // The loops inherit this mask: only this thread takes SIGTERM/SIGINT (sigtimedwait below).
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Server server(o);
  if (!server.start(&err)) {
    std::fprintf(stderr, "rtml serve: %s\n", err.c_str());
    return 1;
  }
  std::string base = "http://" + o.host + ":" + std::to_string(server.port());
  std::printf("rtml serve: listening on %s (%d threads)\n", base.c_str(), server.options().threads);
  std::vector<std::shared_ptr<const ModelEntry>> snap;
  server.repository().snapshot(snap);
  for (auto& e : snap) std::printf("  try: %s\n", curl_example(base, *e).c_str());
  std::fflush(stdout);

  auto last = std::chrono::steady_clock::now();
  uint64_t last_requests = server.service().requests();
  for (;;) {
    timespec ts{1, 0};
    int sig = sigtimedwait(&sigs, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) break;
    auto now = std::chrono::steady_clock::now();
    if (o.log_interval_s > 0 && !o.quiet && now - last >= std::chrono::seconds(o.log_interval_s)) {
      uint64_t r = server.service().requests();
      if (r != last_requests)
        std::fprintf(stderr, "rtml serve: %llu requests in the last %d s, %zu models loaded\n",
                     static_cast<unsigned long long>(r - last_requests), o.log_interval_s,
                     server.repository().loaded());
      last = now;
      last_requests = r;
    }
  }
  if (!o.quiet) std::fprintf(stderr, "rtml serve: draining (up to %d s)\n", o.drain_timeout_s);
  bool clean = server.drain(std::chrono::seconds(o.drain_timeout_s));
  if (!o.quiet) std::fprintf(stderr, "rtml serve: %s\n", clean ? "stopped" : "drain deadline passed, stopped");
  return 0;
}

}  // namespace rtml::server
