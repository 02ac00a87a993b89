// reader.cc - the only code that sees protobuf: ModelProto -> Graph, TensorProto <-> Tensor.
// Every size that comes from the file is checked before it is used or allocated.
#include "engine/reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <google/protobuf/arena.h>

#include "engine/bigmem.hpp"
#include "rtml_proto/onnx.pb.h"

namespace rtml {

namespace {

// Refuse tensors over 16 GiB or 2^40 elements before any allocation (a 24 GiB machine).
constexpr int64_t kMaxElements = int64_t(1) << 40;
constexpr uint64_t kMaxTensorBytes = uint64_t(16) << 30;

Status bad(const std::string& ctx, const std::string& why) {
  return Status(StatusCode::InvalidModel, ctx + ": " + why);
}

bool checked_numel(const google::protobuf::RepeatedField<int64_t>& dims, int64_t* n) {
  int64_t total = 1;
  for (int64_t d : dims) {
    if (d < 0) return false;
    if (d != 0 && total > kMaxElements / d) return false;
    total *= d;
  }
  *n = total;
  return total <= kMaxElements;
}

Status read_external(const onnx::TensorProto& tp, const std::string& base_dir, const std::string& ctx,
                     size_t want_bytes, void* dst) {
  if (base_dir.empty())
    return bad(ctx, "external data needs the model's folder (load the model from a file path)");
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : tp.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(kv.value().c_str(), &end, 10);
      if (errno || !end || *end || v < 0) return bad(ctx, "external data " + kv.key() + " '" + kv.value() + "' is not a non-negative integer");
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) return bad(ctx, "external data without a location");
  namespace fs = std::filesystem;
  fs::path rel(location);
  if (rel.is_absolute()) return bad(ctx, "external data location '" + location + "' is an absolute path");
  for (const auto& part : rel)
    if (part == "..") return bad(ctx, "external data location '" + location + "' leaves the model's folder");
  std::error_code ec;
  fs::path base = fs::canonical(base_dir, ec);
  if (ec) return bad(ctx, "cannot resolve the model's folder '" + base_dir + "'");
  fs::path full = fs::weakly_canonical(base / rel, ec);
  if (ec) return bad(ctx, "cannot resolve external data '" + location + "'");
  auto b = base.string(), f = full.string();
  if (f.size() <= b.size() || f.compare(0, b.size(), b) != 0 || f[b.size()] != '/')
    return bad(ctx, "external data location '" + location + "' leaves the model's folder (through a link)");
  int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bad(ctx, "cannot open external data file '" + location + "'");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return bad(ctx, "external data '" + location + "' is not a regular file");
  }
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  uint64_t len = length < 0 ? (file_size >= uint64_t(offset) ? file_size - offset : 0) : uint64_t(length);
  if (uint64_t(offset) > file_size || len > file_size - uint64_t(offset)) {
    ::close(fd);
    return bad(ctx, "external data offset " + std::to_string(offset) + " + length " + std::to_string(len) +
                        " is past the end of '" + location + "' (" + std::to_string(file_size) + " bytes)");
  }
  if (len != want_bytes) {
    ::close(fd);
    return bad(ctx, "external data holds " + std::to_string(len) + " bytes, the shape needs " + std::to_string(want_bytes));
  }
  size_t done = 0;
  while (done < want_bytes) {
    ssize_t r = ::pread(fd, static_cast<char*>(dst) + done, want_bytes - done, offset + done);
    if (r <= 0) {
      ::close(fd);
      return bad(ctx, "cannot read external data '" + location + "'");
    }
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  return {};
}

template <class Dst, class Src>
void copy_cast(const Src& src, void* dst, int64_t n) {
  Dst* d = static_cast<Dst*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = static_cast<Dst>(src.Get(static_cast<int>(i)));
}

}  // namespace

Status tensor_from_proto(const onnx::TensorProto& tp, const std::string& base_dir, const std::string& ctx, Tensor* out) {
  int32_t code = tp.data_type();
  if (code == 16 || (code >= 17 && code <= 26))
    return Status(StatusCode::Unsupported, ctx + ": element type " + std::to_string(code) +
                                               " (bfloat16, float8, float4, int4/uint4 or int2/uint2) is not supported");
  if (code == 14 || code == 15) return Status(StatusCode::Unsupported, ctx + ": complex tensors are not supported");
  if (!dtype_known(code)) return bad(ctx, "unknown element type " + std::to_string(code));
  if (tp.has_segment()) return Status(StatusCode::Unsupported, ctx + ": segmented tensors are not supported");
  if (tp.dims_size() > Shape::kMaxRank)
    return Status(StatusCode::Unsupported, ctx + ": rank " + std::to_string(tp.dims_size()) + " is over rtml's maximum of " +
                                               std::to_string(Shape::kMaxRank));
  int64_t n = 0;
  if (!checked_numel(tp.dims(), &n)) return bad(ctx, "dimensions are negative or too large");
  DType t = static_cast<DType>(code);
  uint64_t bytes = static_cast<uint64_t>(n) * dtype_size(t);
  if (t != DType::String && bytes > kMaxTensorBytes) return bad(ctx, "tensor of " + std::to_string(bytes) + " bytes is too large");
  Shape shape(tp.dims().begin(), tp.dims().end());
  auto count_ok = [&](int64_t have) -> Status {
    if (have != n)
      return bad(ctx, "holds " + std::to_string(have) + " values, its shape " + shape.str() + " needs " + std::to_string(n));
    return {};
  };

  if (t == DType::String) {
    if (tp.has_raw_data() && !tp.raw_data().empty()) return bad(ctx, "string tensor with raw_data");
    if (Status s = count_ok(tp.string_data_size()); !s.ok()) return s;
    Tensor result(t, shape);
    for (int64_t i = 0; i < n; ++i) result.set_str(i, tp.string_data(static_cast<int>(i)));
    *out = std::move(result);
    return {};
  }

  if (tp.data_location() == onnx::TensorProto::EXTERNAL) {
    Tensor result(t, shape);
    if (Status s = read_external(tp, base_dir, ctx, static_cast<size_t>(bytes), result.raw()); !s.ok()) return s;
    *out = std::move(result);
    return {};
  }

  if (tp.has_raw_data()) {
    if (tp.raw_data().size() != bytes)
      return bad(ctx, "raw_data has " + std::to_string(tp.raw_data().size()) + " bytes, shape " + shape.str() + " of " +
                          dtype_name(t) + " needs " + std::to_string(bytes));
    Tensor result(t, shape);
    if (bytes) std::memcpy(result.raw(), tp.raw_data().data(), bytes);  // little-endian hosts only
    if (t == DType::Bool)
      for (int64_t i = 0; i < n; ++i) result.data<uint8_t>()[i] = result.data<uint8_t>()[i] != 0;
    *out = std::move(result);
    return {};
  }

  Tensor result(t, shape);
  void* dst = result.raw();
  Status s;
  switch (t) {
    case DType::F32:
      if ((s = count_ok(tp.float_data_size())).ok()) copy_cast<float>(tp.float_data(), dst, n);
      break;
    case DType::F64:
      if ((s = count_ok(tp.double_data_size())).ok()) copy_cast<double>(tp.double_data(), dst, n);
      break;
    case DType::I64:
      if ((s = count_ok(tp.int64_data_size())).ok()) copy_cast<int64_t>(tp.int64_data(), dst, n);
      break;
    case DType::U32:
      if ((s = count_ok(tp.uint64_data_size())).ok()) copy_cast<uint32_t>(tp.uint64_data(), dst, n);
      break;
    case DType::U64:
      if ((s = count_ok(tp.uint64_data_size())).ok()) copy_cast<uint64_t>(tp.uint64_data(), dst, n);
      break;
    case DType::I32:
      if ((s = count_ok(tp.int32_data_size())).ok()) copy_cast<int32_t>(tp.int32_data(), dst, n);
      break;
    case DType::I16:
      if ((s = count_ok(tp.int32_data_size())).ok()) copy_cast<int16_t>(tp.int32_data(), dst, n);
      break;
    case DType::U16: case DType::F16:
      if ((s = count_ok(tp.int32_data_size())).ok()) copy_cast<uint16_t>(tp.int32_data(), dst, n);
      break;
    case DType::I8:
      if ((s = count_ok(tp.int32_data_size())).ok()) copy_cast<int8_t>(tp.int32_data(), dst, n);
      break;
    case DType::U8:
      if ((s = count_ok(tp.int32_data_size())).ok()) copy_cast<uint8_t>(tp.int32_data(), dst, n);
      break;
    case DType::Bool:
      if ((s = count_ok(tp.int32_data_size())).ok())
        for (int64_t i = 0; i < n; ++i) static_cast<uint8_t*>(dst)[i] = tp.int32_data(static_cast<int>(i)) != 0;
      break;
    default:
      s = bad(ctx, "unhandled element type");
  }
  if (!s.ok()) return s;
  *out = std::move(result);
  return {};
}

namespace {

struct Reader {
  Graph& g;
  const std::string& base_dir;
  std::unordered_map<std::string, ValueId> ids;

  ValueId value(const std::string& name) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    ValueId v = g.add_value(name);
    ids.emplace(name, v);
    return v;
  }

  Status type_of(const onnx::TypeProto& tp, ValueInfo& vi, const std::string& ctx) {
    if (tp.has_tensor_type()) {
      const auto& tt = tp.tensor_type();
      int32_t code = tt.elem_type();
      if (code == 16 || (code >= 14 && code <= 26))
        return Status(StatusCode::Unsupported, ctx + ": element type " + std::to_string(code) + " is not supported");
      if (code != 0 && !dtype_known(code)) return bad(ctx, "unknown element type " + std::to_string(code));
      vi.kind = ValueKind::Tensor;
      vi.dtype = static_cast<DType>(code);
      if (tt.has_shape()) {
        if (tt.shape().dim_size() > Shape::kMaxRank)
          return Status(StatusCode::Unsupported, ctx + ": rank " + std::to_string(tt.shape().dim_size()) + " is over rtml's maximum of " +
                                                     std::to_string(Shape::kMaxRank));
        vi.has_declared_shape = true;
        vi.declared_shape.clear();
        for (const auto& d : tt.shape().dim()) {
          Dim dim;
          if (d.has_dim_value()) {
            if (d.dim_value() < 0) return bad(ctx, "negative dimension " + std::to_string(d.dim_value()));
            dim.value = d.dim_value();
          } else {
            dim.param = d.dim_param();
          }
          vi.declared_shape.push_back(std::move(dim));
        }
      }
      return {};
    }
    if (tp.has_sequence_type()) {
      const auto& el = tp.sequence_type().elem_type();
      if (el.has_map_type()) {
        const auto& mt = el.map_type();
        vi.kind = ValueKind::SequenceOfMaps;
        vi.map_key_dtype = static_cast<DType>(mt.key_type());
        if (mt.value_type().has_tensor_type()) vi.dtype = static_cast<DType>(mt.value_type().tensor_type().elem_type());
        return {};
      }
      return Status(StatusCode::Unsupported, ctx + ": sequence values are not supported");
    }
    if (tp.has_map_type()) return Status(StatusCode::Unsupported, ctx + ": map values are not supported");
    if (tp.has_optional_type()) return Status(StatusCode::Unsupported, ctx + ": optional values are not supported");
    if (tp.has_sparse_tensor_type()) return Status(StatusCode::Unsupported, ctx + ": sparse tensors are not supported");
    return {};  // no type given: inferred
  }

  Status attribute(const onnx::AttributeProto& ap, Attr& a, const std::string& ctx) {
    a.name = ap.name();
    std::string actx = ctx + " attribute '" + ap.name() + "'";
    if (!ap.ref_attr_name().empty()) return bad(actx, "refers to a function attribute outside a function");
    using AP = onnx::AttributeProto;
    int type = ap.type();
    if (type == AP::UNDEFINED) {  // very old files: the field that is set says the type
      if (ap.has_f()) type = AP::FLOAT;
      else if (ap.has_i()) type = AP::INT;
      else if (ap.has_s()) type = AP::STRING;
      else if (ap.has_t()) type = AP::TENSOR;
      else if (ap.floats_size()) type = AP::FLOATS;
      else if (ap.ints_size()) type = AP::INTS;
      else if (ap.strings_size()) type = AP::STRINGS;
      else if (ap.tensors_size()) type = AP::TENSORS;
    }
    switch (type) {
      case AP::FLOAT: a.type = Attr::Type::Float; a.f = ap.f(); break;
      case AP::INT: a.type = Attr::Type::Int; a.i = ap.i(); break;
      case AP::STRING: a.type = Attr::Type::String; a.s = ap.s(); break;
      // Lists are views of the parsed protobuf, which the graph keeps (Graph::proto_memory).
      case AP::FLOATS:
        a.type = Attr::Type::Floats;
        a.floats = AttrList<float>::view(ap.floats().data(), static_cast<size_t>(ap.floats_size()));
        break;
      case AP::INTS:
        a.type = Attr::Type::Ints;
        a.ints = AttrList<int64_t>::view(ap.ints().data(), static_cast<size_t>(ap.ints_size()));
        break;
      case AP::STRINGS:
        a.type = Attr::Type::Strings;
        a.strings = AttrList<std::string>::view(ap.strings().data(), static_cast<size_t>(ap.strings_size()));
        break;
      case AP::TENSOR: {
        a.type = Attr::Type::Tensor;
        auto t = std::make_shared<Tensor>();
        if (Status s = tensor_from_proto(ap.t(), base_dir, actx, t.get()); !s.ok()) return s;
        a.t = std::move(t);
        break;
      }
      case AP::TENSORS:
        a.type = Attr::Type::Tensors;
        for (const auto& tp : ap.tensors()) {
          auto t = std::make_shared<Tensor>();
          if (Status s = tensor_from_proto(tp, base_dir, actx, t.get()); !s.ok()) return s;
          a.tensors.push_back(std::move(t));
        }
        break;
      case AP::GRAPH: case AP::GRAPHS: a.type = Attr::Type::Graph; break;
      case AP::SPARSE_TENSOR: case AP::SPARSE_TENSORS:
        return Status(StatusCode::Unsupported, actx + ": sparse tensor attributes are not supported");
      case AP::TYPE_PROTO: case AP::TYPE_PROTOS: a.type = Attr::Type::Undefined; break;
      default: return bad(actx, "unknown attribute type " + std::to_string(type));
    }
    return {};
  }

  Status topo_sort() {
    size_t n = g.nodes.size();
    std::vector<int> producer(g.values.size(), -1);
    for (size_t i = 0; i < n; ++i)
      for (ValueId o : g.nodes[i].outputs)
        if (o != kNoValue) {
          if (producer[o] >= 0 || g.values[o].constant || g.values[o].is_graph_input)
            return bad(node_label(g.nodes[i], i), "output '" + g.values[o].name + "' is defined more than once");
          producer[o] = static_cast<int>(i);
        }
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> users(n);
    for (size_t i = 0; i < n; ++i)
      for (ValueId v : g.nodes[i].inputs) {
        if (v == kNoValue) continue;
        if (producer[v] >= 0) {
          ++pending[i];
          users[producer[v]].push_back(static_cast<int>(i));
        } else if (!g.values[v].constant && !g.values[v].is_graph_input) {
          return bad(node_label(g.nodes[i], i), "input '" + g.values[v].name + "' is not produced by any node, input or initializer");
        }
      }
    std::vector<int> order, ready;
    for (size_t i = n; i-- > 0;)
      if (!pending[i]) ready.push_back(static_cast<int>(i));
    // Keep the file's order where it is already topological (stable: smallest index first).
    std::make_heap(ready.begin(), ready.end(), std::greater<int>());
    while (!ready.empty()) {
      std::pop_heap(ready.begin(), ready.end(), std::greater<int>());
      int i = ready.back();
      ready.pop_back();
      order.push_back(i);
      for (int u : users[i])
        if (--pending[u] == 0) {
          ready.push_back(u);
          std::push_heap(ready.begin(), ready.end(), std::greater<int>());
        }
    }
    if (order.size() != n) {
      for (size_t i = 0; i < n; ++i)
        if (pending[i]) return bad(node_label(g.nodes[i], i), "the graph has a cycle through this node");
    }
    std::vector<Node> sorted;
    sorted.reserve(n);
    for (int i : order) sorted.push_back(std::move(g.nodes[i]));
    g.nodes = std::move(sorted);
    for (size_t j = 0; j < g.outputs.size(); ++j) {
      ValueId v = g.outputs[j];
      if (producer[v] < 0 && !g.values[v].constant && !g.values[v].is_graph_input)
        return bad("graph output '" + g.output_names[j] + "'", "is not produced by any node, input or initializer");
    }
    return {};
  }

  Status read(const onnx::ModelProto& m) {
    g.ir_version = m.ir_version();
    if (g.ir_version < 3) return Status(StatusCode::Unsupported, "IR version " + std::to_string(g.ir_version) + " is older than 3, which rtml supports from");
    if (g.ir_version > 13) return Status(StatusCode::Unsupported, "IR version " + std::to_string(g.ir_version) + " is newer than rtml knows (13)");
    g.producer = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());
    for (const auto& op : m.opset_import()) g.opsets.emplace_back(op.domain() == "ai.onnx" ? "" : op.domain(), op.version());
    if (!m.has_graph()) return bad("model", "has no graph");
    const auto& gp = m.graph();
    if (gp.sparse_initializer_size()) return Status(StatusCode::Unsupported, "sparse initializers are not supported");
    for (const auto& init : gp.initializer()) {
      if (init.name().empty()) return bad("initializer", "has no name");
      if (ids.count(init.name())) return bad("initializer '" + init.name() + "'", "is defined more than once");
      auto t = std::make_shared<Tensor>();
      if (Status s = tensor_from_proto(init, base_dir, "initializer '" + init.name() + "'", t.get()); !s.ok()) return s;
      ValueId v = value(init.name());
      g.values[v].dtype = t->dtype();
      g.values[v].constant = std::move(t);
    }
    for (const auto& in : gp.input()) {
      if (in.name().empty()) return bad("graph input", "has no name");
      ValueId v = value(in.name());
      ValueInfo& vi = g.values[v];
      if (vi.is_graph_input) return bad("graph input '" + in.name() + "'", "is listed twice");
      if (in.has_type())
        if (Status s = type_of(in.type(), vi, "graph input '" + in.name() + "'"); !s.ok()) return s;
      if (vi.constant) {
        if (g.ir_version < 4) continue;  // IR 3 lists every initializer as an input: a constant
        vi.overridable = true;
        if (vi.dtype != vi.constant->dtype()) vi.dtype = vi.constant->dtype();
      }
      if (vi.dtype == DType::Undefined && vi.kind == ValueKind::Tensor)
        return bad("graph input '" + in.name() + "'", "has no element type");
      vi.is_graph_input = true;
      g.inputs.push_back(v);
    }
    for (const auto& vi : gp.value_info()) {
      auto it = ids.find(vi.name());
      if (it == ids.end() || !vi.has_type()) continue;
      ValueInfo tmp;
      if (type_of(vi.type(), tmp, "value '" + vi.name() + "'").ok() && tmp.has_declared_shape) {
        g.values[it->second].has_declared_shape = true;
        g.values[it->second].declared_shape = tmp.declared_shape;
      }
    }
    size_t index = 0;
    for (const auto& np : gp.node()) {
      Node n;
      n.name = np.name();
      n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
      n.op_type = np.op_type();
      std::string ctx = "node " + (n.name.empty() ? "#" + std::to_string(index) : "'" + n.name + "'") + " (" +
                        (n.domain.empty() ? "" : n.domain + ":") + n.op_type + ")";
      if (n.op_type.empty()) return bad(ctx, "has no op_type");
      for (const auto& in : np.input()) n.inputs.push_back(in.empty() ? kNoValue : value(in));
      for (const auto& out : np.output()) n.outputs.push_back(out.empty() ? kNoValue : value(out));
      for (const auto& ap : np.attribute()) {
        Attr a;
        if (Status s = attribute(ap, a, ctx); !s.ok()) return s;
        if (n.attrs.find(a.name)) return bad(ctx, "attribute '" + a.name + "' is given twice");
        n.attrs.list.push_back(std::move(a));
      }
      g.nodes.push_back(std::move(n));
      ++index;
    }
    for (const auto& out : gp.output()) {
      if (out.name().empty()) return bad("graph output", "has no name");
      auto it = ids.find(out.name());
      if (it == ids.end()) return bad("graph output '" + out.name() + "'", "is not produced by any node, input or initializer");
      ValueInfo& vi = g.values[it->second];
      if (out.has_type()) {
        ValueInfo declared;
        if (Status s = type_of(out.type(), declared, "graph output '" + out.name() + "'"); !s.ok()) return s;
        if (declared.has_declared_shape) {
          vi.has_declared_shape = true;
          vi.declared_shape = declared.declared_shape;
        }
        if (vi.dtype == DType::Undefined && !vi.constant && !vi.is_graph_input) vi.dtype = declared.dtype;
        if (declared.kind == ValueKind::SequenceOfMaps) {
          vi.kind = declared.kind;
          vi.map_key_dtype = declared.map_key_dtype;
        }
      }
      g.outputs.push_back(it->second);
      g.output_names.push_back(out.name());
    }
    return topo_sort();
  }
};

}  // namespace

Status read_model(const void* data, size_t size, const std::string& base_dir, Graph* g) {
  if (size > size_t(INT_MAX)) return Status(StatusCode::InvalidModel, "model file over 2 GiB: put the weights in external data");
  // Parsed into an arena: a big forest has millions of repeated strings (nodes_modes), which
  // protobuf would otherwise allocate one by one and free one by one.
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = std::min<size_t>(size + 4096, size_t(256) << 20);
  arena_options.max_block_size = size_t(256) << 20;
  arena_options.block_alloc = [](size_t n) -> void* {
    void* p = mem::huge_alloc(n);
    if (!p) throw std::bad_alloc();  // load_bytes reports it
    return p;
  };
  arena_options.block_dealloc = [](void* p, size_t n) { mem::huge_free(p, n); };
  // Kept by the graph: attribute lists view it (AttrList).
  auto arena = std::make_shared<google::protobuf::Arena>(arena_options);
  g->proto_memory = arena;
  onnx::ModelProto* m = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(arena.get());
  if (!m->ParseFromArray(data, static_cast<int>(size)))
    return Status(StatusCode::InvalidModel, "not an ONNX model: the protobuf does not parse (truncated or another format)");
  Reader r{*g, base_dir, {}};
  return r.read(*m);
}

// ---- public TensorProto helpers ---------------------------------------------------------------

Result<Tensor> read_tensor_proto(const void* data, size_t size) {
  onnx::TensorProto tp;
  if (size > size_t(INT_MAX) || !tp.ParseFromArray(data, static_cast<int>(size)))
    return Status(StatusCode::InvalidInput, "not an onnx TensorProto");
  Tensor t;
  Status s = tensor_from_proto(tp, "", "tensor '" + tp.name() + "'", &t);
  if (!s.ok()) return Status(s.code() == StatusCode::InvalidModel ? StatusCode::InvalidInput : s.code(), s.message());
  return t;
}

Result<Tensor> read_tensor_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(StatusCode::Error, "cannot open " + path);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto r = read_tensor_proto(bytes.data(), bytes.size());
  if (!r.ok()) return Status(r.status().code(), path + ": " + r.status().message());
  return r;
}

static void fill_proto(const TensorView& t, const std::string& name, onnx::TensorProto* tp) {
  tp->set_name(name);
  tp->set_data_type(static_cast<int32_t>(t.dtype));
  for (int i = 0; i < t.shape.rank(); ++i) tp->add_dims(t.shape[i]);
  if (t.dtype == DType::String) {
    const StrRef* s = static_cast<const StrRef*>(t.data);
    for (int64_t i = 0; i < t.numel(); ++i) tp->add_string_data(s[i].data, s[i].size);
  } else if (t.bytes()) {
    tp->set_raw_data(t.data, t.bytes());
  }
}

std::string write_tensor_proto(const TensorView& t, const std::string& name) {
  onnx::TensorProto tp;
  fill_proto(t, name, &tp);
  return tp.SerializeAsString();
}

// onnx-data.proto (SequenceProto, MapProto) is not part of Debian's libonnx-dev, so these two
// messages are written by hand in protobuf's wire format. Field numbers, from onnx-data.proto:
//   SequenceProto: name = 1, elem_type = 2 (1 TENSOR, 4 MAP), tensor_values = 3, map_values = 6
//   MapProto:      name = 1, key_type = 2, keys = 3 (int64), string_keys = 4 (bytes), values = 5
namespace {
void put_varint(std::string& o, uint64_t v) {
  while (v >= 0x80) {
    o.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  o.push_back(static_cast<char>(v));
}
void put_tag(std::string& o, int field, int wire) { put_varint(o, static_cast<uint64_t>(field) << 3 | wire); }
void put_bytes(std::string& o, int field, std::string_view b) {
  put_tag(o, field, 2);
  put_varint(o, b.size());
  o.append(b.data(), b.size());
}
void put_int(std::string& o, int field, int64_t v) {
  put_tag(o, field, 0);
  put_varint(o, static_cast<uint64_t>(v));
}
}  // namespace

std::string write_sequence_of_maps_proto(const Value& v, const std::string& name) {
  const TensorView& keys = v.map_keys;
  int64_t rows = v.tensor.shape.rank() >= 1 ? v.tensor.shape[0] : 0;
  int64_t cols = keys.numel();
  std::string seq;
  put_bytes(seq, 1, name);
  put_int(seq, 2, 4);  // elem_type MAP
  for (int64_t r = 0; r < rows; ++r) {
    std::string map;
    put_int(map, 2, static_cast<int64_t>(keys.dtype));
    std::string values;
    put_int(values, 2, 1);  // elem_type TENSOR
    for (int64_t c = 0; c < cols; ++c) {
      if (keys.dtype == DType::String) {
        const StrRef& s = static_cast<const StrRef*>(keys.data)[c];
        put_bytes(map, 4, s.view());
      } else {
        put_int(map, 3, static_cast<const int64_t*>(keys.data)[c]);
      }
      TensorView scalar(v.tensor.dtype, Shape{},
                        static_cast<const char*>(v.tensor.data) + (r * cols + c) * dtype_size(v.tensor.dtype));
      onnx::TensorProto tp;
      fill_proto(scalar, "", &tp);
      put_bytes(values, 3, tp.SerializeAsString());
    }
    put_bytes(map, 5, values);
    put_bytes(seq, 6, map);
  }
  return seq;
}

}  // namespace rtml
