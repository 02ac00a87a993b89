// batcher.hpp - optional micro-batching for one model version: concurrent single-row requests
// wait up to max_wait_us in a bounded queue, are stacked along axis 0 into one run on the
// batcher's own thread and Session, and each gets its own row of the outputs back.
//
// Enabled per model by config.json {"max_batch": 16, "max_wait_us": 500, "max_queue": 1024} or
// by `rtml serve --max-batch N --max-wait-us N --max-queue N`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rtml/rtml.hpp"
#include "server/http.hpp"
#include "server/metrics.hpp"
#include "server/v2_codec.hpp"

namespace rtml::server {

struct BatchOptions {
  int max_batch = 0;        // 0 or 1: off
  int max_wait_us = 500;    // the longest a request waits for company
  int max_queue = 1024;     // beyond: 503 at once
};

class Batcher {
 public:
  Batcher(std::shared_ptr<const Model> model, std::string name, std::string version, BatchOptions opts,
          std::shared_ptr<ModelMetrics> metrics);
  ~Batcher();  // answers what is queued, then stops its thread
  // Queues one decoded single-row request; false if the queue is full (answer 503).
  bool submit(const InferCall& call, std::shared_ptr<Deferred> d, std::chrono::steady_clock::time_point received);
  // True if `call` can join a batch (every given input has axis 0 of 1, no defaults).
  static bool batchable(const InferCall& call);

 private:
  struct Item {
    InferCall call;                   // id/parameters re-pointed at the owned copies below
    std::string id;
    std::vector<Tensor> inputs;       // owned copies of the request's inputs
    std::shared_ptr<Deferred> d;
    std::chrono::steady_clock::time_point received;
  };
  void loop();
  void run_batch(std::vector<Item>& items);

  std::shared_ptr<const Model> model_;
  std::string name_, version_;
  BatchOptions opts_;
  std::shared_ptr<ModelMetrics> metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::thread thread_;
  // Used by the batcher thread only.
  std::unique_ptr<Session> session_;
  V2Codec codec_;
  std::vector<std::vector<uint64_t>> stacked_;
  std::vector<TensorView> batch_in_;
  std::vector<Value> batch_out_, row_out_;
};

}  // namespace rtml::server
