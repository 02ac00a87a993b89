// repository.hpp - the models being served: loading (from a Triton/KServe layout folder, a file,
// or bytes), atomic swaps, unloading, the v2 repository index and per-model metrics.
//
// Layout: DIR/<name>/<version>/model.onnx (the highest numeric version is served), or
// DIR/<name>/model.onnx (version "1"); optional DIR/<name>/config.json:
//   {"threads": 1, "max_rows": 4096, "max_batch": 16, "max_wait_us": 500, "max_queue": 1024}
//
// Readers take a snapshot of the published entries when generation() moved; an entry is immutable
// and held by shared_ptr, so a request in flight finishes on the version it started with.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rtml/rtml.hpp"
#include "server/batcher.hpp"
#include "server/metrics.hpp"

namespace rtml::server {

struct ModelEntry {
  std::string name, version;
  std::shared_ptr<const Model> model;
  std::string metadata;                    // the GET /v2/models/{name} answer
  std::shared_ptr<ModelMetrics> metrics;   // per (name, version)
  int64_t max_rows = 0;                    // 0: the server's limit
  std::shared_ptr<Batcher> batcher;        // micro-batching, or null
};

struct ModelState {
  std::string name, version, state, reason;  // state: READY or UNAVAILABLE
};

class Repository {
 public:
  // dir: a model repository folder or "". model_threads: ModelOptions::threads for every model
  // unless its config.json says otherwise.
  Repository(std::string dir, int model_threads, bool quiet, BatchOptions batch = {});

  // Registers one file served under `name` (rtml serve MODEL.onnx); load(name) then reads it.
  void add_file(const std::string& name, const std::string& path);
  // Every model found in the folder plus the registered files.
  std::vector<std::string> known_names() const;
  // Loads (or reloads) `name` from its file or folder and swaps it in. On failure the previous
  // version keeps serving. Status code Error with "unknown model" when there is no source.
  Status load(const std::string& name);
  // Loads from .onnx bytes (the repository extension's load with a body).
  Status load_bytes(const std::string& name, std::string_view bytes);
  bool unload(const std::string& name);

  std::vector<ModelState> index() const;
  uint64_t generation() const { return gen_.load(std::memory_order_acquire); }
  void snapshot(std::vector<std::shared_ptr<const ModelEntry>>& out) const;
  size_t loaded() const;
  void write_metrics(std::string& o) const;

 private:
  Status publish(const std::string& name, const std::string& version, Result<std::shared_ptr<const Model>> r,
                 int64_t max_rows, BatchOptions batch);
  std::string dir_;
  int model_threads_;
  bool quiet_;
  BatchOptions batch_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;                            // name -> .onnx path
  std::map<std::string, std::shared_ptr<const ModelEntry>> live_;       // published
  std::map<std::string, std::string> failed_;                           // name -> last load error
  std::map<std::string, std::shared_ptr<ModelMetrics>> metrics_;        // "name\nversion"
  std::map<std::string, int64_t> versions_;                             // bytes loads count up
  std::atomic<uint64_t> gen_{1};
};

// The v2 model metadata JSON of a loaded model.
std::string model_metadata(const std::string& name, const std::string& version, const Model& m);

}  // namespace rtml::server
