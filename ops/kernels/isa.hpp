// isa.hpp - the one place that decides, once per process, which instruction set the kernels use.
// Every kernel family asks here; RTML_ISA=portable in the environment forces the portable path
// (to compare or debug without AVX2).
#pragma once

namespace rtml::isa {

// AVX2 + FMA kernels are compiled in and the host has both, and RTML_ISA does not forbid them.
bool avx2_fma();

}  // namespace rtml::isa
