// v2_codec.hpp - KServe v2 (Open Inference Protocol) inference request/response codec: JSON
// tensors (nested or flat), the binary tensor data extension, and records
// ({"instances": [{"col": value, ...}, ...]}). Pure functions of bytes + the model's IOInfo: no
// HTTP, no engine calls, benchmarked alone in bench/bench_codec.cc.
//
//   V2Codec codec;                                      // one per thread (owns parser + buffers)
//   InferCall call;
//   Error e = codec.decode(json, binary, model.inputs(), model.outputs(), call);
//   if (!e.ok()) answer(e.status, e.message);
//   session.run(call.inputs, values);                   // data == nullptr: the input's default
//   codec.encode(call, "name", "1", model.outputs(), values, body, &header_len);
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtml/rtml.hpp"

namespace rtml::server {

struct CodecLimits {
  int64_t max_rows = 1 << 20;  // axis 0 of any input
  int max_depth = 64;          // JSON nesting (v2 tensors need a handful)
};

struct Error {
  int status = 0;  // 0 = ok, else the HTTP status to answer
  std::string message;
  bool ok() const { return status == 0; }
  static Error bad(std::string m) { return {400, std::move(m)}; }
};

// KServe v2 datatype names <-> engine dtypes ("FP32" <-> F32, "BYTES" <-> String, ...).
bool v2_dtype(std::string_view name, DType* out);
const char* v2_name(DType t);

struct OutputChoice {
  int index = 0;        // into model outputs
  bool binary = false;  // binary tensor data extension
};

// One decoded request. Its buffers are reused from request to request.
struct InferCall {
  std::string_view id;           // valid until the next decode
  bool has_id = false;
  bool records = false;          // {"instances": [...]}: answer {"predictions": [...]}
  std::string parameters;        // the request's "parameters" object as JSON text, or ""
  std::vector<TensorView> inputs;      // by model input position; data == nullptr: default
  std::vector<OutputChoice> outputs;   // which outputs to answer, in order
  int64_t rows = 0;
};

class V2Codec {
 public:
  explicit V2Codec(CodecLimits limits = {});
  ~V2Codec();
  V2Codec(const V2Codec&) = delete;
  V2Codec& operator=(const V2Codec&) = delete;

  // `json` must be followed by 64 readable bytes (simdjson reads ahead); `binary` holds the bytes
  // after the JSON header with the binary extension, else empty.
  Error decode(std::string_view json, std::string_view binary, const std::vector<IOInfo>& ins,
               const std::vector<IOInfo>& outs, InferCall& call);

  // Writes the answer into `body` (cleared first). With binary outputs, *header_len is the JSON
  // part's length (the Inference-Header-Content-Length), else -1.
  void encode(const InferCall& call, std::string_view model_name, std::string_view version,
              const std::vector<IOInfo>& outs, std::span<const Value> values, std::string& body,
              int64_t* header_len);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// IEEE half <-> float (round to nearest even), for FP16 tensors in JSON.
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

}  // namespace rtml::server
