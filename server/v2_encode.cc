// v2_encode.cc - writing inference answers: v2 {"outputs": [...]} (JSON data or the binary
// extension) and records {"predictions": [{"out": value, ...}, ...]}.
#include <cstring>

#include "server/json_out.hpp"
#include "server/v2_codec.hpp"

namespace rtml::server {

namespace {

template <class T>
void write_elems(std::string& o, const T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (i) o.push_back(',');
    if constexpr (std::is_same_v<T, bool>) {
      o += p[i] ? "true" : "false";
    } else if constexpr (sizeof(T) == 1 && std::is_signed_v<T>) {
      json::num(o, static_cast<int>(p[i]));
    } else if constexpr (sizeof(T) == 1) {
      json::num(o, static_cast<unsigned>(p[i]));
    } else {
      json::num(o, p[i]);
    }
  }
}

// Elements [first, first + n) of t as comma-separated JSON scalars.
void write_range(std::string& o, const TensorView& t, int64_t first, int64_t n) {
  const char* base = static_cast<const char*>(t.data);
  switch (t.dtype) {
    case DType::F32: return write_elems(o, reinterpret_cast<const float*>(base) + first, n);
    case DType::F64: return write_elems(o, reinterpret_cast<const double*>(base) + first, n);
    case DType::I64: return write_elems(o, reinterpret_cast<const int64_t*>(base) + first, n);
    case DType::I32: return write_elems(o, reinterpret_cast<const int32_t*>(base) + first, n);
    case DType::I16: return write_elems(o, reinterpret_cast<const int16_t*>(base) + first, n);
    case DType::I8: return write_elems(o, reinterpret_cast<const int8_t*>(base) + first, n);
    case DType::U64: return write_elems(o, reinterpret_cast<const uint64_t*>(base) + first, n);
    case DType::U32: return write_elems(o, reinterpret_cast<const uint32_t*>(base) + first, n);
    case DType::U16: return write_elems(o, reinterpret_cast<const uint16_t*>(base) + first, n);
    case DType::U8: return write_elems(o, reinterpret_cast<const uint8_t*>(base) + first, n);
    case DType::Bool: return write_elems(o, reinterpret_cast<const bool*>(base) + first, n);
    case DType::F16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(base) + first;
      for (int64_t i = 0; i < n; ++i) {
        if (i) o.push_back(',');
        json::num(o, half_to_float(p[i]));
      }
      return;
    }
    case DType::String: {
      const StrRef* p = reinterpret_cast<const StrRef*>(base) + first;
      for (int64_t i = 0; i < n; ++i) {
        if (i) o.push_back(',');
        json::str(o, p[i].view());
      }
      return;
    }
    default:
      return;
  }
}

void write_shape(std::string& o, const Shape& s) {
  o.push_back('[');
  for (int i = 0; i < s.rank(); ++i) {
    if (i) o.push_back(',');
    json::num(o, s[i]);
  }
  o.push_back(']');
}

// Binary extension bytes of a tensor (BYTES: 4-byte little-endian length + bytes per element).
size_t append_binary(std::string& o, const TensorView& t) {
  size_t before = o.size();
  if (t.dtype == DType::String) {
    const StrRef* p = t.data_as<const StrRef>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      uint32_t len = static_cast<uint32_t>(p[i].size);
      o.append(reinterpret_cast<const char*>(&len), 4);
      o.append(p[i].data, p[i].size);
    }
  } else {
    o.append(static_cast<const char*>(t.data), t.bytes());
  }
  return o.size() - before;
}

// A ZipMap row as {"key": probability, ...}.
void write_map_row(std::string& o, const Value& v, int64_t row) {
  int64_t c = v.map_keys.numel();
  const float* p = v.tensor.data_as<const float>() + row * c;
  o.push_back('{');
  for (int64_t j = 0; j < c; ++j) {
    if (j) o.push_back(',');
    if (v.map_keys.dtype == DType::String) {
      json::str(o, v.map_keys.data_as<const StrRef>()[j].view());
    } else {
      o.push_back('"');
      json::num(o, v.map_keys.data_as<const int64_t>()[j]);
      o.push_back('"');
    }
    o.push_back(':');
    json::num(o, p[j]);
  }
  o.push_back('}');
}

void write_records(const InferCall& call, const std::vector<IOInfo>& outs, std::span<const Value> values,
                   std::string& o) {
  o += ",\"predictions\":[";
  for (int64_t r = 0; r < call.rows; ++r) {
    if (r) o.push_back(',');
    o.push_back('{');
    bool first = true;
    for (const OutputChoice& c : call.outputs) {
      const Value& v = values[c.index];
      const TensorView& t = v.tensor;
      if (!first) o.push_back(',');
      first = false;
      json::str(o, outs[c.index].name);
      o.push_back(':');
      if (v.kind == ValueKind::SequenceOfMaps) {
        write_map_row(o, v, r);
        continue;
      }
      int64_t rows = t.shape.rank() ? t.shape[0] : 1;
      int64_t per = rows ? t.numel() / rows : 0;
      int64_t rr = rows == call.rows ? r : 0;  // not row-shaped: the same value for every row
      if (t.shape.rank() <= 1) {
        write_range(o, t, t.shape.rank() ? rr : 0, 1);
      } else {
        o.push_back('[');
        write_range(o, t, rr * per, per);
        o.push_back(']');
      }
    }
    o.push_back('}');
  }
  o += "]}";
}

}  // namespace

void V2Codec::encode(const InferCall& call, std::string_view model_name, std::string_view version,
                     const std::vector<IOInfo>& outs, std::span<const Value> values, std::string& o,
                     int64_t* header_len) {
  o.clear();
  *header_len = -1;
  o += "{\"model_name\":";
  json::str(o, model_name);
  o += ",\"model_version\":";
  json::str(o, version);
  if (call.has_id) {
    o += ",\"id\":";
    json::str(o, call.id);
  }
  if (!call.parameters.empty()) {
    o += ",\"parameters\":";
    o += call.parameters;
  }
  if (call.records) return write_records(call, outs, values, o);
  o += ",\"outputs\":[";
  bool any_binary = false;
  for (size_t k = 0; k < call.outputs.size(); ++k) {
    const OutputChoice& c = call.outputs[k];
    const TensorView& t = values[c.index].tensor;  // ZipMap: its [N, C] probabilities
    if (k) o.push_back(',');
    o += "{\"name\":";
    json::str(o, outs[c.index].name);
    o += ",\"datatype\":\"";
    o += v2_name(t.dtype);
    o += "\",\"shape\":";
    write_shape(o, t.shape);
    if (c.binary) {
      any_binary = true;
      size_t n = t.dtype == DType::String ? 0 : t.bytes();
      if (t.dtype == DType::String)
        for (int64_t i = 0; i < t.numel(); ++i) n += 4 + t.data_as<const StrRef>()[i].size;
      o += ",\"parameters\":{\"binary_data_size\":";
      json::num(o, n);
      o += "}}";
    } else {
      o += ",\"data\":[";
      write_range(o, t, 0, t.numel());
      o += "]}";
    }
  }
  o += "]}";
  if (any_binary) {
    *header_len = static_cast<int64_t>(o.size());
    for (const OutputChoice& c : call.outputs)
      if (c.binary) append_binary(o, values[c.index].tensor);
  }
}

}  // namespace rtml::server
