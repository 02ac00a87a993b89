// batcher.cc - micro-batching: queue, stack rows, one run, split the outputs back per request.
#include "server/batcher.hpp"

#include <cstdio>
#include <cstring>

#include "server/service.hpp"

namespace rtml::server {

using Clock = std::chrono::steady_clock;

static int64_t us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

Batcher::Batcher(std::shared_ptr<const Model> model, std::string name, std::string version, BatchOptions opts,
                 std::shared_ptr<ModelMetrics> metrics)
    : model_(std::move(model)), name_(std::move(name)), version_(std::move(version)), opts_(opts),
      metrics_(std::move(metrics)) {
  session_ = std::make_unique<Session>(model_);
  thread_ = std::thread([this] { loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Batcher::batchable(const InferCall& call) {
  if (call.rows != 1) return false;
  for (const TensorView& t : call.inputs)
    if (!t.data || t.shape.rank() == 0 || t.shape[0] != 1) return false;
  return true;
}

bool Batcher::submit(const InferCall& call, std::shared_ptr<Deferred> d, Clock::time_point received) {
  Item it;
  it.call.records = call.records;
  it.call.parameters = call.parameters;
  it.call.outputs = call.outputs;
  it.call.rows = 1;
  it.call.has_id = call.has_id;
  it.id.assign(call.id.data(), call.id.size());
  for (const TensorView& t : call.inputs) it.inputs.push_back(Tensor::from_view(t));
  it.d = std::move(d);
  it.received = received;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (static_cast<int>(queue_.size()) >= opts_.max_queue) return false;
    queue_.push_back(std::move(it));
  }
  cv_.notify_one();
  return true;
}

// Inner dims (past axis 0) equal: those rows can be stacked.
static bool same_inner(const Batcher* /*unused*/, const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].dtype() != b[i].dtype() || a[i].shape() != b[i].shape()) return false;
  }
  return true;
}

void Batcher::loop() {
  std::vector<Item> batch;
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    // Wait for company: until the batch is full or the first request has waited max_wait_us.
    auto until = queue_.front().received + std::chrono::microseconds(opts_.max_wait_us);
    while (!stop_ && static_cast<int>(queue_.size()) < opts_.max_batch && Clock::now() < until)
      cv_.wait_until(lk, until);
    batch.clear();
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
    for (auto it = queue_.begin(); it != queue_.end() && static_cast<int>(batch.size()) < opts_.max_batch;) {
      if (same_inner(this, it->inputs, batch[0].inputs)) {
        batch.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    lk.unlock();
    run_batch(batch);
    lk.lock();
  }
}

void Batcher::run_batch(std::vector<Item>& items) {
  const int64_t n = static_cast<int64_t>(items.size());
  const auto& outs = model_->outputs();
  auto t1 = Clock::now();
  // Stack: input i of the batch is [n, inner...], row r from item r.
  size_t n_in = items[0].inputs.size();
  stacked_.resize(n_in);
  batch_in_.assign(n_in, TensorView());
  for (size_t i = 0; i < n_in; ++i) {
    const Tensor& first = items[0].inputs[i];
    size_t row_bytes = first.bytes();
    stacked_[i].resize((row_bytes * n + 7) / 8 + 1);
    char* dst = reinterpret_cast<char*>(stacked_[i].data());
    for (int64_t r = 0; r < n; ++r) std::memcpy(dst + r * row_bytes, items[r].inputs[i].raw(), row_bytes);
    Shape s = first.shape();
    s[0] = n;
    batch_in_[i] = TensorView(first.dtype(), s, dst);
  }
  batch_out_.resize(outs.size());
  Status st = session_->run(batch_in_, batch_out_);
  auto t2 = Clock::now();
  metrics_->batches.fetch_add(1, std::memory_order_relaxed);
  for (int64_t r = 0; r < n; ++r) {
    Item& it = items[r];
    HttpResponse& rs = it.d->response();
    ModelMetrics& m = *metrics_;
    if (!st.ok()) {
      m.failures.fetch_add(1, std::memory_order_relaxed);
      error_answer(rs, st.code() == StatusCode::InvalidInput ? 400 : 500,
                   st.code() == StatusCode::InvalidInput ? st.message() : "inference failed");
      it.d->finish();
      continue;
    }
    // Row r of every output that is row-shaped; the whole value otherwise.
    row_out_.resize(batch_out_.size());
    for (size_t j = 0; j < batch_out_.size(); ++j) {
      Value v = batch_out_[j];
      TensorView& t = v.tensor;
      if (t.shape.rank() > 0 && t.shape[0] == n) {
        size_t row_bytes = t.bytes() / static_cast<size_t>(n);
        t.data = static_cast<char*>(t.data) + row_bytes * r;
        t.shape[0] = 1;
      }
      row_out_[j] = v;
    }
    it.call.id = it.id;
    int64_t hl = -1;
    rs.status = 200;
    codec_.encode(it.call, name_, version_, outs, row_out_, rs.body, &hl);
    rs.inference_header_length = hl;
    rs.content_type = hl >= 0 ? "application/octet-stream" : "application/json";
    m.rows.fetch_add(1, std::memory_order_relaxed);
    m.queue_us.observe(us_between(it.received, t1));
    m.compute_us.observe(us_between(t1, t2));
    m.total_us.observe(us_between(it.received, Clock::now()));
    it.d->finish();
  }
}

}  // namespace rtml::server
