// fused_activation.hpp - the activation attributes of the fused rtml:FusedConv / FusedGemm /
// FusedMatMul nodes (activation, activation_alpha, activation_beta), read into a GEMM epilogue.
#pragma once

#include "engine/op.hpp"
#include "ops/kernels/gemm.hpp"

namespace rtml {

Status load_fused_activation(LoadCtx& ctx, gemm::Epilogue* ep);

}  // namespace rtml
