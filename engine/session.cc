// session.cc - Session: picks (or builds and caches) the plan for the inputs' shapes, binds it to
// the arena once, then runs the steps. A warm run allocates nothing and takes no lock.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "engine/plan.hpp"

namespace rtml {

namespace {
constexpr size_t kMaxCachedPlans = 8;  // distinct input-shape sets kept per session
int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}
}  // namespace

struct Session::Impl {
  std::shared_ptr<const Model> model;
  const Model::Impl& m;
  ThreadPool pool;
  StringArena strings;
  RunEnv env;
  std::vector<std::unique_ptr<Plan>> cache;
  Plan* cur = nullptr;
  void* arena = nullptr;
  size_t arena_cap = 0;
  // Bound to the current plan:
  std::vector<TensorView> slots;
  std::vector<KernelCtx> kctx;
  struct Patch {
    uint32_t slot;
    int32_t input;
    size_t offset;
  };
  std::vector<Patch> patches;
  std::vector<TensorView> inputs;  // resolved (defaults filled in), one per model input
  std::vector<Value> out_template;
  std::vector<Patch> out_patches;  // slot = output index

  Impl(std::shared_ptr<const Model> mm)
      : model(std::move(mm)), m(model->impl()),
        pool(m.options.threads > 0 ? m.options.threads : default_threads()), env{&pool, &strings} {
    inputs.resize(m.inputs.size());
  }
  ~Impl() { std::free(arena); }

  bool matches(const Plan& p) const {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].shape != p.in_shapes[i]) return false;
      const Tensor& key = p.key_values[i];
      if (key.dtype() != DType::Undefined) {
        if (key.dtype() == DType::String) {
          const StrRef* s = inputs[i].as<StrRef>();
          for (int64_t e = 0; e < key.numel(); ++e)
            if (s[e].view() != key.str(e)) return false;
        } else if (key.bytes() && std::memcmp(key.raw(), inputs[i].data, key.bytes()) != 0) {
          return false;
        }
      }
    }
    return true;
  }

  TensorView resolve(const Plan& p, ValueId v, uint32_t slot, std::vector<Patch>& patch_list) const {
    TensorView t = p.vals[v];
    const Loc& l = p.loc[v];
    switch (l.kind) {
      case Loc::Fixed: t.data = const_cast<void*>(l.ptr); break;
      case Loc::Arena: t.data = static_cast<char*>(arena) + l.offset; break;
      case Loc::Input:
        patch_list.push_back(Patch{slot, l.input, l.offset});
        t.data = nullptr;
        break;
      default: t.data = nullptr; break;
    }
    return t;
  }

  Status bind(Plan* p) {
    if (p->arena_bytes > arena_cap) {
      std::free(arena);
      size_t cap = (p->arena_bytes + 63) / 64 * 64;
      arena = std::aligned_alloc(64, cap);
      if (!arena) {
        arena_cap = 0;
        cur = nullptr;
        return Status(StatusCode::Error, "out of memory: the plan needs an arena of " + std::to_string(p->arena_bytes) + " bytes");
      }
      arena_cap = cap;
    }
    cur = p;
    slots.assign(p->slot_value.size(), TensorView());
    patches.clear();
    for (size_t s = 0; s < p->slot_value.size(); ++s)
      if (p->slot_value[s] != kNoValue) slots[s] = resolve(*p, p->slot_value[s], static_cast<uint32_t>(s), patches);
    kctx.assign(p->steps.size(), KernelCtx());
    for (size_t s = 0; s < p->steps.size(); ++s) {
      const Step& st = p->steps[s];
      KernelCtx& k = kctx[s];
      k.in = slots.data() + st.first_slot;
      k.n_in = st.n_in;
      k.out = slots.data() + st.first_slot + st.n_in;
      k.n_out = st.n_out;
      k.state = st.node->state.get();
      k.data = st.data;
      k.scratch = static_cast<char*>(arena) + st.scratch_offset;
      k.scratch_bytes = st.scratch_bytes;
      k.env = &env;
      k.node = st.node;
    }
    const Graph& g = m.graph;
    out_template.assign(g.outputs.size(), Value());
    out_patches.clear();
    for (size_t j = 0; j < g.outputs.size(); ++j) {
      ValueId v = g.outputs[j];
      std::vector<Patch> tmp;
      out_template[j].tensor = resolve(*p, v, static_cast<uint32_t>(j), tmp);
      for (auto& t : tmp) out_patches.push_back(t);
      const ValueInfo& info = g.values[v];
      if (info.kind == ValueKind::SequenceOfMaps && info.map_keys) {
        out_template[j].kind = ValueKind::SequenceOfMaps;
        out_template[j].map_keys = info.map_keys->view();
      }
    }
    return {};
  }

  Status select_plan() {
    if (cur && matches(*cur)) return {};
    for (auto& p : cache)
      if (matches(*p)) return bind(p.get());
    for (size_t i = 0; i < inputs.size(); ++i)
      if (Status s = check_input(m.inputs[i], inputs[i]); !s.ok()) return s;
    auto built = build_plan(m, inputs.data(), pool.threads());
    if (!built.ok()) return built.status();
    if (cache.size() >= kMaxCachedPlans) {
      // Drop the oldest plan that is not bound.
      auto it = std::find_if(cache.begin(), cache.end(), [&](auto& p) { return p.get() != cur; });
      cache.erase(it);
    }
    cache.push_back(std::move(built.value()));
    return bind(cache.back().get());
  }

  Status run(std::span<const TensorView> in, std::span<Value> out) {
    if (in.size() != m.inputs.size())
      return Status(StatusCode::InvalidInput, "the model takes " + std::to_string(m.inputs.size()) + " inputs, " +
                                                  std::to_string(in.size()) + " were given");
    if (out.size() != m.outputs.size())
      return Status(StatusCode::InvalidInput, "the model has " + std::to_string(m.outputs.size()) + " outputs, room for " +
                                                  std::to_string(out.size()) + " was given");
    for (size_t i = 0; i < in.size(); ++i) {
      const TensorView& t = in[i];
      if (t.dtype == DType::Undefined && t.data == nullptr) {
        ValueId v = m.graph.inputs[i];
        if (!m.inputs[i].has_default) return Status(StatusCode::InvalidInput, "input '" + m.inputs[i].name + "' is missing");
        inputs[i] = m.graph.values[v].constant->view();
      } else {
        if (t.dtype != m.inputs[i].dtype) return check_input(m.inputs[i], t);
        if (t.data == nullptr && t.numel() != 0)
          return Status(StatusCode::InvalidInput, "input '" + m.inputs[i].name + "' has no data");
        inputs[i] = t;
      }
    }
    if (Status s = select_plan(); !s.ok()) return s;
    for (const Patch& p : patches) slots[p.slot].data = static_cast<char*>(inputs[p.input].data) + p.offset;
    strings.reset();
    for (const KernelCtx& k : kctx)
      if (Status s = cur->steps[&k - kctx.data()].fn(k); !s.ok()) return s;
    for (size_t j = 0; j < out.size(); ++j) out[j] = out_template[j];
    for (const Patch& p : out_patches) out[p.slot].tensor.data = static_cast<char*>(inputs[p.input].data) + p.offset;
    return {};
  }
};

Session::Session(std::shared_ptr<const Model> model) : impl_(std::make_unique<Impl>(std::move(model))) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
const Model& Session::model() const { return *impl_->model; }
size_t Session::arena_bytes() const { return impl_->cur ? impl_->cur->arena_bytes : 0; }

Status Session::run(std::span<const TensorView> inputs, std::span<Value> outputs) {
  try {
    return impl_->run(inputs, outputs);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::Error, "out of memory");
  } catch (const std::exception& e) {
    return Status(StatusCode::Error, std::string("internal error: ") + e.what());
  }
}

Status Session::run(const std::vector<std::pair<std::string, TensorView>>& named, std::vector<Value>& outputs) {
  const Model& m = *impl_->model;
  std::vector<TensorView> in(m.inputs().size());
  for (auto& [name, t] : named) {
    int i = m.input_index(name);
    if (i < 0) return Status(StatusCode::InvalidInput, "the model has no input named '" + name + "'");
    in[i] = t;
  }
  outputs.resize(m.outputs().size());
  return run(in, outputs);
}

}  // namespace rtml
