// loader.cc - Model::load: read -> look every op up (one message for all unsupported ones) ->
// load each node (types, states) -> passes -> planning facts -> the API's view of the graph.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "engine/model_impl.hpp"
#include "engine/plan.hpp"
#include "engine/passes/pass.hpp"
#include "engine/reader.hpp"

namespace rtml {

// The default-domain opsets rtml knows; newer imports are refused rather than guessed at.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 28;

const char* attr_type_name(Attr::Type t) {
  switch (t) {
    case Attr::Type::Float: return "float";
    case Attr::Type::Int: return "int";
    case Attr::Type::String: return "string";
    case Attr::Type::Tensor: return "tensor";
    case Attr::Type::Floats: return "floats";
    case Attr::Type::Ints: return "ints";
    case Attr::Type::Strings: return "strings";
    case Attr::Type::Tensors: return "tensors";
    case Attr::Type::Graph: return "graph";
    default: return "undefined";
  }
}

std::string op_label(const Node& n) { return (n.domain.empty() ? "" : n.domain + ":") + n.op_type; }

std::string node_label(const Node& n, size_t index) {
  return "node " + (n.name.empty() ? "#" + std::to_string(index) : "'" + n.name + "'") + " (" + op_label(n) + ")";
}

// ---- LoadCtx ------------------------------------------------------------------------------------

bool LoadCtx::check_type(const Attr* a, Attr::Type t) {
  if (a->type == t) return true;
  if (attr_error_.empty())
    attr_error_ = "attribute '" + a->name + "' is " + attr_type_name(a->type) + ", expected " + attr_type_name(t);
  return false;
}
int64_t LoadCtx::attr_int(const char* name, int64_t def) {
  const Attr* a = attr(name);
  return a && check_type(a, Attr::Type::Int) ? a->i : def;
}
float LoadCtx::attr_float(const char* name, float def) {
  const Attr* a = attr(name);
  return a && check_type(a, Attr::Type::Float) ? a->f : def;
}
std::string LoadCtx::attr_string(const char* name, const std::string& def) {
  const Attr* a = attr(name);
  return a && check_type(a, Attr::Type::String) ? a->s : def;
}
std::vector<int64_t> LoadCtx::attr_ints(const char* name) {
  const Attr* a = attr(name);
  return a && check_type(a, Attr::Type::Ints) ? a->ints.vec() : std::vector<int64_t>{};
}
std::vector<float> LoadCtx::attr_floats(const char* name) {
  const Attr* a = attr(name);
  return a && check_type(a, Attr::Type::Floats) ? a->floats.vec() : std::vector<float>{};
}
std::vector<std::string> LoadCtx::attr_strings(const char* name) {
  const Attr* a = attr(name);
  return a && check_type(a, Attr::Type::Strings) ? a->strings.vec() : std::vector<std::string>{};
}
std::shared_ptr<const Tensor> LoadCtx::attr_tensor(const char* name) {
  const Attr* a = attr(name);
  return a && check_type(a, Attr::Type::Tensor) ? a->t : nullptr;
}
void LoadCtx::set_out_map(int i, DType value_type, std::shared_ptr<const Tensor> keys) {
  if (!has_output(i)) return;
  ValueInfo& v = graph.values[node.outputs[i]];
  v.kind = ValueKind::SequenceOfMaps;
  v.dtype = value_type;
  v.map_key_dtype = keys ? keys->dtype() : DType::Undefined;
  v.map_keys = std::move(keys);
}
Status LoadCtx::invalid(const std::string& why) const {
  return Status(StatusCode::InvalidModel, node_label(node, index_) + ": " + why);
}
Status LoadCtx::unsupported(const std::string& why) const {
  return Status(StatusCode::Unsupported, node_label(node, index_) + ": " + why);
}
Status LoadCtx::require_input(int i, std::initializer_list<DType> types, bool required) const {
  if (!has_input(i)) {
    if (!required) return {};
    return invalid("input " + std::to_string(i) + " is required");
  }
  if (in_kind(i) != ValueKind::Tensor) return unsupported("input " + std::to_string(i) + " is not a tensor");
  DType t = in_dtype(i);
  for (DType ok : types)
    if (t == ok) return {};
  std::string list;
  for (DType ok : types) list += std::string(list.empty() ? "" : ", ") + dtype_name(ok);
  std::string msg = "input " + std::to_string(i) + " ('" + in_info(i).name + "') is " + dtype_name(t) + "; rtml takes " + list;
  return dtype_known(static_cast<int32_t>(t)) ? unsupported(msg) : invalid(msg);
}

Status KernelCtx::invalid_input(const std::string& why) const {
  return Status(StatusCode::InvalidInput, (node ? node_label(*node, 0) : std::string("node")) + ": " + why);
}
Status PlanCtx::invalid_input(const std::string& why) const {
  return Status(StatusCode::InvalidInput, node_label(node, index_) + ": " + why);
}

// ---- loading nodes --------------------------------------------------------------------------------

Status load_node(Graph& g, size_t i) {
  Node& n = g.nodes[i];
  int64_t opset = g.opset(n.domain);
  n.opset = opset;
  n.def = OpRegistry::global().find(n.domain, n.op_type, opset);
  if (!n.def)
    return Status(StatusCode::Unsupported, node_label(n, i) + ": not supported at opset " + std::to_string(opset));
  for (ValueId v : n.inputs)
    if (v != kNoValue && g.values[v].kind != ValueKind::Tensor)
      return Status(StatusCode::Unsupported, node_label(n, i) + ": input '" + g.values[v].name + "' is not a tensor");
  LoadCtx ctx(g, n, i);
  Status s = n.def->load(ctx);
  if (!s.ok()) return s;
  if (!ctx.attr_error().empty()) return Status(StatusCode::InvalidModel, node_label(n, i) + ": " + ctx.attr_error());
  for (size_t o = 0; o < n.outputs.size(); ++o)
    if (n.outputs[o] != kNoValue && g.values[n.outputs[o]].dtype == DType::Undefined)
      return Status(StatusCode::Error, node_label(n, i) + ": internal error: output " + std::to_string(o) + " has no type");
  return {};
}

Status PassCtx::reload(Graph& g, size_t i) const { return load_node(g, i); }

#define RTML_PASS(name) Status pass_##name(Graph&, const PassCtx&);
#include "engine/passes/passes.inc"
#undef RTML_PASS

namespace {

// Every (domain, op, opset) the registry lacks, in one message.
Status check_supported(const Graph& g) {
  std::set<std::string> missing;
  for (const Node& n : g.nodes) {
    int64_t opset = g.opset(n.domain);
    if (opset == 0 && g.opsets.size() && n.domain != "rtml") {
      // Domain not imported: refuse as malformed (the ONNX checker does too).
      return Status(StatusCode::InvalidModel, node_label(n, 0) + ": domain '" + (n.domain.empty() ? "ai.onnx" : n.domain) +
                                                  "' is not in the model's opset imports");
    }
    if (!OpRegistry::global().find(n.domain, n.op_type, opset))
      missing.insert("(" + (n.domain.empty() ? std::string("ai.onnx") : n.domain) + ", " + n.op_type + ", " + std::to_string(opset) + ")");
  }
  if (missing.empty()) return {};
  std::string msg = "unsupported operators (domain, op, opset): ";
  bool first = true;
  for (const auto& m : missing) msg += (first ? "" : ", ") + m, first = false;
  return Status(StatusCode::Unsupported, msg);
}

Status check_opsets(const Graph& g) {
  for (auto& [domain, v] : g.opsets) {
    if (domain.empty()) {
      bool used = false;
      for (const Node& n : g.nodes) used |= n.domain.empty();
      if (!used) continue;
      if (v < kMinOpset)
        return Status(StatusCode::Unsupported, "default-domain opset " + std::to_string(v) + " is older than 7, the oldest rtml supports");
      if (v > kMaxOpset)
        return Status(StatusCode::Unsupported, "default-domain opset " + std::to_string(v) + " is newer than rtml knows (" +
                                                   std::to_string(kMaxOpset) + ")");
    }
  }
  return {};
}

Status run_passes(Graph& g, const ModelOptions& opts) {
  PassCtx ctx{opts};
  struct Entry {
    const char* name;
    PassFn fn;
  };
  static const Entry passes[] = {
#define RTML_PASS(name) {#name, &pass_##name},
#include "engine/passes/passes.inc"
#undef RTML_PASS
  };
  for (const Entry& p : passes) {
    Status s = p.fn(g, ctx);
    if (!s.ok()) return Status(s.code(), std::string("pass ") + p.name + ": " + s.message());
  }
  return {};
}

// Which nodes the planner must evaluate (their outputs decide shapes), and which graph inputs
// key a plan.
void analyse(Model::Impl& m) {
  const Graph& g = m.graph;
  std::vector<uint8_t> shape_relevant(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (size_t i = 0; i < n.inputs.size() && i < 32; ++i)
      if ((n.def->shape_inputs >> i) & 1u && n.inputs[i] != kNoValue) shape_relevant[n.inputs[i]] = 1;
  m.plan_time_required.assign(g.nodes.size(), 0);
  for (size_t k = g.nodes.size(); k-- > 0;) {
    const Node& n = g.nodes[k];
    bool relevant = n.def->flags & kOpShapeOnly;
    for (ValueId o : n.outputs) relevant |= o != kNoValue && shape_relevant[o];
    if (!relevant) continue;
    m.plan_time_required[k] = 1;
    if (n.def->flags & kOpShapeOnly) continue;
    for (ValueId v : n.inputs)
      if (v != kNoValue) shape_relevant[v] = 1;
  }
  m.key_input.assign(g.inputs.size(), 0);
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    m.key_input[i] = shape_relevant[g.inputs[i]];
    m.has_key_inputs |= m.key_input[i] != 0;
  }
}

IOInfo io_info(const ValueInfo& v, const std::string& name) {
  IOInfo io;
  io.name = name;
  io.kind = v.kind;
  io.dtype = v.dtype;
  io.map_key_dtype = v.map_key_dtype;
  io.has_shape = v.has_declared_shape;
  for (const Dim& d : v.declared_shape) {
    io.dims.push_back(d.value);
    io.dim_names.push_back(d.param);
  }
  io.has_default = v.overridable;
  return io;
}

// A model whose input shapes are all fixed is planned once at load, so that a shape error in the
// file (Add of [3] and [4], a Reshape that cannot fit) is refused at load naming the node, not at
// the first run. Models with dynamic dims or shape-deciding inputs are planned at their first run.
Status probe_static_plan(const Model::Impl& m) {
  if (m.has_key_inputs) return {};
  std::vector<Tensor> in;
  std::vector<TensorView> views;
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    const IOInfo& io = m.inputs[i];
    if (!io.has_shape) return {};
    Shape s;
    for (int64_t d : io.dims) {
      if (d < 0) return {};
      s.push_back(d);
    }
    if (s.numel() > (int64_t(1) << 24)) return {};  // do not allocate big probes
    in.emplace_back(io.dtype, s);
  }
  for (auto& t : in) views.push_back(t.view());
  auto plan = build_plan(m, views.data(), 1);
  if (plan.ok() || plan.status().code() != StatusCode::InvalidInput) return plan.status();
  return Status(StatusCode::InvalidModel, "the model's own shapes do not fit: " + plan.status().message());
}

}  // namespace

static Result<std::shared_ptr<const Model>> load_impl(const void* data, size_t size, const ModelOptions& options,
                                                      const std::string& base_dir) {
  auto impl = std::make_unique<Model::Impl>();
  impl->options = options;
  Graph& g = impl->graph;
  if (Status s = read_model(data, size, base_dir, &g); !s.ok()) return s;
  impl->opsets = g.opsets;
  for (const Node& n : g.nodes) ++impl->op_counts[n.domain.empty() ? n.op_type : n.domain + ":" + n.op_type];
  if (Status s = check_opsets(g); !s.ok()) return s;
  if (Status s = check_supported(g); !s.ok()) return s;
  for (ValueId v : g.inputs)
    if (g.values[v].kind != ValueKind::Tensor)
      return Status(StatusCode::Unsupported, "graph input '" + g.values[v].name + "' is not a tensor");
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (Status s = load_node(g, i); !s.ok()) return s;
  if (options.optimize)
    if (Status s = run_passes(g, options); !s.ok()) return s;
  analyse(*impl);
  for (ValueId v : g.inputs) impl->inputs.push_back(io_info(g.values[v], g.values[v].name));
  for (size_t j = 0; j < g.outputs.size(); ++j) {
    IOInfo io = io_info(g.values[g.outputs[j]], g.output_names[j]);
    io.has_default = false;
    impl->outputs.push_back(std::move(io));
  }
  if (Status s = probe_static_plan(*impl); !s.ok()) return s;
  // Attributes are read only while loading (each op keeps what it needs in its state); the
  // parsed protobuf their lists view (AttrList) goes now, with them.
  for (Node& n : g.nodes) n.attrs.list.clear();
  g.proto_memory.reset();
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::move(impl)));
}

Result<std::shared_ptr<const Model>> Model::load_bytes(const void* data, size_t size, const ModelOptions& options,
                                                       const std::string& base_dir) {
  try {
    return load_impl(data, size, options, base_dir);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::Error, "out of memory while loading the model");
  } catch (const std::exception& e) {
    return Status(StatusCode::Error, std::string("internal error while loading the model: ") + e.what());
  }
}

Result<std::shared_ptr<const Model>> Model::load(const std::string& path, const ModelOptions& options) {
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  // The file is mapped, not copied (a big model's bytes are read once, by the parser).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(StatusCode::Error, "cannot open model file '" + path + "'");
  struct stat stt {};
  if (::fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
    ::close(fd);
    return Status(StatusCode::Error, "cannot read model file '" + path + "' (not a regular file)");
  }
  const size_t size = static_cast<size_t>(stt.st_size);
  if (size == 0) {
    ::close(fd);
    return load_bytes("", 0, options, dir);
  }
  int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
  flags |= MAP_POPULATE;  // fault the pages in at once
#endif
  void* map = ::mmap(nullptr, size, PROT_READ, flags, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return Status(StatusCode::Error, "cannot map model file '" + path + "'");
  auto r = load_bytes(map, size, options, dir);
  ::munmap(map, size);
  return r;
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;
const std::vector<IOInfo>& Model::inputs() const { return impl_->inputs; }
const std::vector<IOInfo>& Model::outputs() const { return impl_->outputs; }
int Model::input_index(std::string_view name) const {
  for (size_t i = 0; i < impl_->inputs.size(); ++i)
    if (impl_->inputs[i].name == name) return static_cast<int>(i);
  return -1;
}
int Model::output_index(std::string_view name) const {
  for (size_t i = 0; i < impl_->outputs.size(); ++i)
    if (impl_->outputs[i].name == name) return static_cast<int>(i);
  return -1;
}
std::vector<std::pair<std::string, int64_t>> Model::opsets() const { return impl_->opsets; }
std::map<std::string, int> Model::op_counts() const { return impl_->op_counts; }
int64_t Model::ir_version() const { return impl_->graph.ir_version; }
std::string Model::producer() const { return impl_->graph.producer; }
const ModelOptions& Model::options() const { return impl_->options; }

}  // namespace rtml
