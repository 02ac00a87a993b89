// plan.cc - shapes for concrete inputs, values computed while planning, liveness and the arena
// layout (see plan.hpp for the layout rules).
#include "engine/plan.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "engine/passes/pass.hpp"

namespace rtml {

namespace {

constexpr size_t kAlign = 64;
// A single value may not need more than 64 GiB (the machine has 24): refused as bad input.
constexpr uint64_t kMaxValueBytes = uint64_t(64) << 30;
// Values known while planning are computed then when no bigger than this (elements); larger
// ones become steps so that a plan does not hold big copies.
constexpr int64_t kPlanTimeMaxElements = 1 << 16;

size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

bool shape_bytes(const Shape& s, DType t, uint64_t* bytes) {
  uint64_t n = 1;
  for (int i = 0; i < s.rank(); ++i) {
    if (s[i] < 0) return false;
    uint64_t d = static_cast<uint64_t>(s[i]);
    if (d != 0 && n > kMaxValueBytes / d) return false;
    n *= d;
  }
  uint64_t size = dtype_size(t);
  if (size && n > kMaxValueBytes / size) return false;
  *bytes = n * (size ? size : 1);
  return true;
}

struct AlignedBuf {
  void* p = nullptr;
  explicit AlignedBuf(size_t n) { p = std::aligned_alloc(kAlign, round_up(n ? n : 1)); }
  ~AlignedBuf() { std::free(p); }
};

}  // namespace

Status check_input(const IOInfo& io, const TensorView& t) {
  if (t.dtype != io.dtype)
    return Status(StatusCode::InvalidInput, "input '" + io.name + "' is " + dtype_name(t.dtype) + ", the model expects " +
                                                dtype_name(io.dtype));
  if (t.shape.rank() > Shape::kMaxRank)
    return Status(StatusCode::InvalidInput, "input '" + io.name + "' has too many dimensions");
  for (int i = 0; i < t.shape.rank(); ++i)
    if (t.shape[i] < 0) return Status(StatusCode::InvalidInput, "input '" + io.name + "' has a negative dimension");
  if (!io.has_shape) return {};
  auto declared = [&] {
    std::string s = "[";
    for (size_t i = 0; i < io.dims.size(); ++i) {
      if (i) s += ",";
      s += io.dims[i] >= 0 ? std::to_string(io.dims[i]) : (io.dim_names[i].empty() ? "?" : io.dim_names[i]);
    }
    return s + "]";
  };
  if (static_cast<size_t>(t.shape.rank()) != io.dims.size())
    return Status(StatusCode::InvalidInput, "input '" + io.name + "' has shape " + t.shape.str() + ", the model expects " + declared());
  for (int i = 0; i < t.shape.rank(); ++i)
    if (io.dims[i] >= 0 && io.dims[i] != t.shape[i])
      return Status(StatusCode::InvalidInput, "input '" + io.name + "' has shape " + t.shape.str() + ", the model expects " + declared());
  return {};
}

Status evaluate_node(const Node& n, size_t index, const TensorView* in, const bool* known, std::vector<Tensor>* out,
                     int64_t max_elements) {
  size_t n_out = n.outputs.size();
  std::vector<TensorView> outs(n_out);
  std::unique_ptr<bool[]> out_set(new bool[n_out + 1]());
  // The caller passes the output dtypes (from the graph) as empty tensors in `out`.
  for (size_t o = 0; o < n_out; ++o) outs[o].dtype = out->size() > o ? (*out)[o].dtype() : DType::Undefined;
  PlanCtx ctx(n, n.state.get(), in, known, outs.data(), out_set.get(), 1, index);
  if (Status s = n.def->plan(ctx); !s.ok()) return s;
  std::vector<Tensor> result(n_out);
  for (size_t o = 0; o < n_out; ++o) {
    if (n.outputs[o] == kNoValue) continue;
    if (!out_set[o]) return Status(StatusCode::Error, node_label(n, index) + ": internal error: no shape for output " + std::to_string(o));
    uint64_t bytes;
    if (!shape_bytes(outs[o].shape, outs[o].dtype, &bytes))
      return Status(StatusCode::InvalidInput, node_label(n, index) + ": output shape " + outs[o].shape.str() + " is too large");
    if (outs[o].shape.numel() > max_elements) return Status(StatusCode::Unsupported, "too large to compute ahead");
    result[o] = Tensor(outs[o].dtype, outs[o].shape);
    outs[o].data = result[o].raw();
  }
  if (ctx.alias_out_ >= 0) {
    const TensorView& src = in[ctx.alias_in_];
    TensorView v = src;
    v.shape = outs[ctx.alias_out_].shape;
    result[ctx.alias_out_] = Tensor::from_view(v);
  }
  if (ctx.kernel_) {
    AlignedBuf scratch(ctx.scratch_);
    ThreadPool pool(1);
    StringArena strings;
    RunEnv env{&pool, &strings};
    KernelCtx k;
    k.in = in;
    k.n_in = static_cast<int32_t>(n.inputs.size());
    k.out = outs.data();
    k.n_out = static_cast<int32_t>(n_out);
    k.state = n.state.get();
    k.data = ctx.data_.get();
    k.scratch = scratch.p;
    k.scratch_bytes = ctx.scratch_;
    k.env = &env;
    k.node = &n;
    if (Status s = ctx.kernel_(k); !s.ok()) return s;
    for (size_t o = 0; o < n_out; ++o)  // string outputs point into the local arena: copy them
      if (n.outputs[o] != kNoValue && outs[o].dtype == DType::String) result[o] = Tensor::from_view(outs[o]);
  }
  *out = std::move(result);
  return {};
}

Status PassCtx::evaluate(const Graph& g, size_t i, std::vector<Tensor>* outputs) const {
  const Node& n = g.nodes[i];
  std::vector<TensorView> in(n.inputs.size());
  std::unique_ptr<bool[]> known(new bool[n.inputs.size() + 1]());
  for (size_t j = 0; j < n.inputs.size(); ++j) {
    if (n.inputs[j] == kNoValue) continue;
    in[j] = g.values[n.inputs[j]].constant->view();
    known[j] = true;
  }
  outputs->clear();
  for (ValueId o : n.outputs) outputs->emplace_back(o == kNoValue ? DType::Undefined : g.values[o].dtype, Shape{0});
  return evaluate_node(n, i, in.data(), known.get(), outputs, int64_t(1) << 26);
}

Result<std::unique_ptr<Plan>> build_plan(const Model::Impl& m, const TensorView* inputs, int threads) {
  const Graph& g = m.graph;
  auto plan = std::make_unique<Plan>();
  Plan& p = *plan;
  size_t nv = g.values.size();
  p.vals.resize(nv);
  p.loc.resize(nv);
  std::vector<uint8_t> known(nv, 0);
  for (size_t v = 0; v < nv; ++v) {
    p.vals[v].dtype = g.values[v].dtype;
    if (g.is_constant(static_cast<ValueId>(v))) {
      p.vals[v] = g.values[v].constant->view();
      p.loc[v] = Loc{Loc::Fixed, -1, 0, p.vals[v].data};
      known[v] = 1;
    }
  }
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    ValueId v = g.inputs[i];
    p.vals[v] = inputs[i];
    p.loc[v] = Loc{Loc::Input, static_cast<int32_t>(i), 0, nullptr};
    p.in_shapes.push_back(inputs[i].shape);
    p.key_values.emplace_back();
    if (m.key_input[i]) {
      known[v] = 1;
      p.key_values.back() = Tensor::from_view(inputs[i]);
    }
  }

  struct Pending {
    size_t node;
    int alias_out = -1, alias_in = -1, inplace_out = -1, inplace_in = -1;
    size_t scratch = 0;
  };
  std::vector<Pending> pending;
  std::vector<TensorView> in_views, out_views;
  std::vector<uint8_t> in_known_storage;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    size_t ni = n.inputs.size(), no = n.outputs.size();
    in_views.assign(ni, TensorView());
    std::unique_ptr<bool[]> in_known(new bool[ni + 1]());
    bool all_known = true;
    for (size_t j = 0; j < ni; ++j) {
      ValueId v = n.inputs[j];
      if (v == kNoValue) continue;
      in_views[j] = p.vals[v];
      in_known[j] = known[v];
      all_known &= known[v] != 0;
    }
    out_views.assign(no, TensorView());
    std::unique_ptr<bool[]> out_set(new bool[no + 1]());
    for (size_t o = 0; o < no; ++o) out_views[o].dtype = n.outputs[o] == kNoValue ? DType::Undefined : g.values[n.outputs[o]].dtype;
    bool evaluate = m.plan_time_required[k] || all_known;
    if (evaluate) {
      std::vector<Tensor> outs;
      for (size_t o = 0; o < no; ++o) outs.emplace_back(out_views[o].dtype, Shape{0});
      int64_t cap = m.plan_time_required[k] ? int64_t(1) << 30 : kPlanTimeMaxElements;
      Status s = evaluate_node(n, k, in_views.data(), in_known.get(), &outs, cap);
      if (s.ok()) {
        for (size_t o = 0; o < no; ++o) {
          ValueId v = n.outputs[o];
          if (v == kNoValue) continue;
          p.owned.push_back(std::move(outs[o]));
          p.vals[v] = p.owned.back().view();
          p.loc[v] = Loc{Loc::Fixed, -1, 0, p.vals[v].data};
          known[v] = 1;
        }
        continue;
      }
      if (s.code() != StatusCode::Unsupported || m.plan_time_required[k]) return s;
      // too large to hold in the plan: a normal step
    }
    PlanCtx ctx(n, n.state.get(), in_views.data(), in_known.get(), out_views.data(), out_set.get(), threads, k);
    if (Status s = n.def->plan(ctx); !s.ok()) return s;
    for (size_t o = 0; o < no; ++o) {
      ValueId v = n.outputs[o];
      if (v == kNoValue) continue;
      if (!out_set[o])
        return Status(StatusCode::Error, node_label(n, k) + ": internal error: no shape for output " + std::to_string(o));
      uint64_t bytes;
      if (!shape_bytes(out_views[o].shape, out_views[o].dtype, &bytes))
        return Status(StatusCode::InvalidInput, node_label(n, k) + ": output shape " + out_views[o].shape.str() + " is too large");
      p.vals[v] = out_views[o];
    }
    if (!ctx.kernel_ && ctx.alias_out_ < 0)
      return Status(StatusCode::Error, node_label(n, k) + ": internal error: no kernel");
    Step st;
    st.fn = ctx.kernel_;
    st.node = &n;
    if (ctx.data_) {
      p.node_data.push_back(ctx.data_);
      st.data = ctx.data_.get();
    }
    Pending pd{k, ctx.alias_out_, ctx.alias_in_, ctx.inplace_out_, ctx.inplace_in_, ctx.scratch_};
    // An alias with no kernel is free: the output shares the input's place.
    if (!st.fn) {
      ValueId vi = n.inputs[pd.alias_in], vo = n.outputs[pd.alias_out];
      p.loc[vo] = p.loc[vi];
      if (p.loc[vi].kind == Loc::Fixed) p.vals[vo].data = p.vals[vi].data;
      if (p.loc[vi].kind == Loc::Arena || p.loc[vi].kind == Loc::None) p.loc[vo] = Loc{Loc::None, -1, 0, nullptr};
    }
    st.first_slot = static_cast<uint32_t>(p.slot_value.size());
    st.n_in = static_cast<uint16_t>(ni);
    st.n_out = static_cast<uint16_t>(no);
    for (ValueId v : n.inputs) p.slot_value.push_back(v);
    for (ValueId v : n.outputs) p.slot_value.push_back(v);
    st.scratch_bytes = pd.scratch;
    p.steps.push_back(st);
    pending.push_back(pd);
  }

  // ---- liveness and buffers ----
  const int kForever = INT_MAX;
  int ns = static_cast<int>(p.steps.size());
  std::vector<int> last_use(nv, -1);
  for (int s = 0; s < ns; ++s)
    for (ValueId v : p.steps[s].node->inputs)
      if (v != kNoValue) last_use[v] = std::max(last_use[v], s);
  for (ValueId v : g.outputs) last_use[v] = kForever;
  std::vector<int> buf_of(nv, -1);
  std::vector<std::vector<ValueId>> members;
  auto buf_last = [&](int b) {
    int last = -1;
    for (ValueId v : members[b]) last = std::max(last, last_use[v]);
    return last;
  };
  std::vector<int> scratch_buf(ns, -1);
  for (int s = 0; s < ns; ++s) {
    const Node& n = *p.steps[s].node;
    const Pending& pd = pending[s];
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      ValueId v = n.outputs[o];
      if (v == kNoValue) continue;
      if (static_cast<int>(o) == pd.alias_out && !p.steps[s].fn) {
        ValueId vi = n.inputs[pd.alias_in];
        if (buf_of[vi] >= 0) {
          buf_of[v] = buf_of[vi];
          members[buf_of[v]].push_back(v);
          p.loc[v].kind = Loc::Arena;
        }
        continue;
      }
      uint64_t bytes = p.vals[v].bytes();
      if (static_cast<int>(o) == pd.inplace_out && pd.inplace_in >= 0 && pd.inplace_in < static_cast<int>(n.inputs.size())) {
        ValueId vi = n.inputs[pd.inplace_in];
        if (vi != kNoValue && buf_of[vi] >= 0 && buf_last(buf_of[vi]) == s && p.vals[vi].bytes() == bytes &&
            p.buffers[buf_of[vi]].bytes == round_up(bytes)) {
          buf_of[v] = buf_of[vi];
          members[buf_of[v]].push_back(v);
          p.loc[v].kind = Loc::Arena;
          continue;
        }
      }
      Plan::Buffer b;
      b.bytes = round_up(bytes);
      b.first = s;
      buf_of[v] = static_cast<int>(p.buffers.size());
      p.buffers.push_back(b);
      members.push_back({v});
      p.loc[v].kind = Loc::Arena;
    }
    if (pd.scratch) {
      Plan::Buffer b;
      b.bytes = round_up(pd.scratch);
      b.first = b.last = s;
      scratch_buf[s] = static_cast<int>(p.buffers.size());
      p.buffers.push_back(b);
      members.push_back({});
    }
  }
  for (size_t b = 0; b < p.buffers.size(); ++b)
    if (!members[b].empty()) p.buffers[b].last = std::max(p.buffers[b].first, buf_last(static_cast<int>(b)));

  // ---- greedy placement, largest first ----
  std::vector<int> order(p.buffers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p.buffers[a].bytes > p.buffers[b].bytes; });
  std::vector<int> placed;
  std::vector<std::pair<size_t, size_t>> busy;
  for (int b : order) {
    Plan::Buffer& buf = p.buffers[b];
    busy.clear();
    for (int o : placed) {
      const Plan::Buffer& ob = p.buffers[o];
      if (ob.first <= buf.last && buf.first <= ob.last && ob.bytes) busy.emplace_back(ob.offset, ob.offset + ob.bytes);
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (auto& [lo, hi] : busy) {
      if (offset + buf.bytes <= lo) break;
      offset = std::max(offset, hi);
    }
    buf.offset = offset;
    p.arena_bytes = std::max(p.arena_bytes, offset + buf.bytes);
    p.buffer_bytes_sum += buf.bytes;
    placed.push_back(b);
  }
  for (size_t v = 0; v < nv; ++v)
    if (buf_of[v] >= 0) p.loc[v].offset = p.buffers[buf_of[v]].offset;
  for (int s = 0; s < ns; ++s)
    if (scratch_buf[s] >= 0) p.steps[s].scratch_offset = p.buffers[scratch_buf[s]].offset;
  // Steps that are pure aliases run nothing.
  std::vector<Step> steps;
  for (const Step& s : p.steps)
    if (s.fn) steps.push_back(s);
  p.steps = std::move(steps);
  return plan;
}

}  // namespace rtml
