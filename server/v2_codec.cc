// v2_codec.cc - decoding KServe v2 requests (JSON tensors, binary extension, records) into
// TensorViews over reused buffers, and encoding Values into v2 answers.
#include "server/v2_codec.hpp"

#include <simdjson.h>

#include <cstring>
#include <limits>

#include "server/json_out.hpp"

namespace rtml::server {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

struct TypeName {
  const char* name;
  DType t;
};
constexpr TypeName kTypes[] = {
    {"BOOL", DType::Bool},   {"UINT8", DType::U8},   {"UINT16", DType::U16}, {"UINT32", DType::U32},
    {"UINT64", DType::U64},  {"INT8", DType::I8},    {"INT16", DType::I16},  {"INT32", DType::I32},
    {"INT64", DType::I64},   {"FP16", DType::F16},   {"FP32", DType::F32},   {"FP64", DType::F64},
    {"BYTES", DType::String},
};

std::string dims_str(const Shape& s) {
  std::string o = "[";
  for (int i = 0; i < s.rank(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
  return o + "]";
}

std::string model_dims_str(const IOInfo& io) {
  std::string o = "[";
  for (size_t i = 0; i < io.dims.size(); ++i) o += (i ? "," : "") + std::to_string(io.dims[i]);
  return o + "]";
}

}  // namespace

bool v2_dtype(std::string_view name, DType* out) {
  for (const TypeName& t : kTypes)
    if (name == t.name) return *out = t.t, true;
  return false;
}

const char* v2_name(DType t) {
  for (const TypeName& x : kTypes)
    if (x.t == t) return x.name;
  return "UNKNOWN";
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t man = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (man ? 0x200u : 0));
  int32_t e = static_cast<int32_t>(exp) - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    man |= 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - e);
    uint32_t h = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (man >> 13);
  uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) ++h;  // may carry into the exponent: fine
  return static_cast<uint16_t>(sign | h);
}

float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, x;
  if (exp == 0) {
    if (man == 0) {
      x = sign;
    } else {
      int e = -1;
      do { ++e; man <<= 1; } while (!(man & 0x400u));
      x = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (man << 13);
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

struct V2Codec::Impl {
  CodecLimits lim;
  simdjson::dom::parser parser;
  std::vector<std::vector<uint64_t>> buffers;  // per model input: element storage, 8-aligned
  std::vector<uint8_t> given;
  std::string bin_out;
  std::vector<element> row_values;  // records: one column's values, per row
  size_t json_size = 0;

  void* buffer(size_t i, size_t bytes) {
    if (buffers.size() <= i) buffers.resize(i + 1);
    auto& b = buffers[i];
    size_t words = (bytes + 7) / 8;
    if (b.size() < words) b.resize(words);
    return b.data();
  }

  Error decode_v2(element root, std::string_view binary, const std::vector<IOInfo>& ins,
                  const std::vector<IOInfo>& outs, InferCall& call);
  Error decode_records(element root, const std::vector<IOInfo>& ins, InferCall& call);
  Error check_shape(const IOInfo& io, const Shape& s, int64_t max_elems, int64_t* numel);
};

V2Codec::V2Codec(CodecLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->lim = limits;
  if (impl_->parser.allocate(64 * 1024, static_cast<size_t>(limits.max_depth))) {
    // Out of memory here: decode() allocates again (and reports) on first use.
  }
}
V2Codec::~V2Codec() = default;

static simdjson::dom::array as_array(element e) {
  simdjson::dom::array a;
  if (e.get_array().get(a)) return {};
  return a;
}

// ---- element conversion --------------------------------------------------------------------

template <class T>
static bool convert(element e, T* out) {
  if constexpr (std::is_same_v<T, bool>) {
    bool b;
    if (e.get_bool().get(b) == simdjson::SUCCESS) return *out = b, true;
    int64_t v;
    if (e.get_int64().get(v) == simdjson::SUCCESS && (v == 0 || v == 1)) return *out = v != 0, true;
    return false;
  } else if constexpr (std::is_floating_point_v<T>) {
    double d;
    if (e.get_double().get(d) != simdjson::SUCCESS) return false;
    *out = static_cast<T>(d);
    return true;
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return e.get_uint64().get(*out) == simdjson::SUCCESS;
  } else {
    int64_t v;
    if (e.get_int64().get(v) != simdjson::SUCCESS) return false;
    if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
      return false;
    *out = static_cast<T>(v);
    return true;
  }
}

// Flattens nested arrays of scalars into dst[0..n); k counts elements written.
template <class T>
static bool fill(element e, T* dst, int64_t n, int64_t& k) {
  if (e.type() == element_type::ARRAY) {
    for (element c : as_array(e))
      if (!fill(c, dst, n, k)) return false;
    return true;
  }
  if (k >= n) return k++, false;
  if (!convert(e, dst + k)) return false;
  ++k;
  return true;
}

static bool fill_half(element e, uint16_t* dst, int64_t n, int64_t& k) {
  if (e.type() == element_type::ARRAY) {
    for (element c : as_array(e))
      if (!fill_half(c, dst, n, k)) return false;
    return true;
  }
  double d;
  if (k >= n) return k++, false;
  if (e.get_double().get(d) != simdjson::SUCCESS) return false;
  dst[k++] = float_to_half(static_cast<float>(d));
  return true;
}

static bool fill_str(element e, StrRef* dst, int64_t n, int64_t& k) {
  if (e.type() == element_type::ARRAY) {
    for (element c : as_array(e))
      if (!fill_str(c, dst, n, k)) return false;
    return true;
  }
  std::string_view s;
  if (k >= n) return k++, false;
  if (e.get_string().get(s) != simdjson::SUCCESS) return false;
  dst[k++] = StrRef{s.data(), s.size()};
  return true;
}

// JSON data into `dst` as `t`: "" or a reason.
static const char* fill_any(element data, DType t, void* dst, int64_t n, int64_t& k) {
  bool ok = false;
  switch (t) {
    case DType::F32: ok = fill(data, static_cast<float*>(dst), n, k); break;
    case DType::F64: ok = fill(data, static_cast<double*>(dst), n, k); break;
    case DType::I64: ok = fill(data, static_cast<int64_t*>(dst), n, k); break;
    case DType::I32: ok = fill(data, static_cast<int32_t*>(dst), n, k); break;
    case DType::I16: ok = fill(data, static_cast<int16_t*>(dst), n, k); break;
    case DType::I8: ok = fill(data, static_cast<int8_t*>(dst), n, k); break;
    case DType::U64: ok = fill(data, static_cast<uint64_t*>(dst), n, k); break;
    case DType::U32: ok = fill(data, static_cast<uint32_t*>(dst), n, k); break;
    case DType::U16: ok = fill(data, static_cast<uint16_t*>(dst), n, k); break;
    case DType::U8: ok = fill(data, static_cast<uint8_t*>(dst), n, k); break;
    case DType::Bool: ok = fill(data, static_cast<bool*>(dst), n, k); break;
    case DType::F16: ok = fill_half(data, static_cast<uint16_t*>(dst), n, k); break;
    case DType::String: ok = fill_str(data, static_cast<StrRef*>(dst), n, k); break;
    default: return "datatype not supported";
  }
  if (ok) return "";
  return k > n ? "more data elements than the shape holds" : "a data element does not fit the datatype";
}

Error V2Codec::Impl::check_shape(const IOInfo& io, const Shape& s, int64_t max_elems, int64_t* numel) {
  int64_t n = 1;
  for (int i = 0; i < s.rank(); ++i) {
    int64_t d = s[i];
    if (d < 0) return Error::bad("input '" + io.name + "': negative dimension in shape " + dims_str(s));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return Error::bad("input '" + io.name + "': shape " + dims_str(s) + " has too many elements");
    n *= d;
  }
  if (n > max_elems)
    return Error::bad("input '" + io.name + "': shape " + dims_str(s) + " has more elements than the request carries");
  if (io.has_shape) {
    bool fits = static_cast<int>(io.dims.size()) == s.rank();
    for (int i = 0; fits && i < s.rank(); ++i) fits = io.dims[i] < 0 || io.dims[i] == s[i];
    if (!fits)
      return Error::bad("input '" + io.name + "': shape " + dims_str(s) + " does not fit the model's " +
                        model_dims_str(io));
  }
  if (s.rank() > 0 && s[0] > lim.max_rows)
    return Error::bad("input '" + io.name + "': " + std::to_string(s[0]) + " rows, the limit is " +
                      std::to_string(lim.max_rows));
  *numel = n;
  return {};
}

static Error json_error(simdjson::error_code ec) {
  if (ec == simdjson::DEPTH_ERROR) return Error::bad("JSON nested too deeply");
  return Error::bad(std::string("malformed JSON: ") + simdjson::error_message(ec));
}

Error V2Codec::decode(std::string_view json, std::string_view binary, const std::vector<IOInfo>& ins,
                      const std::vector<IOInfo>& outs, InferCall& call) {
  Impl& m = *impl_;
  call.has_id = false;
  call.id = {};
  call.records = false;
  call.parameters.clear();
  call.outputs.clear();
  call.rows = 0;
  call.inputs.assign(ins.size(), TensorView());
  m.given.assign(ins.size(), 0);
  m.json_size = json.size();
  if (json.size() > m.parser.capacity()) {
    if (auto ec = m.parser.allocate(json.size(), static_cast<size_t>(m.lim.max_depth))) return json_error(ec);
  }
  element root;
  if (auto ec = m.parser.parse(json.data(), json.size(), false).get(root)) return json_error(ec);
  if (root.type() != element_type::OBJECT) return Error::bad("the request must be a JSON object");
  element v;
  if (root["id"].get(v) == simdjson::SUCCESS) {
    if (v.get_string().get(call.id)) return Error::bad("'id' must be a string");
    call.has_id = true;
  }
  if (root["parameters"].get(v) == simdjson::SUCCESS) {
    if (v.type() != element_type::OBJECT) return Error::bad("'parameters' must be an object");
    call.parameters = simdjson::minify(v);
  }
  element inputs;
  if (root["inputs"].get(inputs) != simdjson::SUCCESS) {
    if (root["instances"].get(inputs) == simdjson::SUCCESS) {
      call.records = true;
      Error e = m.decode_records(inputs, ins, call);
      if (!e.ok()) return e;
      for (size_t j = 0; j < outs.size(); ++j) call.outputs.push_back({static_cast<int>(j), false});
      return {};
    }
    return Error::bad("the request has no 'inputs' (nor 'instances')");
  }
  Error e = m.decode_v2(root, binary, ins, outs, call);
  if (!e.ok()) return e;
  return {};
}

Error V2Codec::Impl::decode_v2(element root, std::string_view binary, const std::vector<IOInfo>& ins,
                               const std::vector<IOInfo>& outs, InferCall& call) {
  simdjson::dom::array arr;
  if (root["inputs"].get_array().get(arr)) return Error::bad("'inputs' must be an array");
  bool bin_default = false;
  element p;
  if (root["parameters"]["binary_data_output"].get(p) == simdjson::SUCCESS) if (p.get_bool().get(bin_default)) bin_default = false;
  size_t bin_off = 0;
  for (element in : arr) {
    std::string_view name, dt;
    if (in["name"].get_string().get(name)) return Error::bad("an input has no 'name' string");
    int idx = -1;
    for (size_t i = 0; i < ins.size(); ++i)
      if (ins[i].name == name) idx = static_cast<int>(i);
    if (idx < 0) {
      std::string known;
      for (const IOInfo& io : ins) known += (known.empty() ? "" : ", ") + io.name;
      return Error::bad("unknown input '" + std::string(name) + "' (the model's inputs: " + known + ")");
    }
    const IOInfo& io = ins[idx];
    if (given[idx]) return Error::bad("input '" + io.name + "' given twice");
    if (in["datatype"].get_string().get(dt)) return Error::bad("input '" + io.name + "' has no 'datatype' string");
    DType t;
    if (!v2_dtype(dt, &t)) return Error::bad("input '" + io.name + "': unknown datatype '" + std::string(dt) + "'");
    if (t != io.dtype)
      return Error::bad("input '" + io.name + "' has datatype " + std::string(dt) + ", the model expects " +
                        v2_name(io.dtype));
    simdjson::dom::array sh;
    if (in["shape"].get_array().get(sh)) return Error::bad("input '" + io.name + "' has no 'shape' array");
    Shape s;
    for (element d : sh) {
      int64_t x;
      if (d.get_int64().get(x)) return Error::bad("input '" + io.name + "': shape must hold integers");
      if (s.rank() == Shape::kMaxRank) return Error::bad("input '" + io.name + "': more than 8 dimensions");
      s.push_back(x);
    }
    size_t esize = dtype_size(t);
    uint64_t bin_size = 0;
    bool is_bin = in["parameters"]["binary_data_size"].get_uint64().get(bin_size) == simdjson::SUCCESS;
    // Every element costs at least a byte of the request (4 for binary BYTES): a shape promising
    // more is refused before anything is allocated.
    int64_t max_elems = is_bin ? static_cast<int64_t>(binary.size() - std::min(binary.size(), bin_off)) /
                                     (t == DType::String ? 4 : static_cast<int64_t>(esize))
                               : static_cast<int64_t>(json_size);
    int64_t n = 0;
    Error e = check_shape(io, s, max_elems, &n);
    if (!e.ok()) return e;
    void* dst = buffer(idx, static_cast<size_t>(n) * esize);
    if (is_bin) {
      if (bin_size > binary.size() - std::min(binary.size(), bin_off))
        return Error::bad("input '" + io.name + "': binary_data_size runs past the end of the body");
      const char* src = binary.data() + bin_off;
      if (t == DType::String) {
        size_t pos = 0;
        StrRef* out = static_cast<StrRef*>(dst);
        for (int64_t k = 0; k < n; ++k) {
          uint32_t len;
          if (bin_size - pos < 4) return Error::bad("input '" + io.name + "': truncated BYTES element");
          std::memcpy(&len, src + pos, 4);
          pos += 4;
          if (bin_size - pos < len) return Error::bad("input '" + io.name + "': truncated BYTES element");
          out[k] = StrRef{src + pos, len};
          pos += len;
        }
        if (pos != bin_size) return Error::bad("input '" + io.name + "': binary_data_size does not match the shape");
      } else {
        if (bin_size != static_cast<uint64_t>(n) * esize)
          return Error::bad("input '" + io.name + "': binary_data_size " + std::to_string(bin_size) +
                            " does not match shape " + dims_str(s));
        if (t == DType::Bool) {
          for (uint64_t k = 0; k < bin_size; ++k)
            if (static_cast<unsigned char>(src[k]) > 1) return Error::bad("input '" + io.name + "': BOOL bytes must be 0 or 1");
        }
        if (bin_size) std::memcpy(dst, src, bin_size);
      }
      bin_off += bin_size;
    } else {
      element data;
      if (in["data"].get(data)) return Error::bad("input '" + io.name + "' has no 'data'");
      int64_t k = 0;
      const char* why = fill_any(data, t, dst, n, k);
      if (*why) return Error::bad("input '" + io.name + "': " + why);
      if (k != n)
        return Error::bad("input '" + io.name + "': " + std::to_string(k) + " data elements for shape " +
                          dims_str(s));
    }
    given[idx] = 1;
    call.inputs[idx] = TensorView(t, s, dst);
    if (call.rows == 0 && s.rank() > 0) call.rows = s[0];
  }
  for (size_t i = 0; i < ins.size(); ++i)
    if (!given[i] && !ins[i].has_default) return Error::bad("missing input '" + ins[i].name + "'");
  simdjson::dom::array oarr;
  if (root["outputs"].get_array().get(oarr) == simdjson::SUCCESS) {
    for (element o : oarr) {
      std::string_view name;
      if (o["name"].get_string().get(name)) return Error::bad("a requested output has no 'name' string");
      int idx = -1;
      for (size_t j = 0; j < outs.size(); ++j)
        if (outs[j].name == name) idx = static_cast<int>(j);
      if (idx < 0) return Error::bad("unknown output '" + std::string(name) + "'");
      bool b = bin_default;
      if (o["parameters"]["binary_data"].get(p) == simdjson::SUCCESS && p.get_bool().get(b)) b = bin_default;
      call.outputs.push_back({idx, b});
    }
  } else {
    for (size_t j = 0; j < outs.size(); ++j) call.outputs.push_back({static_cast<int>(j), bin_default});
  }
  return {};
}

// {"instances": [{"col": value, ...}, ...]}: column c of every row becomes model input c, with
// shape [rows] (rank-1 input) or [rows, k...] (value = k scalars, or nested per the model dims).
Error V2Codec::Impl::decode_records(element inst, const std::vector<IOInfo>& ins, InferCall& call) {
  simdjson::dom::array rows;
  if (inst.get_array().get(rows)) return Error::bad("'instances' must be an array of objects");
  int64_t n = static_cast<int64_t>(rows.size());
  if (n == 0) return Error::bad("'instances' is empty");
  if (n > lim.max_rows) return Error::bad(std::to_string(n) + " rows, the limit is " + std::to_string(lim.max_rows));
  // Unknown columns (checked on every row).
  for (element r : rows) {
    simdjson::dom::object obj;
    if (r.get_object().get(obj)) return Error::bad("each instance must be a JSON object");
    for (auto kv : obj) {
      bool known = false;
      for (const IOInfo& io : ins) known |= io.name == kv.key;
      if (!known) {
        std::string names;
        for (const IOInfo& io : ins) names += (names.empty() ? "" : ", ") + io.name;
        return Error::bad("unknown column '" + std::string(kv.key) + "' (the model's inputs: " + names + ")");
      }
    }
  }
  std::string missing;
  for (size_t i = 0; i < ins.size(); ++i) {
    const IOInfo& io = ins[i];
    row_values.clear();
    for (element r : rows) {
      element v;
      if (r[io.name].get(v) == simdjson::SUCCESS) row_values.push_back(v);
    }
    if (row_values.empty() && io.has_default) continue;
    if (static_cast<int64_t>(row_values.size()) != n) {
      missing += (missing.empty() ? "" : ", ") + io.name;
      continue;
    }
    // Elements per row: from the model's dims past axis 0, or from the first row's value.
    Shape s;
    s.push_back(n);
    int64_t per_row = 1;
    if (io.has_shape && io.dims.size() >= 2) {
      for (size_t d = 1; d < io.dims.size(); ++d) s.push_back(io.dims[d]);
      bool dynamic = false;
      for (size_t d = 1; d < io.dims.size(); ++d) dynamic |= io.dims[d] < 0;
      if (dynamic) {
        if (io.dims.size() != 2) return Error::bad("column '" + io.name + "': the model input has dynamic inner dimensions");
        int64_t k = 0;
        if (row_values[0].type() == element_type::ARRAY) k = static_cast<int64_t>(as_array(row_values[0]).size());
        else k = 1;
        s[1] = k;
      }
      for (int d = 1; d < s.rank(); ++d) per_row *= s[d];
    } else if (!io.has_shape || io.dims.size() != 1) {
      // Unknown rank: [rows, k] when values are arrays, [rows] when scalars.
      if (row_values[0].type() == element_type::ARRAY) {
        per_row = static_cast<int64_t>(as_array(row_values[0]).size());
        s.push_back(per_row);
      }
    }
    int64_t total = 0;
    Error e = check_shape(io, s, static_cast<int64_t>(json_size), &total);
    if (!e.ok()) return Error::bad("column " + e.message.substr(6));
    void* dst = buffer(i, static_cast<size_t>(total) * dtype_size(io.dtype));
    for (int64_t r = 0; r < n; ++r) {
      int64_t k = 0;
      char* base = static_cast<char*>(dst) + static_cast<size_t>(r * per_row) * dtype_size(io.dtype);
      const char* why = fill_any(row_values[r], io.dtype, base, per_row, k);
      if (*why) return Error::bad("column '" + io.name + "', row " + std::to_string(r) + ": " + why);
      if (k != per_row)
        return Error::bad("column '" + io.name + "', row " + std::to_string(r) + ": " + std::to_string(k) +
                          " values, expected " + std::to_string(per_row));
    }
    given[i] = 1;
    call.inputs[i] = TensorView(io.dtype, s, dst);
  }
  if (!missing.empty()) return Error::bad("missing column(s): " + missing);
  call.rows = n;
  return {};
}

}  // namespace rtml::server
