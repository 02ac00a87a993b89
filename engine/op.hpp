// op.hpp - what an operator implementation sees: the OpDef it registers and the three phases.
//
//   load  (once per node, when the model loads): check attributes and input types, set output
//         types, build the immutable OpState (packed weights, trees). May allocate.
//   plan  (once per distinct set of input shapes): output shapes, kernel choice, scratch bytes,
//         per-plan data (broadcast strides...), aliasing / in-place hints. May allocate.
//   run   (the KernelFn, every run): compute. Never allocates, never throws, never blocks on a
//         lock other than the thread pool's.
//
// ops/TEMPLATE.cc shows a complete small operator; ops/ops.inc lists every family.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/graph.hpp"

namespace rtml {

// Immutable per-node data built at load (shared by every session and thread).
class OpState {
 public:
  virtual ~OpState() = default;
};

// A non-owning reference to a callable (no allocation, unlike std::function).
template <class Sig>
class FunctionRef;
template <class R, class... A>
class FunctionRef<R(A...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit by design
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, A... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(a...); }) {}
  R operator()(A... a) const { return call_(obj_, a...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

// Workers that sleep on a condition variable when idle (0% CPU between runs). The calling thread
// always takes part, so a pool of 1 thread runs everything inline.
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int threads() const { return threads_; }
  // Calls fn(begin, end) on disjoint chunks covering [0, n), chunks of at least `grain` items,
  // at most one chunk per thread. Returns when every chunk is done. No allocation.
  void parallel_for(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn);
  // Calls fn(task, worker) for every task in [0, n), each task claimed by whichever thread is
  // free first (uneven tasks or unevenly fast threads balance out); worker < threads() names the
  // thread, so that tasks can use per-thread scratch. No allocation.
  void parallel_tasks(int64_t n, FunctionRef<void(int64_t, int)> fn);

  struct Impl;

 private:
  void run_chunks(int64_t n, int64_t chunks, FunctionRef<void(int64_t, int64_t)> fn);
  int threads_;
  std::unique_ptr<Impl> impl_;
};

// Bytes of string outputs made during a run (Cast to string, LabelEncoder to string). Chunks are
// kept across runs: once warm, a run allocates nothing. Pointers stay valid until reset().
class StringArena {
 public:
  StrRef add(std::string_view s);
  void reset();
  ~StringArena();

 private:
  struct Chunk {
    char* data;
    size_t size;
  };
  std::vector<Chunk> chunks_;
  size_t chunk_ = 0, used_ = 0;
};

struct RunEnv {
  ThreadPool* pool = nullptr;     // never null while running
  StringArena* strings = nullptr; // never null while running
};

struct KernelCtx {
  const TensorView* in = nullptr;  // node.inputs.size() views; absent optional: data == nullptr
  int32_t n_in = 0;
  const TensorView* out = nullptr; // node.outputs.size() views; absent output: data == nullptr
  int32_t n_out = 0;
  const OpState* state = nullptr;
  const void* data = nullptr;      // per-plan data made by PlanCtx::make_data
  void* scratch = nullptr;         // PlanCtx::set_scratch bytes, 64-byte aligned
  size_t scratch_bytes = 0;
  RunEnv* env = nullptr;
  const Node* node = nullptr;

  template <class S>
  const S& st() const { return *static_cast<const S*>(state); }
  template <class D>
  const D& plan_data() const { return *static_cast<const D*>(data); }
  // A data-dependent error (an index out of range...): InvalidInput naming the node.
  Status invalid_input(const std::string& why) const;
};

using KernelFn = Status (*)(const KernelCtx&);

class LoadCtx {
 public:
  LoadCtx(Graph& g, Node& n, size_t index) : graph(g), node(n), index_(index) {}
  Graph& graph;
  Node& node;
  int64_t opset() const { return node.opset; }

  int num_inputs() const { return static_cast<int>(node.inputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && node.inputs[i] != kNoValue; }
  const ValueInfo& in_info(int i) const { return graph.values[node.inputs[i]]; }
  DType in_dtype(int i) const { return has_input(i) ? in_info(i).dtype : DType::Undefined; }
  ValueKind in_kind(int i) const { return has_input(i) ? in_info(i).kind : ValueKind::Tensor; }
  // The input's value when it is known at load (an initializer that cannot be overridden, a
  // Constant, a folded value); nullptr otherwise.
  const Tensor* in_const(int i) const {
    return has_input(i) && graph.is_constant(node.inputs[i]) ? in_info(i).constant.get() : nullptr;
  }
  int num_outputs() const { return static_cast<int>(node.outputs.size()); }
  bool has_output(int i) const { return i < num_outputs() && node.outputs[i] != kNoValue; }
  void set_out(int i, DType t) {
    if (has_output(i)) graph.values[node.outputs[i]].dtype = t;
  }
  // Output i is a sequence of maps: keys[c] -> value tensor[n, c] (ZipMap).
  void set_out_map(int i, DType value_type, std::shared_ptr<const Tensor> keys);

  // Attributes. A present attribute of the wrong type records an error (reported as an invalid
  // model once load returns) and yields the default.
  const Attr* attr(const char* name) const { return node.attrs.find(name); }
  bool has_attr(const char* name) const { return attr(name) != nullptr; }
  int64_t attr_int(const char* name, int64_t def);
  float attr_float(const char* name, float def);
  std::string attr_string(const char* name, const std::string& def = "");
  std::vector<int64_t> attr_ints(const char* name);
  std::vector<float> attr_floats(const char* name);
  std::vector<std::string> attr_strings(const char* name);
  std::shared_ptr<const Tensor> attr_tensor(const char* name);
  const std::string& attr_error() const { return attr_error_; }

  template <class S>
  void set_state(std::shared_ptr<S> s) { node.state = std::move(s); }

  // Errors naming the node: a malformed model (4) and an unsupported feature (3).
  Status invalid(const std::string& why) const;
  Status unsupported(const std::string& why) const;
  // InvalidModel unless input i is present (when required) and of one of `types`;
  // Unsupported when it is a known type rtml does not take here.
  Status require_input(int i, std::initializer_list<DType> types, bool required = true) const;

 private:
  bool check_type(const Attr* a, Attr::Type t);
  size_t index_;
  std::string attr_error_;
};

// Per-plan data owned by the plan (broadcast strides, chosen tiling...).
struct PlanData {
  virtual ~PlanData() = default;
};

class PlanCtx {
 public:
  const Node& node;
  const OpState* state;
  int64_t opset() const { return node.opset; }

  int num_inputs() const { return static_cast<int>(node.inputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && node.inputs[i] != kNoValue; }
  DType in_dtype(int i) const { return in_[i].dtype; }
  const Shape& in_shape(int i) const { return in_[i].shape; }
  // The input's value when known while planning: constants, values computed from shapes, and
  // inputs listed in OpDef::shape_inputs (always known here). nullptr otherwise.
  const TensorView* in_value(int i) const { return known_[i] ? &in_[i] : nullptr; }
  int num_outputs() const { return static_cast<int>(node.outputs.size()); }
  bool has_output(int i) const { return i < num_outputs() && node.outputs[i] != kNoValue; }
  DType out_dtype(int i) const { return out_[i].dtype; }
  int threads() const { return threads_; }

  void set_out_shape(int i, const Shape& s) {
    out_[i].shape = s;
    out_set_[i] = true;
  }
  void set_kernel(KernelFn fn) { kernel_ = fn; }
  void set_scratch(size_t bytes) { scratch_ = bytes; }
  template <class D, class... A>
  D& make_data(A&&... a) {
    auto p = std::make_shared<D>(std::forward<A>(a)...);
    D& ref = *p;
    data_ = std::move(p);
    return ref;
  }
  // Output `out` is input `in` seen with another shape (same bytes): no copy, no kernel needed.
  void set_alias(int out, int in) { alias_out_ = out, alias_in_ = in; }
  // The kernel is correct when output `out` and input `in` share one buffer.
  void allow_in_place(int out, int in) { inplace_out_ = out, inplace_in_ = in; }

  Status invalid_input(const std::string& why) const;

  // Filled and read by the planner.
  PlanCtx(const Node& n, const OpState* s, const TensorView* in, const bool* known, TensorView* out,
          bool* out_set, int threads, size_t index)
      : node(n), state(s), in_(in), known_(known), out_(out), out_set_(out_set), threads_(threads),
        index_(index) {}
  KernelFn kernel_ = nullptr;
  size_t scratch_ = 0;
  std::shared_ptr<void> data_;
  int alias_out_ = -1, alias_in_ = -1, inplace_out_ = -1, inplace_in_ = -1;

 private:
  const TensorView* in_;
  const bool* known_;
  TensorView* out_;
  bool* out_set_;
  int threads_;
  size_t index_;
};

enum OpFlags : uint32_t {
  kOpNone = 0,
  kOpShapeOnly = 1u << 0,  // reads only the shapes of its inputs (Shape, Size)
};

struct OpDef {
  const char* domain;  // "" = ai.onnx, "ai.onnx.ml", or "rtml" for internal (fused) ops
  const char* name;
  int since;           // first opset version of the domain this definition accepts
  int until;           // last one (inclusive); 0 = every newer version
  Status (*load)(LoadCtx&);
  Status (*plan)(PlanCtx&);
  uint32_t shape_inputs = 0;  // bit i set: the value of input i decides the output shapes
  uint32_t flags = kOpNone;
};

class OpRegistry {
 public:
  void add(const OpDef& def) { defs_.push_back(def); }
  // The definition for (domain, name) whose range holds `opset`; nullptr if none.
  const OpDef* find(std::string_view domain, std::string_view name, int64_t opset) const;
  bool knows(std::string_view domain, std::string_view name) const;
  const std::vector<OpDef>& all() const { return defs_; }
  static const OpRegistry& global();

 private:
  std::vector<OpDef> defs_;
};

}  // namespace rtml
