// conv.hpp - convolution and pooling geometry (1-D/2-D/3-D as 3-D with leading 1s) and the data
// movement kernels of convolution: im2col, col2im (ConvTranspose) and a direct convolution (used
// for depthwise / small-channel shapes).
#pragma once

#include <cstdint>

#include "ops/kernels/gemm.hpp"

namespace rtml::conv {

// Spatial geometry with nd real dims stored right-aligned in 3 slots: 1-D uses slot 2 (W), 2-D
// slots 1-2 (H, W), 3-D all three. Unused slots have in = out = k = s = d = 1 and no padding.
struct Geom {
  int nd = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
  int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t k_size() const { return k[0] * k[1] * k[2]; }
  bool pointwise() const {  // 1x1, stride 1, no padding: the input IS the im2col matrix
    for (int i = 0; i < 3; ++i)
      if (k[i] != 1 || s[i] != 1 || pb[i] != 0 || pe[i] != 0) return false;
    return true;
  }
};

// col[(c*K + kk)][o] = x[c][o*s - pb + k*d] (0 outside), C channels, K = k_size(), o over out.
void im2col(const float* x, int64_t C, const Geom& g, float* col);
// The adjoint: y[c][o*s - pb + k*d] += col[(c*K + kk)][o] for positions inside y (y spatial = in).
void col2im_add(const float* col, int64_t C, const Geom& g, float* y);

// Stride-1 convolution as a GEMM over the padded grid (no per-row im2col): x is padded once into
// xp [C][Dp][Hp][Wp]; the GEMM operand row (c, kd, kh, kw) is then ONE contiguous run of
// wide_cols() floats of xp starting at the window offset; the GEMM result [M][OD][Hp][Wp] holds
// the outputs at columns ow < OW of each row, which compact_wide() gathers.
inline bool shifted_ok(const Geom& g) { return g.s[0] == 1 && g.s[1] == 1 && g.s[2] == 1; }
inline int64_t padded_dim(const Geom& g, int i) { return g.in[i] + g.pb[i] + g.pe[i]; }
// Columns of the wide result: up to the last output row (rows past OH of the last plane are not
// computed).
inline int64_t wide_cols(const Geom& g) {
  return ((g.out[0] - 1) * padded_dim(g, 1) + g.out[1]) * padded_dim(g, 2);
}
// Floats of xp for C channels (with the slack the last windows read past the grid).
inline int64_t padded_floats(const Geom& g, int64_t C) {
  const int64_t hw = padded_dim(g, 1) * padded_dim(g, 2);
  return C * padded_dim(g, 0) * hw + hw + 16;
}
void pad_input(const float* x, int64_t C, const Geom& g, float* xp);
// pad_input without the zero fill: xp already holds a padded image of the same geometry (the next
// image of a batch reuses the buffer; its border is still 0).
void pad_input_rows(const float* x, int64_t C, const Geom& g, float* xp);
void shifted_cols(const float* xp, int64_t C, const Geom& g, float* col);
void compact_wide(const float* wide, int64_t M, const Geom& g, float* y);
// The two above per ISA, for tests (pad_input / compact_wide use the best one).
enum class CopyIsa { Portable, Avx512 };
bool copy_isa_available(CopyIsa isa);
void pad_input_isa(CopyIsa isa, const float* x, int64_t C, const Geom& g, float* xp, bool zero = true);
void compact_wide_isa(CopyIsa isa, const float* wide, int64_t M, const Geom& g, float* y);

// The shifted convolution as an implicit GEMM (conv_shifted_impl.hpp): y[m][out] = act(bias[m] +
// sum over (c, kd, kh, kw) of W(m, c, kd, kh, kw) * xp[window offset + wide column]), computed on
// the wide grid but stored compact (no shifted_cols copy, no wide buffer); ep.bias is per row.
// Packed weights (the same for every ISA): ceil(M / kShiftRows) panels of kShiftRows rows; panel i
// holds W(i*kShiftRows + r, k) at [i*K*kShiftRows + k*kShiftRows + r], K = C*k_size(), k in the
// order (c, kd, kh, kw); rows past M are 0. 8 rows: small CNNs have 8, 16, 32... channels.
constexpr int kShiftRows = 8;
inline int64_t shifted_packed_floats(int64_t M, int64_t K) { return (M + kShiftRows - 1) / kShiftRows * kShiftRows * K; }
void pack_shifted_weights(const float* w, int64_t M, int64_t K, float* out);  // w row-major [M][K]
void shifted_conv(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                  const gemm::Epilogue& ep, float* y);
// Per ISA, for tests (Scalar means the portable build; an ISA the host lacks falls back to it).
void shifted_conv_isa(gemm::Isa isa, const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                      const gemm::Epilogue& ep, float* y);

// Direct convolution of one image: x [C][in], w [M][C/group][k], y [M][out] = act(conv + bias).
void direct(const float* x, int64_t C, const float* w, int64_t M, int64_t group, const float* bias, const Geom& g,
            const gemm::Epilogue& ep, float* y);

}  // namespace rtml::conv
