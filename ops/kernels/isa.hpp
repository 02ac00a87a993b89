// isa.hpp - the one place that decides, once per process, which instruction set the kernels use.
// Every kernel family asks here; RTML_ISA in the environment narrows the choice (to compare or
// debug): RTML_ISA=portable forces the portable path, RTML_ISA=avx2 the AVX2 path (no AVX-512).
#pragma once

namespace rtml::isa {

// AVX2 + FMA kernels are compiled in and the host has both, and RTML_ISA does not forbid them.
bool avx2_fma();

// AVX-512 (F, BW, DQ, VL) kernels are compiled in, the host and the OS support them, AVX2+FMA is
// available too, and RTML_ISA is neither "portable" nor "avx2". Only the families that have an
// AVX-512 variant ask this; the others stay on AVX2.
bool avx512();

// avx512() and the host has AVX-512 VNNI (vpdpwssd/vpdpbusd): the int8 GEMM's AVX-512 kernel.
// RTML_ISA=avx2 / portable hide it with the rest of AVX-512.
bool avx512_vnni();

}  // namespace rtml::isa
