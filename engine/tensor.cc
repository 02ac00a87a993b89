// tensor.cc - DType facts, Shape printing, the owning Tensor, float16 conversion.
#include <cstdlib>
#include <cstring>
#include <new>

#include "ops/common.hpp"
#include "rtml/rtml.hpp"

namespace rtml {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: case DType::I32: case DType::U32: return 4;
    case DType::F64: case DType::I64: case DType::U64: return 8;
    case DType::U8: case DType::I8: case DType::Bool: return 1;
    case DType::U16: case DType::I16: case DType::F16: return 2;
    case DType::String: return sizeof(StrRef);
    default: return 0;
  }
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float";
    case DType::U8: return "uint8";
    case DType::I8: return "int8";
    case DType::U16: return "uint16";
    case DType::I16: return "int16";
    case DType::I32: return "int32";
    case DType::I64: return "int64";
    case DType::String: return "string";
    case DType::Bool: return "bool";
    case DType::F16: return "float16";
    case DType::F64: return "double";
    case DType::U32: return "uint32";
    case DType::U64: return "uint64";
    default: return "undefined";
  }
}

bool dtype_known(int32_t code) { return code >= 1 && code <= 13; }

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < n_; ++i) {
    if (i) s += ",";
    s += std::to_string(d_[i]);
  }
  return s + "]";
}

void Tensor::FreeDeleter::operator()(void* p) const { std::free(p); }

Tensor::Tensor(DType t, Shape s) : dtype_(t), shape_(s) {
  size_t bytes = static_cast<size_t>(shape_.numel()) * dtype_size(t);
  size_t alloc = (bytes + 63) / 64 * 64;
  if (alloc == 0) alloc = 64;
  void* p = std::aligned_alloc(64, alloc);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, alloc);
  data_.reset(p);
  if (t == DType::String) strings_.resize(static_cast<size_t>(shape_.numel()));
}

Tensor::Tensor(const Tensor& o) : Tensor(o.dtype_, o.shape_) {
  if (dtype_ == DType::String) {
    for (int64_t i = 0; i < numel(); ++i) set_str(i, o.str(i));
  } else if (o.data_) {
    std::memcpy(raw(), o.raw(), bytes());
  }
}

Tensor& Tensor::operator=(const Tensor& o) {
  if (this != &o) *this = Tensor(o);
  return *this;
}

Tensor Tensor::from_view(const TensorView& v) {
  Tensor t(v.dtype, v.shape);
  if (v.dtype == DType::String) {
    const StrRef* s = static_cast<const StrRef*>(v.data);
    for (int64_t i = 0; i < t.numel(); ++i) t.set_str(i, s[i].view());
  } else if (v.data && t.bytes()) {
    std::memcpy(t.raw(), v.data, t.bytes());
  }
  return t;
}

Tensor Tensor::from_strings(Shape s, std::vector<std::string> values) {
  Tensor t(DType::String, s);
  for (size_t i = 0; i < values.size() && i < t.strings_.size(); ++i) t.set_str(static_cast<int64_t>(i), values[i]);
  return t;
}

void Tensor::set_str(int64_t i, std::string_view s) {
  strings_[static_cast<size_t>(i)].assign(s.data(), s.size());
  const std::string& held = strings_[static_cast<size_t>(i)];
  data<StrRef>()[i] = StrRef{held.data(), held.size()};
}

bool Tensor::same_as(const Tensor& o) const {
  if (dtype_ != o.dtype_ || shape_ != o.shape_) return false;
  if (dtype_ == DType::String) {
    for (int64_t i = 0; i < numel(); ++i)
      if (str(i) != o.str(i)) return false;
    return true;
  }
  return bytes() == 0 || std::memcmp(raw(), o.raw(), bytes()) == 0;
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        man <<= 1;
        ++e;
      } while (!(man & 0x400));
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (man & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0);  // inf / nan
  if (abs >= 0x477ff000u) return sign | 0x7c00;                                     // overflow
  if (abs < 0x38800000u) {  // subnormal or zero in half: round to nearest even
    if (abs < 0x33000000u) return sign;
    uint32_t man = (abs & 0x7fffff) | 0x800000;
    // value = man * 2^(E-150) and a half subnormal is h * 2^-24: h = man >> (126 - E)
    int shift = 125 - static_cast<int>(abs >> 23);
    uint32_t half = man >> (shift + 1);
    uint32_t rem = man & ((1u << (shift + 1)) - 1), mid = 1u << shift;
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t h = ((abs >> 13) - ((127 - 15) << 10));
  uint32_t rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;
  return sign | static_cast<uint16_t>(h);
}

const char* version() { return "0.1.0"; }

}  // namespace rtml
