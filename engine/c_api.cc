// c_api.cc - the C API over the C++ one: handles, status codes, a per-thread error message.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rtml/rtml.h"
#include "rtml/rtml.hpp"

struct rtml_model {
  std::shared_ptr<const rtml::Model> model;
};

struct rtml_session {
  rtml::Session session;
  std::vector<rtml::TensorView> in;
  std::vector<rtml::Value> out;
  explicit rtml_session(std::shared_ptr<const rtml::Model> m)
      : session(m), in(m->inputs().size()), out(m->outputs().size()) {}
};

namespace {

thread_local std::string g_error;

rtml_status report(const rtml::Status& s) {
  g_error = s.message();
  return static_cast<rtml_status>(s.code());
}

rtml_status finish_load(rtml::Result<std::shared_ptr<const rtml::Model>> r, rtml_model** out) {
  if (!r.ok()) return report(r.status());
  *out = new (std::nothrow) rtml_model{std::move(r.value())};
  if (!*out) return report(rtml::Status(rtml::StatusCode::Error, "out of memory"));
  g_error.clear();
  return RTML_OK;
}

}  // namespace

extern "C" {

const char* rtml_last_error(void) { return g_error.c_str(); }
const char* rtml_version(void) { return rtml::version(); }

rtml_status rtml_model_load(const char* path, int threads, rtml_model** out) {
  if (!path || !out) return report(rtml::Status(rtml::StatusCode::Error, "rtml_model_load: null argument"));
  try {
    rtml::ModelOptions o;
    o.threads = threads;
    return finish_load(rtml::Model::load(path, o), out);
  } catch (...) {
    return report(rtml::Status(rtml::StatusCode::Error, "rtml_model_load: internal error"));
  }
}

rtml_status rtml_model_load_bytes(const void* data, size_t size, int threads, rtml_model** out) {
  if (!data || !out) return report(rtml::Status(rtml::StatusCode::Error, "rtml_model_load_bytes: null argument"));
  try {
    rtml::ModelOptions o;
    o.threads = threads;
    return finish_load(rtml::Model::load_bytes(data, size, o), out);
  } catch (...) {
    return report(rtml::Status(rtml::StatusCode::Error, "rtml_model_load_bytes: internal error"));
  }
}

void rtml_model_release(rtml_model* model) { delete model; }

size_t rtml_model_input_count(const rtml_model* m) { return m ? m->model->inputs().size() : 0; }
size_t rtml_model_output_count(const rtml_model* m) { return m ? m->model->outputs().size() : 0; }
const char* rtml_model_input_name(const rtml_model* m, size_t i) {
  return m && i < m->model->inputs().size() ? m->model->inputs()[i].name.c_str() : nullptr;
}
const char* rtml_model_output_name(const rtml_model* m, size_t i) {
  return m && i < m->model->outputs().size() ? m->model->outputs()[i].name.c_str() : nullptr;
}
rtml_dtype rtml_model_input_dtype(const rtml_model* m, size_t i) {
  return m && i < m->model->inputs().size() ? static_cast<rtml_dtype>(m->model->inputs()[i].dtype) : RTML_UNDEFINED;
}
int32_t rtml_model_input_shape(const rtml_model* m, size_t i, int64_t* dims, int32_t cap) {
  if (!m || i >= m->model->inputs().size() || !m->model->inputs()[i].has_shape) return -1;
  const auto& d = m->model->inputs()[i].dims;
  for (int32_t k = 0; k < cap && k < static_cast<int32_t>(d.size()); ++k) dims[k] = d[k];
  return static_cast<int32_t>(d.size());
}

rtml_session* rtml_session_create(rtml_model* m) {
  if (!m) return nullptr;
  try {
    return new rtml_session(m->model);
  } catch (...) {
    g_error = "rtml_session_create: out of memory";
    return nullptr;
  }
}

void rtml_session_destroy(rtml_session* s) { delete s; }

rtml_status rtml_session_run(rtml_session* s, const rtml_tensor* inputs, size_t n_inputs, rtml_tensor* outputs,
                             size_t n_outputs) {
  if (!s || (n_inputs && !inputs) || (n_outputs && !outputs))
    return report(rtml::Status(rtml::StatusCode::Error, "rtml_session_run: null argument"));
  if (n_inputs != s->in.size())
    return report(rtml::Status(rtml::StatusCode::InvalidInput, "the model takes " + std::to_string(s->in.size()) + " inputs"));
  if (n_outputs != s->out.size())
    return report(rtml::Status(rtml::StatusCode::InvalidInput, "the model has " + std::to_string(s->out.size()) + " outputs"));
  for (size_t i = 0; i < n_inputs; ++i) {
    const rtml_tensor& t = inputs[i];
    if (t.rank < 0 || t.rank > rtml::Shape::kMaxRank || (t.rank && !t.shape))
      return report(rtml::Status(rtml::StatusCode::InvalidInput, "input " + std::to_string(i) + ": bad rank or shape"));
    rtml::Shape shape(t.shape, t.shape + t.rank);
    s->in[i] = rtml::TensorView(static_cast<rtml::DType>(t.dtype), shape, t.data);
  }
  rtml::Status st = s->session.run(s->in, s->out);
  if (!st.ok()) return report(st);
  for (size_t j = 0; j < n_outputs; ++j) {
    const rtml::Value& v = s->out[j];
    rtml_tensor& o = outputs[j];
    std::memset(&o, 0, sizeof o);
    o.dtype = static_cast<rtml_dtype>(v.tensor.dtype);
    o.rank = v.tensor.shape.rank();
    o.shape = v.tensor.shape.begin();
    o.data = v.tensor.data;
    if (v.kind == rtml::ValueKind::SequenceOfMaps) {
      o.is_sequence_of_maps = 1;
      o.map_key_dtype = static_cast<rtml_dtype>(v.map_keys.dtype);
      o.map_keys = v.map_keys.data;
      o.map_key_count = v.map_keys.numel();
    }
  }
  return RTML_OK;
}

}  // extern "C"
