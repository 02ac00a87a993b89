// rtml.hpp - the C++ API of rtml: load an .onnx model once, run it from many threads.
//
// Usage:
//   #include <rtml/rtml.hpp>
//
//   auto loaded = rtml::Model::load("model.onnx");          // parse, check, optimise, pack
//   if (!loaded.ok()) { std::cerr << loaded.status().message() << "\n"; return 1; }
//   std::shared_ptr<const rtml::Model> model = loaded.value();  // immutable, share it freely
//
//   rtml::Session session(model);                            // one per thread: owns the arena
//   float x[4] = {5.1f, 3.5f, 1.4f, 0.2f};
//   rtml::TensorView in(rtml::DType::F32, {1, 4}, x);         // non-owning view of your data
//   std::vector<rtml::Value> out(model->outputs().size());
//   rtml::Status st = session.run({&in, 1}, out);            // inputs by position, no allocation
//   if (!st.ok()) { std::cerr << st.message() << "\n"; return 1; }
//   const int64_t* label = out[0].tensor.as<int64_t>();     // views into the session's arena,
//   const float* proba = out[1].tensor.as<float>();         // valid until its next run
//
// Errors are returned as rtml::Status (never thrown, never aborting); the codes match the exit
// status of `rtml run`: 3 unsupported, 4 invalid model, 5 inputs that do not fit the model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtml {

// Element types, numbered as onnx.TensorProto.DataType so that the numbers mean the same
// everywhere (files, the C API, the server).
enum class DType : int32_t {
  Undefined = 0,
  F32 = 1,
  U8 = 2,
  I8 = 3,
  U16 = 4,
  I16 = 5,
  I32 = 6,
  I64 = 7,
  String = 8,
  Bool = 9,
  F16 = 10,
  F64 = 11,
  U32 = 12,
  U64 = 13,
};

// A string element: a pointer and a length. String tensors hold StrRef elements; the bytes live
// in the caller's memory (inputs), in the model (constants) or in the session (outputs).
struct StrRef {
  const char* data = nullptr;
  size_t size = 0;
  std::string_view view() const { return {data, size}; }
};

size_t dtype_size(DType t);          // bytes per element (sizeof(StrRef) for strings), 0 if unknown
const char* dtype_name(DType t);     // ONNX spelling: "float", "int64", "string", ...
bool dtype_known(int32_t code);      // one of the DType values above other than Undefined

// Dimensions of a tensor: a small inline vector (no heap), at most kMaxRank dims.
class Shape {
 public:
  static constexpr int kMaxRank = 8;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    for (int64_t d : dims) push_back(d);
  }
  template <class It>
  Shape(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<int64_t>(*first));
  }
  int rank() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  int64_t back() const { return d_[n_ - 1]; }
  // Silently ignores dims past kMaxRank: callers check rank against kMaxRank first.
  void push_back(int64_t d) {
    if (n_ < kMaxRank) d_[n_++] = d;
  }
  void resize(int n, int64_t fill = 0) {
    for (int i = n_; i < n && i < kMaxRank; ++i) d_[i] = fill;
    n_ = n < kMaxRank ? n : kMaxRank;
  }
  void clear() { n_ = 0; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < n_; ++i) n *= d_[i];
    return n;
  }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + n_; }
  int64_t* begin() { return d_; }
  int64_t* end() { return d_ + n_; }
  bool operator==(const Shape& o) const {
    if (n_ != o.n_) return false;
    for (int i = 0; i < n_; ++i)
      if (d_[i] != o.d_[i]) return false;
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "[1,4]"

 private:
  int64_t d_[kMaxRank] = {};
  int32_t n_ = 0;
};

// A non-owning view of a dense, row-major tensor.
struct TensorView {
  DType dtype = DType::Undefined;
  Shape shape;
  void* data = nullptr;

  TensorView() = default;
  TensorView(DType t, Shape s, void* p) : dtype(t), shape(s), data(p) {}
  TensorView(DType t, Shape s, const void* p) : dtype(t), shape(s), data(const_cast<void*>(p)) {}
  int64_t numel() const { return shape.numel(); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  // Typed pointer: view.as<float>(). (`data` is the untyped pointer.)
  template <class T>
  T* as() const { return static_cast<T*>(data); }
  template <class T>
  T* data_as() const { return static_cast<T*>(data); }  // the same as as<T>()
};

// An owning tensor (64-byte aligned storage). String tensors keep their bytes in `strings`
// and StrRef elements pointing at them in the data buffer.
class Tensor {
 public:
  Tensor() = default;
  Tensor(DType t, Shape s);  // zero-filled (strings empty)
  Tensor(const Tensor& o);
  Tensor& operator=(const Tensor& o);
  Tensor(Tensor&& o) noexcept = default;
  Tensor& operator=(Tensor&& o) noexcept = default;
  ~Tensor() = default;

  static Tensor from_view(const TensorView& v);  // deep copy
  static Tensor from_strings(Shape s, std::vector<std::string> values);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  void* raw() { return data_.get(); }
  const void* raw() const { return data_.get(); }
  template <class T>
  T* data() { return static_cast<T*>(raw()); }
  template <class T>
  const T* data() const { return static_cast<const T*>(raw()); }
  TensorView view() const { return TensorView(dtype_, shape_, data_.get()); }
  // Strings: element i as a view, and setting it (copies the bytes into this tensor).
  std::string_view str(int64_t i) const { return data<StrRef>()[i].view(); }
  void set_str(int64_t i, std::string_view s);
  // Same dtype, shape and elements (strings compared by content).
  bool same_as(const Tensor& o) const;

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  DType dtype_ = DType::Undefined;
  Shape shape_;
  std::unique_ptr<void, FreeDeleter> data_;
  std::vector<std::string> strings_;
};

// What a graph value is: a tensor, or a sequence of maps (ZipMap's output).
enum class ValueKind : int32_t { Tensor = 0, SequenceOfMaps = 1 };

// An output of a run. For a tensor, `tensor` is the value. For a sequence of maps
// (seq(map(K, float)), e.g. ZipMap), element n of the sequence maps map_keys[c] to
// tensor[n, c]: `tensor` is [N, C] float and `map_keys` is [C] int64 or string.
struct Value {
  ValueKind kind = ValueKind::Tensor;
  TensorView tensor;
  TensorView map_keys;
};

enum class StatusCode : int32_t {
  Ok = 0,
  Error = 1,          // anything else (I/O, internal)
  Unsupported = 3,    // an operator, attribute or type rtml does not support
  InvalidModel = 4,   // the model file is malformed
  InvalidInput = 5,   // the inputs do not fit the model
};

class Status {
 public:
  Status() = default;
  Status(StatusCode c, std::string msg) : code_(c), msg_(std::move(msg)) {}
  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::Ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return msg_; }

 private:
  StatusCode code_ = StatusCode::Ok;
  std::string msg_;
};

template <class T>
class Result {
 public:
  Result(T v) : value_(std::move(v)) {}
  Result(Status s) : status_(std::move(s)) {}
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  T* operator->() { return &value_; }

 private:
  Status status_;
  T value_{};
};

struct ModelOptions {
  // Threads a session may use inside kernels. 0 = automatic: the calling thread alone for small
  // runs, every core for big batches. 1 = never leave the calling thread.
  int threads = 0;
  // Run the graph optimisations (constant folding, fusions). Off only to compare against them.
  bool optimize = true;
};

// A graph input or output as the model declares it.
struct IOInfo {
  std::string name;
  ValueKind kind = ValueKind::Tensor;
  DType dtype = DType::Undefined;             // element type (for maps: the value type)
  DType map_key_dtype = DType::Undefined;     // for sequences of maps
  std::vector<int64_t> dims;                  // -1 where the dimension is dynamic
  std::vector<std::string> dim_names;         // dim_param ("N", "batch") or "" per dimension
  bool has_shape = false;                     // false: rank unknown
  bool has_default = false;                   // an initializer provides a default value
};

class Model {
 public:
  static Result<std::shared_ptr<const Model>> load(const std::string& path,
                                                   const ModelOptions& options = {});
  // `base_dir` is where external data files are looked for ("" refuses external data).
  static Result<std::shared_ptr<const Model>> load_bytes(const void* data, size_t size,
                                                         const ModelOptions& options = {},
                                                         const std::string& base_dir = "");
  ~Model();

  const std::vector<IOInfo>& inputs() const;
  const std::vector<IOInfo>& outputs() const;
  int input_index(std::string_view name) const;   // -1 if absent
  int output_index(std::string_view name) const;  // -1 if absent
  std::vector<std::pair<std::string, int64_t>> opsets() const;  // ("" = ai.onnx, version)
  std::map<std::string, int> op_counts() const;   // "ai.onnx.ml:Scaler" -> count, as loaded
  int64_t ir_version() const;
  std::string producer() const;
  const ModelOptions& options() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

  explicit Model(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Runs one model; owns the memory arena and the cached plans for the input shapes it has seen.
// Not thread-safe: use one Session per thread (they share the Model).
class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Inputs by position in model->inputs(); an input with a default may be given with
  // data == nullptr to use the default. `outputs` must have model->outputs().size() entries.
  // Once warm (same input shapes as before), a run allocates nothing.
  Status run(std::span<const TensorView> inputs, std::span<Value> outputs);
  // Inputs by name (any order; inputs with defaults may be left out).
  Status run(const std::vector<std::pair<std::string, TensorView>>& inputs,
             std::vector<Value>& outputs);

  const Model& model() const;
  size_t arena_bytes() const;  // of the current plan

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Version string, e.g. "0.1.0".
const char* version();

// TensorProto codec (the .pb files of the ONNX backend test layout).
Result<Tensor> read_tensor_proto(const void* data, size_t size);
Result<Tensor> read_tensor_file(const std::string& path);
// The tensor's bytes as an onnx.TensorProto named `name` (raw_data, or string_data).
std::string write_tensor_proto(const TensorView& t, const std::string& name);
// A sequence of maps as an onnx.SequenceProto of MapProto (ZipMap's output).
std::string write_sequence_of_maps_proto(const Value& v, const std::string& name);

}  // namespace rtml
