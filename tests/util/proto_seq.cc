// proto_seq.cc - a minimal protobuf wire-format reader for SequenceProto/MapProto.
#include "tests/util/proto_seq.hpp"

#include <cmath>
#include <cstring>
#include <vector>

namespace rtml::test {

namespace {

struct Wire {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;
  bool done() const { return p >= end || !ok; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      uint8_t b = *p++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (n > static_cast<uint64_t>(end - p)) {
      ok = false;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p), n);
    p += n;
    return s;
  }
  void skip(int wire) {
    if (wire == 0) varint();
    else if (wire == 2) bytes();
    else if (wire == 1) p += 8;
    else if (wire == 5) p += 4;
    else ok = false;
  }
};

struct Map {
  std::vector<int64_t> keys;
  std::vector<std::string> string_keys;
  std::vector<double> values;
};

bool parse_map(std::string_view b, Map* m) {
  Wire w{reinterpret_cast<const uint8_t*>(b.data()), reinterpret_cast<const uint8_t*>(b.data() + b.size())};
  while (!w.done()) {
    uint64_t tag = w.varint();
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (field == 3 && wire == 0) m->keys.push_back(static_cast<int64_t>(w.varint()));
    else if (field == 3 && wire == 2) {  // packed
      std::string_view pk = w.bytes();
      Wire q{reinterpret_cast<const uint8_t*>(pk.data()), reinterpret_cast<const uint8_t*>(pk.data() + pk.size())};
      while (!q.done()) m->keys.push_back(static_cast<int64_t>(q.varint()));
    } else if (field == 4 && wire == 2) m->string_keys.emplace_back(w.bytes());
    else if (field == 5 && wire == 2) {
      std::string_view seq = w.bytes();
      Wire s{reinterpret_cast<const uint8_t*>(seq.data()), reinterpret_cast<const uint8_t*>(seq.data() + seq.size())};
      while (!s.done()) {
        uint64_t t = s.varint();
        if ((t >> 3) == 3 && (t & 7) == 2) {
          std::string_view tb = s.bytes();
          auto tensor = read_tensor_proto(tb.data(), tb.size());
          if (!tensor.ok() || tensor.value().numel() != 1) return false;
          const Tensor& tv = tensor.value();
          m->values.push_back(tv.dtype() == DType::F64 ? tv.data<double>()[0] : tv.data<float>()[0]);
        } else {
          s.skip(static_cast<int>(t & 7));
        }
      }
      if (!s.ok) return false;
    } else w.skip(wire);
  }
  return w.ok;
}

}  // namespace

std::string compare_sequence_of_maps(const std::string& bytes, const Value& got, double rtol, double atol) {
  Wire w{reinterpret_cast<const uint8_t*>(bytes.data()), reinterpret_cast<const uint8_t*>(bytes.data() + bytes.size())};
  std::vector<Map> maps;
  while (!w.done()) {
    uint64_t tag = w.varint();
    if ((tag >> 3) == 6 && (tag & 7) == 2) {
      maps.emplace_back();
      if (!parse_map(w.bytes(), &maps.back())) return "unreadable MapProto";
    } else {
      w.skip(static_cast<int>(tag & 7));
    }
  }
  if (!w.ok) return "unreadable SequenceProto";
  if (got.kind != ValueKind::SequenceOfMaps) return "expected a sequence of maps";
  int64_t rows = got.tensor.shape.rank() ? got.tensor.shape[0] : 0, cols = got.map_keys.numel();
  if (static_cast<int64_t>(maps.size()) != rows) return "sequence length " + std::to_string(rows) + " vs expected " + std::to_string(maps.size());
  for (int64_t r = 0; r < rows; ++r) {
    const Map& m = maps[r];
    if (static_cast<int64_t>(m.values.size()) != cols) return "map size differs";
    for (int64_t c = 0; c < cols; ++c) {
      if (got.map_keys.dtype == DType::String) {
        if (m.string_keys.size() != static_cast<size_t>(cols) || got.map_keys.as<StrRef>()[c].view() != m.string_keys[c])
          return "map keys differ";
      } else if (m.keys.size() != static_cast<size_t>(cols) || got.map_keys.as<int64_t>()[c] != m.keys[c]) {
        return "map keys differ";
      }
      double g = got.tensor.dtype == DType::F64 ? got.tensor.as<double>()[r * cols + c] : got.tensor.as<float>()[r * cols + c];
      double e = m.values[c];
      if (!(std::fabs(g - e) <= atol + rtol * std::fabs(e))) return "map values differ at row " + std::to_string(r);
    }
  }
  return "";
}

}  // namespace rtml::test
