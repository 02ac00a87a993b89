// service.cc - KServe v2 routes over the transport-independent HttpRequest/HttpResponse.
#include "server/service.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "server/json_out.hpp"

namespace rtml::server {

using Clock = std::chrono::steady_clock;

static int64_t us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

void error_answer(HttpResponse& rs, int status, std::string_view msg) {
  rs.status = status;
  rs.content_type = "application/json";
  rs.inference_header_length = -1;
  rs.body.clear();
  rs.body += "{\"error\":";
  json::str(rs.body, msg);
  rs.body += "}";
}

struct Service::Thread {
  struct Slot {
    std::shared_ptr<const ModelEntry> e;
    std::unique_ptr<Session> s;
  };
  explicit Thread(CodecLimits l) : codec(l) {}
  V2Codec codec;
  InferCall call;
  std::vector<Value> values;
  uint64_t gen = 0;
  std::vector<Slot> slots;
  std::vector<std::shared_ptr<const ModelEntry>> snap;

  void refresh(const Repository& repo) {
    uint64_t g = repo.generation();
    if (g == gen) return;
    repo.snapshot(snap);
    std::vector<Slot> next;
    next.reserve(snap.size());
    for (auto& e : snap) {
      Slot s{e, nullptr};
      for (Slot& old : slots)
        if (old.e == e) s.s = std::move(old.s);
      next.push_back(std::move(s));
    }
    slots = std::move(next);  // sessions of replaced versions go here, on their own thread
    gen = g;
  }
  Slot* find(std::string_view name) {
    for (Slot& s : slots)
      if (s.e->name == name) return &s;
    return nullptr;
  }
};

Service::Service(Repository& repo, ServiceOptions opts) : repo_(repo), opts_(std::move(opts)) {}

Service::Thread& Service::thread() {
  struct Holder {
    const Service* owner = nullptr;
    std::unique_ptr<Thread> t;
  };
  thread_local Holder h;
  if (h.owner != this || !h.t) {
    h.t = std::make_unique<Thread>(opts_.codec);
    h.owner = this;
  }
  return *h.t;
}

// Splits "/a/b/c" style paths: the next segment of `rest`.
static std::string_view next_segment(std::string_view& rest) {
  size_t s = rest.find('/');
  std::string_view seg = rest.substr(0, s);
  rest = s == std::string_view::npos ? std::string_view() : rest.substr(s + 1);
  return seg;
}

void Service::handle(const HttpRequest& rq, HttpResponse& rs) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  try {
    std::string_view p = rq.path;
    bool get = rq.method == "GET" || rq.method == "HEAD";
    bool post = rq.method == "POST";
    if (p == "/v2/health/live") {
      if (!get) return error_answer(rs, 405, "method not allowed");
      rs.body = "{\"live\":true}";
      return;
    }
    if (p == "/v2/health/ready") {
      if (!get) return error_answer(rs, 405, "method not allowed");
      bool r = ready();
      rs.status = r ? 200 : 503;
      rs.body = r ? "{\"ready\":true}" : "{\"ready\":false}";
      return;
    }
    if (p == "/v2" || p == "/v2/") {
      if (!get) return error_answer(rs, 405, "method not allowed");
      rs.body = "{\"name\":\"rtml\",\"version\":";
      json::str(rs.body, version());
      rs.body += ",\"extensions\":[\"binary_tensor_data\",\"records\",\"metrics\"";
      if (!opts_.admin_token.empty()) rs.body += ",\"model_repository\"";
      rs.body += "]}";
      return;
    }
    if (p == "/metrics") {
      if (!get) return error_answer(rs, 405, "method not allowed");
      return metrics(rs);
    }
    if (p.starts_with("/v2/repository/")) return admin(rq, rs, p.substr(15));
    if (p.starts_with("/v2/models/")) {
      std::string_view rest = p.substr(11);
      std::string_view name = next_segment(rest);
      std::string_view version;
      if (rest.starts_with("versions/")) {
        rest.remove_prefix(9);
        version = next_segment(rest);
      }
      if (rest == "infer") {
        if (!post) return error_answer(rs, 405, "use POST for infer");
        return infer(rq, rs, name, version);
      }
      if (!rest.empty() && rest != "ready") return error_answer(rs, 404, "not found");
      if (!get) return error_answer(rs, 405, "method not allowed");
      Thread& t = thread();
      t.refresh(repo_);
      Thread::Slot* s = t.find(name);
      if (!s) return error_answer(rs, 404, "unknown model '" + std::string(name) + "'");
      if (!version.empty() && version != s->e->version)
        return error_answer(rs, 404, "model '" + std::string(name) + "' has no version '" + std::string(version) + "'");
      if (rest.empty()) {
        rs.body = s->e->metadata;
      } else {
        rs.body = "{\"name\":";
        json::str(rs.body, s->e->name);
        rs.body += ",\"ready\":true}";
      }
      return;
    }
    error_answer(rs, 404, "not found");
  } catch (...) {
    error_answer(rs, 500, "internal error");
  }
}

void Service::infer(const HttpRequest& rq, HttpResponse& rs, std::string_view name, std::string_view version) {
  Thread& t = thread();
  t.refresh(repo_);
  Thread::Slot* slot = t.find(name);
  if (!slot) return error_answer(rs, 404, "unknown model '" + std::string(name) + "'");
  std::shared_ptr<const ModelEntry> e = slot->e;  // this version serves the whole request
  if (!version.empty() && version != e->version)
    return error_answer(rs, 404, "model '" + e->name + "' has no version '" + std::string(version) + "'");
  ModelMetrics& m = *e->metrics;
  m.requests.fetch_add(1, std::memory_order_relaxed);
  auto fail = [&](int status, std::string_view msg) {
    m.failures.fetch_add(1, std::memory_order_relaxed);
    error_answer(rs, status, msg);
  };
  std::string_view ct = rq.header("content-type");
  if (!ct.empty() && !ct.starts_with("application/json") && !ct.starts_with("application/octet-stream") &&
      !ct.starts_with("text/plain") && !ct.starts_with("application/x-www-form-urlencoded"))
    return fail(415, "unsupported Content-Type (use application/json)");
  std::string_view json = rq.body, binary;
  std::string_view ihcl = rq.header("inference-header-content-length");
  if (!ihcl.empty()) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(ihcl.data(), ihcl.data() + ihcl.size(), n);
    if (ec != std::errc() || ptr != ihcl.data() + ihcl.size() || n > rq.body.size())
      return fail(400, "bad Inference-Header-Content-Length");
    json = rq.body.substr(0, n);
    binary = rq.body.substr(n);
  }
  const Model& model = *e->model;
  Error err = t.codec.decode(json, binary, model.inputs(), model.outputs(), t.call);
  if (!err.ok()) return fail(err.status, err.message);
  if (e->max_rows && t.call.rows > e->max_rows)
    return fail(400, std::to_string(t.call.rows) + " rows, the model's limit is " + std::to_string(e->max_rows));
  if (e->batcher && Batcher::batchable(t.call)) {
    if (!e->batcher->submit(t.call, rs.defer(), rq.received)) {
      rs.deferred_ = false;
      return fail(503, "the model's queue is full, retry later");
    }
    return;
  }
  if (!slot->s) slot->s = std::make_unique<Session>(e->model);
  t.values.resize(model.outputs().size());
  auto t1 = Clock::now();
  Status st = slot->s->run(t.call.inputs, t.values);
  auto t2 = Clock::now();
  if (!st.ok()) {
    if (st.code() == StatusCode::InvalidInput) return fail(400, st.message());
    std::fprintf(stderr, "rtml serve: model '%s' failed a run: %s\n", e->name.c_str(), st.message().c_str());
    return fail(500, "inference failed");
  }
  t.codec.encode(t.call, e->name, e->version, model.outputs(), t.values, rs.body, &rs.inference_header_length);
  if (rs.inference_header_length >= 0) rs.content_type = "application/octet-stream";
  auto t3 = Clock::now();
  m.rows.fetch_add(static_cast<uint64_t>(t.call.rows), std::memory_order_relaxed);
  m.queue_us.observe(us_between(rq.received, t1));
  m.compute_us.observe(us_between(t1, t2));
  m.total_us.observe(us_between(rq.received, t3));
}

// Constant time in the token's length: every byte is compared whatever the first mismatch.
static bool token_matches(std::string_view got, const std::string& want) {
  unsigned diff = got.size() != want.size();
  for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(want[i]) ^ static_cast<unsigned char>(i < got.size() ? got[i] : 0);
  return diff == 0;
}

void Service::admin(const HttpRequest& rq, HttpResponse& rs, std::string_view rest) {
  if (opts_.admin_token.empty())
    return error_answer(rs, 403, "model management is off (start rtml serve with --admin-token)");
  std::string_view auth = rq.header("authorization");
  if (!auth.starts_with("Bearer ") || !token_matches(auth.substr(7), opts_.admin_token))
    return error_answer(rs, 401, "missing or wrong bearer token");
  if (rest == "index") {
    if (rq.method != "GET" && rq.method != "POST") return error_answer(rs, 405, "method not allowed");
    rs.body = "[";
    bool first = true;
    for (const ModelState& s : repo_.index()) {
      if (!first) rs.body += ",";
      first = false;
      rs.body += "{\"name\":";
      json::str(rs.body, s.name);
      if (!s.version.empty()) {
        rs.body += ",\"version\":";
        json::str(rs.body, s.version);
      }
      rs.body += ",\"state\":\"" + s.state + "\"";
      if (!s.reason.empty()) {
        rs.body += ",\"reason\":";
        json::str(rs.body, s.reason);
      }
      rs.body += "}";
    }
    rs.body += "]";
    return;
  }
  if (!rest.starts_with("models/")) return error_answer(rs, 404, "not found");
  rest.remove_prefix(7);
  std::string name(next_segment(rest));
  if (rq.method != "POST") return error_answer(rs, 405, "use POST");
  if (rest == "load") {
    bool bytes = rq.header("content-type").starts_with("application/octet-stream") && !rq.body.empty();
    Status st = bytes ? repo_.load_bytes(name, rq.body) : repo_.load(name);
    if (!st.ok()) {
      if (!bytes && st.code() == StatusCode::Error) return error_answer(rs, 404, st.message());
      return error_answer(rs, 400, "failed to load model '" + name + "': " + st.message());
    }
    rs.body = "{}";
    return;
  }
  if (rest == "unload") {
    if (!repo_.unload(name)) return error_answer(rs, 404, "model '" + name + "' is not loaded");
    rs.body = "{}";
    return;
  }
  error_answer(rs, 404, "not found");
}

void Service::metrics(HttpResponse& rs) {
  rs.content_type = "text/plain; version=0.0.4";
  std::string& o = rs.body;
  repo_.write_metrics(o);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  char b[64];
  std::snprintf(b, sizeof b, "%.3f", cpu);
  o += "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ";
  o += b;
  long pages = 0, rss = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    std::fclose(f);
  }
  o += "\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ";
  json::num(o, static_cast<int64_t>(rss) * sysconf(_SC_PAGESIZE));
  o += "\n# TYPE rtml_http_requests_total counter\nrtml_http_requests_total ";
  json::num(o, requests());
  o += "\n# TYPE rtml_ready gauge\nrtml_ready ";
  o += ready() ? "1" : "0";
  o += "\n";
}

}  // namespace rtml::server
