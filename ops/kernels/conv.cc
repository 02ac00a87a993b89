// conv.cc - im2col, col2im and the direct convolution of conv.hpp. The inner loops run along the
// last spatial axis over the range of output positions whose input is inside the image (computed
// once per row), so they have no bounds tests and the compiler vectorises the stride-1 case.
#include "ops/kernels/conv.hpp"

#include "ops/kernels/conv_copy_simd.hpp"
#include "ops/kernels/conv_shifted_impl.hpp"
#include "ops/kernels/isa.hpp"

#include <algorithm>
#include <cstring>

namespace rtml::conv {
namespace {

int64_t div_floor(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t div_ceil(int64_t a, int64_t b) { return -div_floor(-a, b); }

// Output positions o in [0, n_out) with 0 <= o*s + off < n_in: [*lo, *hi).
void valid_range(int64_t off, int64_t s, int64_t n_in, int64_t n_out, int64_t* lo, int64_t* hi) {
  *lo = std::clamp<int64_t>(div_ceil(-off, s), 0, n_out);
  *hi = std::clamp<int64_t>(div_floor(n_in - 1 - off, s) + 1, *lo, n_out);
}

}  // namespace

void im2col(const float* x, int64_t C, const Geom& g, float* col) {
  const int64_t OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t ID = g.in[0], IH = g.in[1], IW = g.in[2];
  const int64_t osz = g.out_size();
  float* row = col;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kd = 0; kd < g.k[0]; ++kd)
      for (int64_t kh = 0; kh < g.k[1]; ++kh)
        for (int64_t kw = 0; kw < g.k[2]; ++kw, row += osz) {
          const int64_t offw = kw * g.d[2] - g.pb[2];
          int64_t lo, hi;
          valid_range(offw, g.s[2], IW, OW, &lo, &hi);
          float* dst = row;
          for (int64_t od = 0; od < OD; ++od) {
            const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
            for (int64_t oh = 0; oh < OH; ++oh, dst += OW) {
              const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
              // Plain loops, no memcpy/memset calls: rows are short (7..56 floats) in small CNNs
              // and a call costs more than the copy.
              if (id < 0 || id >= ID || ih < 0 || ih >= IH) {
                for (int64_t o = 0; o < OW; ++o) dst[o] = 0.0f;
                continue;
              }
              const float* src = x + ((c * ID + id) * IH + ih) * IW + offw;
              for (int64_t o = 0; o < lo; ++o) dst[o] = 0.0f;
              if (g.s[2] == 1)
                for (int64_t o = lo; o < hi; ++o) dst[o] = src[o];
              else
                for (int64_t o = lo; o < hi; ++o) dst[o] = src[o * g.s[2]];
              for (int64_t o = hi; o < OW; ++o) dst[o] = 0.0f;
            }
          }
        }
}

void col2im_add(const float* col, int64_t C, const Geom& g, float* y) {
  const int64_t OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t ID = g.in[0], IH = g.in[1], IW = g.in[2];
  const int64_t osz = g.out_size();
  const float* row = col;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kd = 0; kd < g.k[0]; ++kd)
      for (int64_t kh = 0; kh < g.k[1]; ++kh)
        for (int64_t kw = 0; kw < g.k[2]; ++kw, row += osz) {
          const int64_t offw = kw * g.d[2] - g.pb[2];
          int64_t lo, hi;
          valid_range(offw, g.s[2], IW, OW, &lo, &hi);
          const float* src = row;
          for (int64_t od = 0; od < OD; ++od) {
            const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
            for (int64_t oh = 0; oh < OH; ++oh, src += OW) {
              const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
              if (id < 0 || id >= ID || ih < 0 || ih >= IH) continue;
              float* dst = y + ((c * ID + id) * IH + ih) * IW + offw;
              for (int64_t o = lo; o < hi; ++o) dst[o * g.s[2]] += src[o];
            }
          }
        }
}

#ifdef RTML_HAVE_AVX512_KERNELS
void pad_input_avx512(const float* x, int64_t C, const Geom& g, float* xp, bool zero);
void compact_wide_avx512(const float* wide, int64_t M, const Geom& g, float* y);
#endif


void pad_input_isa(CopyIsa isa, const float* x, int64_t C, const Geom& g, float* xp, bool zero) {
#ifdef RTML_HAVE_AVX512_KERNELS
  if (isa == CopyIsa::Avx512) return pad_input_avx512(x, C, g, xp, zero);
#endif
  (void)isa;
  detail::pad_input<xsimd::default_arch>(x, C, g, xp, zero);
}

void compact_wide_isa(CopyIsa isa, const float* wide, int64_t M, const Geom& g, float* y) {
#ifdef RTML_HAVE_AVX512_KERNELS
  if (isa == CopyIsa::Avx512) return compact_wide_avx512(wide, M, g, y);
#endif
  (void)isa;
  detail::compact_wide<xsimd::default_arch>(wide, M, g, y);
}

bool copy_isa_available(CopyIsa isa) { return isa == CopyIsa::Portable || isa::avx512(); }

namespace {
const CopyIsa kCopyBest = isa::avx512() ? CopyIsa::Avx512 : CopyIsa::Portable;
}  // namespace

void pad_input(const float* x, int64_t C, const Geom& g, float* xp) { pad_input_isa(kCopyBest, x, C, g, xp); }
void pad_input_rows(const float* x, int64_t C, const Geom& g, float* xp) {
  pad_input_isa(kCopyBest, x, C, g, xp, false);
}

#ifdef RTML_HAVE_AVX2_KERNELS
void shifted_conv_avx2(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                       const gemm::Epilogue& ep, float* y);
#endif
#ifdef RTML_HAVE_AVX512_KERNELS
void shifted_conv_avx512(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                         const gemm::Epilogue& ep, float* y);
#endif

void pack_shifted_weights(const float* w, int64_t M, int64_t K, float* out) {
  for (int64_t i = 0; i < M; i += kShiftRows) {
    float* o = out + i * K;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t r = 0; r < kShiftRows; ++r) o[k * kShiftRows + r] = i + r < M ? w[(i + r) * K + k] : 0.0f;
  }
}

void shifted_conv_isa(gemm::Isa isa, const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                      const gemm::Epilogue& ep, float* y) {
  if (gemm::isa_available(isa)) {
#ifdef RTML_HAVE_AVX512_KERNELS
    if (isa == gemm::Isa::Avx512) return shifted_conv_avx512(xp, C, g, wpacked, M, ep, y);
#endif
#ifdef RTML_HAVE_AVX2_KERNELS
    if (isa == gemm::Isa::Avx2) return shifted_conv_avx2(xp, C, g, wpacked, M, ep, y);
#endif
  }
  detail::Shifted<xsimd::default_arch>::run(xp, C, g, wpacked, M, ep, y);
}

void shifted_conv(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                  const gemm::Epilogue& ep, float* y) {
  shifted_conv_isa(gemm::best_isa(), xp, C, g, wpacked, M, ep, y);
}

void shifted_cols(const float* xp, int64_t C, const Geom& g, float* col) {
  const int64_t Dp = padded_dim(g, 0), Hp = padded_dim(g, 1), Wp = padded_dim(g, 2), n = wide_cols(g);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kd = 0; kd < g.k[0]; ++kd)
      for (int64_t kh = 0; kh < g.k[1]; ++kh)
        for (int64_t kw = 0; kw < g.k[2]; ++kw, col += n)
          std::memcpy(col, xp + ((c * Dp + kd * g.d[0]) * Hp + kh * g.d[1]) * Wp + kw * g.d[2], n * sizeof(float));
}

void compact_wide(const float* wide, int64_t M, const Geom& g, float* y) {
  compact_wide_isa(kCopyBest, wide, M, g, y);
}

void direct(const float* x, int64_t C, const float* w, int64_t M, int64_t group, const float* bias, const Geom& g,
            const gemm::Epilogue& ep, float* y) {
  const int64_t OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t ID = g.in[0], IH = g.in[1], IW = g.in[2];
  const int64_t cg = C / group, mg = M / group, kk = g.k_size(), osz = g.out_size();
  for (int64_t m = 0; m < M; ++m) {
    float* ym = y + m * osz;
    std::fill(ym, ym + osz, 0.0f);
    const int64_t c0 = (m / mg) * cg;
    for (int64_t c = 0; c < cg; ++c) {
      const float* xc = x + (c0 + c) * g.in_size();
      const float* wc = w + (m * cg + c) * kk;
      for (int64_t kd = 0; kd < g.k[0]; ++kd)
        for (int64_t kh = 0; kh < g.k[1]; ++kh)
          for (int64_t kw = 0; kw < g.k[2]; ++kw) {
            const float wv = wc[(kd * g.k[1] + kh) * g.k[2] + kw];
            const int64_t offw = kw * g.d[2] - g.pb[2];
            int64_t lo, hi;
            valid_range(offw, g.s[2], IW, OW, &lo, &hi);
            for (int64_t od = 0; od < OD; ++od) {
              const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
              if (id < 0 || id >= ID) continue;
              for (int64_t oh = 0; oh < OH; ++oh) {
                const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
                if (ih < 0 || ih >= IH) continue;
                const float* src = xc + (id * IH + ih) * IW + offw;
                float* dst = ym + (od * OH + oh) * OW;
                if (g.s[2] == 1)
                  for (int64_t o = lo; o < hi; ++o) dst[o] += wv * src[o];
                else
                  for (int64_t o = lo; o < hi; ++o) dst[o] += wv * src[o * g.s[2]];
              }
            }
          }
    }
  }
  gemm::Epilogue e = ep;
  e.bias = bias;
  e.bias_per_row = true;
  gemm::apply_epilogue(e, y, osz, 0, M, osz);
}

}  // namespace rtml::conv
