// repository.cc - model loading, atomic publication, index and metrics text.
#include "server/repository.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/json_out.hpp"
#include "server/v2_codec.hpp"

namespace rtml::server {

namespace fs = std::filesystem;

std::string model_metadata(const std::string& name, const std::string& version, const Model& m) {
  std::string o = "{\"name\":";
  json::str(o, name);
  o += ",\"versions\":[";
  json::str(o, version);
  o += "],\"platform\":\"onnx\",\"inputs\":[";
  auto io_list = [&](const std::vector<IOInfo>& v) {
    for (size_t i = 0; i < v.size(); ++i) {
      const IOInfo& io = v[i];
      if (i) o += ',';
      o += "{\"name\":";
      json::str(o, io.name);
      o += ",\"datatype\":\"";
      o += v2_name(io.dtype);
      o += "\",\"shape\":[";
      if (io.kind == ValueKind::SequenceOfMaps) {
        o += "-1,-1";
      } else if (!io.has_shape) {
        o += "-1";
      } else {
        for (size_t d = 0; d < io.dims.size(); ++d) {
          if (d) o += ',';
          json::num(o, io.dims[d] < 0 ? int64_t{-1} : io.dims[d]);
        }
      }
      o += "]}";
    }
  };
  io_list(m.inputs());
  o += "],\"outputs\":[";
  io_list(m.outputs());
  o += "]}";
  return o;
}

Repository::Repository(std::string dir, int model_threads, bool quiet, BatchOptions batch)
    : dir_(std::move(dir)), model_threads_(model_threads), quiet_(quiet), batch_(batch) {}

void Repository::add_file(const std::string& name, const std::string& path) {
  std::lock_guard<std::mutex> g(mu_);
  files_[name] = path;
}

static bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 200 || n == "." || n == "..") return false;
  for (char c : n)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

std::vector<std::string> Repository::known_names() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [n, p] : files_) names.push_back(n);
  }
  if (!dir_.empty()) {
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir_, ec)) {
      std::string n = e.path().filename().string();
      if (e.is_directory(ec) && valid_name(n) && std::find(names.begin(), names.end(), n) == names.end())
        names.push_back(n);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

static bool read_all(const fs::path& p, std::string* out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return static_cast<bool>(f) || f.eof();
}

Status Repository::load(const std::string& name) {
  fs::path file, base;
  std::string version = "1";
  int threads = model_threads_;
  int64_t max_rows = 0;
  BatchOptions batch = batch_;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = files_.find(name);
    if (it != files_.end()) file = it->second;
  }
  if (file.empty() && !dir_.empty() && valid_name(name)) {
    fs::path mdir = fs::path(dir_) / name;
    std::error_code ec;
    int64_t best = -1;
    for (auto& e : fs::directory_iterator(mdir, ec)) {
      std::string v = e.path().filename().string();
      if (!e.is_directory(ec) || v.empty() || v.size() > 18 ||
          !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      if (fs::exists(e.path() / "model.onnx", ec) && std::stoll(v) > best) best = std::stoll(v);
    }
    if (best >= 0) {
      version = std::to_string(best);
      file = mdir / version / "model.onnx";
    } else if (fs::exists(mdir / "model.onnx", ec)) {
      file = mdir / "model.onnx";
    }
    simdjson::padded_string cfg;
    if (!file.empty() && simdjson::padded_string::load((mdir / "config.json").string()).get(cfg) == simdjson::SUCCESS) {
      simdjson::dom::parser p;
      simdjson::dom::element root;
      if (p.parse(cfg).get(root) == simdjson::SUCCESS) {
        int64_t v;
        if (root["threads"].get_int64().get(v) == simdjson::SUCCESS && v >= 0 && v <= 256) threads = static_cast<int>(v);
        if (root["max_rows"].get_int64().get(v) == simdjson::SUCCESS && v > 0) max_rows = v;
        if (root["max_batch"].get_int64().get(v) == simdjson::SUCCESS && v >= 0 && v <= 4096) batch.max_batch = static_cast<int>(v);
        if (root["max_wait_us"].get_int64().get(v) == simdjson::SUCCESS && v >= 0 && v <= 10000000) batch.max_wait_us = static_cast<int>(v);
        if (root["max_queue"].get_int64().get(v) == simdjson::SUCCESS && v > 0 && v <= 1000000) batch.max_queue = static_cast<int>(v);
      } else {
        return Status(StatusCode::InvalidModel, "config.json of model '" + name + "' is not valid JSON");
      }
    }
  }
  if (file.empty()) return Status(StatusCode::Error, "unknown model '" + name + "'");
  std::string bytes;
  if (!read_all(file, &bytes)) {
    std::lock_guard<std::mutex> g(mu_);
    failed_[name] = "cannot read the model file";
    return Status(StatusCode::InvalidModel, "model '" + name + "': cannot read the model file");
  }
  ModelOptions opts;
  opts.threads = threads;
  auto r = Model::load_bytes(bytes.data(), bytes.size(), opts, file.parent_path().string());
  return publish(name, version, std::move(r), max_rows, batch);
}

Status Repository::load_bytes(const std::string& name, std::string_view bytes) {
  if (!valid_name(name)) return Status(StatusCode::InvalidInput, "invalid model name");
  ModelOptions opts;
  opts.threads = model_threads_;
  auto r = Model::load_bytes(bytes.data(), bytes.size(), opts, "");
  std::string version;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = live_.find(name);
    int64_t prev = it == live_.end() ? 0 : std::max<int64_t>(versions_[name], std::atoll(it->second->version.c_str()));
    version = std::to_string(prev + 1);
    if (r.ok()) versions_[name] = prev + 1;
  }
  return publish(name, version, std::move(r), 0, batch_);
}

Status Repository::publish(const std::string& name, const std::string& version,
                           Result<std::shared_ptr<const Model>> r, int64_t max_rows, BatchOptions batch) {
  if (!r.ok()) {
    std::lock_guard<std::mutex> g(mu_);
    failed_[name] = r.status().message();
    if (!quiet_) std::fprintf(stderr, "rtml serve: model '%s' failed to load: %s\n", name.c_str(), r.status().message().c_str());
    return r.status();
  }
  auto e = std::make_shared<ModelEntry>();
  e->name = name;
  e->version = version;
  e->model = r.value();
  e->metadata = model_metadata(name, version, *e->model);
  e->max_rows = max_rows;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto& m = metrics_[name + "\n" + version];
    if (!m) m = std::make_shared<ModelMetrics>();
    e->metrics = m;
    if (batch.max_batch > 1) e->batcher = std::make_shared<Batcher>(e->model, name, version, batch, m);
    live_[name] = std::move(e);
    failed_.erase(name);
    gen_.fetch_add(1, std::memory_order_acq_rel);
  }
  if (!quiet_) std::fprintf(stderr, "rtml serve: model '%s' version %s loaded\n", name.c_str(), version.c_str());
  return {};
}

bool Repository::unload(const std::string& name) {
  std::lock_guard<std::mutex> g(mu_);
  if (!live_.erase(name)) return false;
  gen_.fetch_add(1, std::memory_order_acq_rel);
  if (!quiet_) std::fprintf(stderr, "rtml serve: model '%s' unloaded\n", name.c_str());
  return true;
}

std::vector<ModelState> Repository::index() const {
  std::vector<ModelState> out;
  std::vector<std::string> names = known_names();
  std::lock_guard<std::mutex> g(mu_);
  for (auto& [n, e] : live_)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    ModelState s{n, "", "UNAVAILABLE", ""};
    if (auto it = live_.find(n); it != live_.end()) {
      s.version = it->second->version;
      s.state = "READY";
    } else if (auto f = failed_.find(n); f != failed_.end()) {
      s.reason = f->second;
    } else {
      s.reason = "unloaded";
    }
    out.push_back(std::move(s));
  }
  return out;
}

void Repository::snapshot(std::vector<std::shared_ptr<const ModelEntry>>& out) const {
  out.clear();
  std::lock_guard<std::mutex> g(mu_);
  for (auto& [n, e] : live_) out.push_back(e);
}

size_t Repository::loaded() const {
  std::lock_guard<std::mutex> g(mu_);
  return live_.size();
}

void Repository::write_metrics(std::string& o) const {
  std::lock_guard<std::mutex> g(mu_);
  o += "# TYPE rtml_models_loaded gauge\nrtml_models_loaded ";
  json::num(o, live_.size());
  o += "\n";
  const char* counters[] = {"requests", "failures", "rows", "batches"};
  for (int c = 0; c < 4; ++c) {
    o += "# TYPE rtml_model_";
    o += counters[c];
    o += "_total counter\n";
    for (auto& [key, m] : metrics_) {
      size_t nl = key.find('\n');
      std::string labels = "model=\"" + key.substr(0, nl) + "\",version=\"" + key.substr(nl + 1) + "\"";
      const std::atomic<uint64_t>& v = c == 0 ? m->requests : c == 1 ? m->failures : c == 2 ? m->rows : m->batches;
      o += "rtml_model_";
      o += counters[c];
      o += "_total{" + labels + "} ";
      json::num(o, v.load(std::memory_order_relaxed));
      o += "\n";
    }
  }
  const char* hists[] = {"queue", "compute", "total"};
  for (int h = 0; h < 3; ++h) {
    std::string name = std::string("rtml_model_") + hists[h] + "_seconds";
    o += "# TYPE " + name + " histogram\n";
    for (auto& [key, m] : metrics_) {
      size_t nl = key.find('\n');
      std::string labels = "model=\"" + key.substr(0, nl) + "\",version=\"" + key.substr(nl + 1) + "\"";
      const Histogram& hh = h == 0 ? m->queue_us : h == 1 ? m->compute_us : m->total_us;
      hh.write(o, name, labels);
    }
  }
}

void Histogram::write(std::string& o, const std::string& name, const std::string& labels) const {
  uint64_t cum = 0;
  char b[32];
  for (size_t i = 0; i <= kBoundsUs.size(); ++i) {
    cum += counts_[i].load(std::memory_order_relaxed);
    o += name + "_bucket{" + labels + ",le=\"";
    if (i < kBoundsUs.size()) {
      std::snprintf(b, sizeof b, "%g", static_cast<double>(kBoundsUs[i]) / 1e6);
      o += b;
    } else {
      o += "+Inf";
    }
    o += "\"} ";
    json::num(o, cum);
    o += "\n";
  }
  std::snprintf(b, sizeof b, "%.6f", static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  o += name + "_sum{" + labels + "} " + b + "\n";
  o += name + "_count{" + labels + "} ";
  json::num(o, cum);
  o += "\n";
}

}  // namespace rtml::server
