// common.hpp - small helpers every operator family uses: axes, integer shape inputs, broadcasting
// shapes, dtype visits.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/op.hpp"

namespace rtml {

// Negative axes count from the end. False when out of [-rank, rank).
inline bool normalize_axis(int64_t axis, int rank, int64_t* out) {
  if (axis < -rank || axis >= rank) return false;
  *out = axis < 0 ? axis + rank : axis;
  return true;
}

// An int32/int64 tensor's elements as int64 (plan time: may allocate). False for other types.
inline bool read_ints(const TensorView* v, std::vector<int64_t>* out) {
  out->clear();
  if (!v) return false;
  const int64_t n = v->numel();
  if (v->dtype == DType::I64) out->assign(v->as<int64_t>(), v->as<int64_t>() + n);
  else if (v->dtype == DType::I32) out->assign(v->as<int32_t>(), v->as<int32_t>() + n);
  else return false;
  return true;
}

// numpy broadcasting of two shapes; false when they do not broadcast.
inline bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
  int r = a.rank() > b.rank() ? a.rank() : b.rank();
  Shape s;
  s.resize(r);
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - a.rank()), ib = i - (r - b.rank());
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da == db || db == 1) s[i] = da;
    else if (da == 1) s[i] = db;
    else return false;
  }
  *out = s;
  return true;
}

// Calls f(T{}) with the C++ type of a numeric dtype (float16 as uint16_t storage is not numeric
// here). Returns false for dtypes not in the list.
template <class F>
bool visit_numeric(DType t, F&& f) {
  switch (t) {
    case DType::F32: f(float{}); return true;
    case DType::F64: f(double{}); return true;
    case DType::I8: f(int8_t{}); return true;
    case DType::I16: f(int16_t{}); return true;
    case DType::I32: f(int32_t{}); return true;
    case DType::I64: f(int64_t{}); return true;
    case DType::U8: f(uint8_t{}); return true;
    case DType::U16: f(uint16_t{}); return true;
    case DType::U32: f(uint32_t{}); return true;
    case DType::U64: f(uint64_t{}); return true;
    default: return false;
  }
}

// IEEE half <-> float (round to nearest even), for float16 tensors stored as uint16_t.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

}  // namespace rtml
