// plan.hpp - a plan for one set of input shapes: every value's shape and place (constant,
// caller's input, or an offset in the session's arena), the steps to run, the arena size.
//
// Layout of the arena: buffers placed greedily, largest first, at the lowest offset that does not
// overlap a buffer alive at the same time (XNNPACK's memory planner); a buffer is alive from the
// step that writes it to the last step that reads it; graph outputs stay alive to the end of the
// run; aliases (Reshape...) and in-place outputs share their input's buffer; kernel scratch is a
// buffer alive during its step only.
#pragma once

#include <memory>
#include <vector>

#include "engine/model_impl.hpp"

namespace rtml {

struct Loc {
  enum Kind : uint8_t { None, Fixed, Input, Arena };
  Kind kind = None;
  int32_t input = -1;      // Input: position in Model::inputs()
  size_t offset = 0;       // Arena: byte offset; Input: byte offset into the input (aliases)
  const void* ptr = nullptr;  // Fixed: constants and values computed while planning
};

struct Step {
  KernelFn fn = nullptr;
  const Node* node = nullptr;
  const void* data = nullptr;  // PlanData
  uint32_t first_slot = 0;     // inputs then outputs in Plan::slot_value
  uint16_t n_in = 0, n_out = 0;
  size_t scratch_offset = 0, scratch_bytes = 0;
};

struct Plan {
  // Key: input shapes (and values of the inputs that decide shapes).
  std::vector<Shape> in_shapes;
  std::vector<Tensor> key_values;  // per input: empty unless it is a key input
  std::vector<TensorView> vals;    // per value: dtype and shape (data only for Fixed)
  std::vector<Loc> loc;            // per value
  std::vector<Step> steps;
  std::vector<ValueId> slot_value; // per slot; kNoValue for absent
  std::vector<Tensor> owned;       // values computed while planning
  std::vector<std::shared_ptr<void>> node_data;
  size_t arena_bytes = 0;
  size_t buffer_bytes_sum = 0;     // sum of all buffers (>= arena_bytes)
  // For the planner's invariant tests: each arena buffer [offset, offset+bytes) and its lifetime.
  struct Buffer {
    size_t bytes = 0, offset = 0;
    int first = 0, last = 0;
  };
  std::vector<Buffer> buffers;
};

// Builds the plan for these inputs (already checked against the model's declared types; data of
// key inputs read). `threads` is what kernels may use.
Result<std::unique_ptr<Plan>> build_plan(const Model::Impl& m, const TensorView* inputs, int threads);

// Plans and runs one node on inputs whose values are all given (folding, plan-time values).
// Unsupported when an output would exceed max_elements.
Status evaluate_node(const Node& n, size_t index, const TensorView* in, const bool* known, std::vector<Tensor>* out,
                     int64_t max_elements);

// Checks an input against the model's declared type and shape; InvalidInput naming it.
Status check_input(const IOInfo& io, const TensorView& t);

}  // namespace rtml
