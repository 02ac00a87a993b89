// ops/kernels/elementwise.hpp - the element-wise inner loops (contiguous runs), one table per ISA.
//
// Each entry works on a contiguous run of n elements. Binary entries come in three modes:
//   [0] a[i] op b[i]   [1] a[i] op b[0] (b scalar)   [2] a[0] op b[i] (a scalar)
// The output may be the same buffer as a vector operand (in-place is safe).
// Comparisons write bool (one byte, 0/1). float16 is not in the table: callers convert runs
// through float (ops/broadcast.hpp). Entries that make no sense (And on float) are null.
//
//   const EwKernels& k = ew_kernels();        // best ISA of this CPU, chosen once per process
//   k.bin[int(BinOp::Add)][int(EwType::F32)][0](a, b, out, n);
#pragma once

#include <cstdint>

#include "rtml/rtml.hpp"

namespace rtml {

enum class EwType : uint8_t { F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool, kCount };

// The kernel type of a tensor dtype (float16 is computed in float); false for others.
inline bool ew_type_of(DType t, EwType* e) {
  switch (t) {
    case DType::F32: case DType::F16: *e = EwType::F32; return true;
    case DType::F64: *e = EwType::F64; return true;
    case DType::I8: *e = EwType::I8; return true;
    case DType::I16: *e = EwType::I16; return true;
    case DType::I32: *e = EwType::I32; return true;
    case DType::I64: *e = EwType::I64; return true;
    case DType::U8: *e = EwType::U8; return true;
    case DType::U16: *e = EwType::U16; return true;
    case DType::U32: *e = EwType::U32; return true;
    case DType::U64: *e = EwType::U64; return true;
    case DType::Bool: *e = EwType::Bool; return true;
    default: return false;
  }
}

enum class BinOp : uint8_t {
  Add, Sub, Mul, Div, Pow, Max, Min,          // numeric -> same type
  And, Or, Xor,                               // bool -> bool
  Equal, Less, Greater, LessEq, GreaterEq,    // numeric or bool -> bool
  kCount
};
enum class UnOp : uint8_t {
  Abs, Neg, Sign, Relu,                                            // numeric
  Sqrt, Exp, Log, Reciprocal, Floor, Ceil, Round, Sigmoid, Tanh,   // float, double
  Not,                                                             // bool
  kCount
};
enum class Isa : uint8_t { Scalar, Portable, Avx2 };

using BinFn = void (*)(const void* a, const void* b, void* out, int64_t n);
using UnFn = void (*)(const void* x, void* y, int64_t n);
// y = min(max(x, *lo), *hi); lo/hi point to one element of x's type.
using ClipFn = void (*)(const void* x, void* y, int64_t n, const void* lo, const void* hi);

constexpr int kEwTypes = static_cast<int>(EwType::kCount);
constexpr int kBinOps = static_cast<int>(BinOp::kCount);
constexpr int kUnOps = static_cast<int>(UnOp::kCount);

struct EwKernels {
  BinFn bin[kBinOps][kEwTypes][3] = {};
  UnFn un[kUnOps][kEwTypes] = {};
  ClipFn clip[kEwTypes] = {};
  const char* isa = "";
};

// The table for this CPU (AVX2+FMA when present, else the portable build), chosen once.
const EwKernels& ew_kernels();
// A given ISA's table, or nullptr when this build or this CPU lacks it (tests compare them).
const EwKernels* ew_kernels_for(Isa isa);

// Table fillers, one per translation unit (elementwise.cc, elementwise_avx2.cc).
void fill_ew_kernels_scalar(EwKernels& k);
void fill_ew_kernels_portable(EwKernels& k);
void fill_ew_kernels_avx2(EwKernels& k);

}  // namespace rtml
