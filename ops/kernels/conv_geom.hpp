// conv_geom.hpp - the window attributes shared by Conv, ConvTranspose, QLinearConv and the pools
// (auto_pad, kernel_shape, strides, dilations, pads, ceil_mode) and the output geometry they give.
#pragma once

#include <string>
#include <vector>

#include "engine/op.hpp"
#include "ops/kernels/conv.hpp"

namespace rtml::conv {

struct WindowAttrs {
  std::string auto_pad = "NOTSET";
  std::vector<int64_t> kernel_shape, strides, dilations, pads;
  bool ceil_mode = false;
  // ConvTranspose only.
  std::vector<int64_t> output_padding, output_shape;
};

inline Status read_window_attrs(LoadCtx& ctx, WindowAttrs* a) {
  a->auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (a->auto_pad.empty()) a->auto_pad = "NOTSET";
  if (a->auto_pad != "NOTSET" && a->auto_pad != "VALID" && a->auto_pad != "SAME_UPPER" &&
      a->auto_pad != "SAME_LOWER")
    return ctx.invalid("unknown auto_pad '" + a->auto_pad + "'");
  a->kernel_shape = ctx.attr_ints("kernel_shape");
  a->strides = ctx.attr_ints("strides");
  a->dilations = ctx.attr_ints("dilations");
  a->pads = ctx.attr_ints("pads");
  a->ceil_mode = ctx.attr_int("ceil_mode", 0) != 0;
  a->output_padding = ctx.attr_ints("output_padding");
  a->output_shape = ctx.attr_ints("output_shape");
  for (int64_t v : a->strides)
    if (v < 1) return ctx.invalid("strides must be >= 1");
  for (int64_t v : a->dilations)
    if (v < 1) return ctx.invalid("dilations must be >= 1");
  for (int64_t v : a->kernel_shape)
    if (v < 1) return ctx.invalid("kernel_shape must be >= 1");
  for (int64_t v : a->pads)
    if (v < 0) return ctx.invalid("pads must be >= 0");
  return {};
}

// Geometry of a forward window op (Conv, pools) on input spatial dims xs[2..]; kernel: nd sizes.
// Returns "" or the reason the shapes do not fit.
inline std::string forward_geom(const WindowAttrs& a, const Shape& xs, const std::vector<int64_t>& kernel, Geom* g) {
  const int nd = xs.rank() - 2;
  if (nd < 1 || nd > 3) return "spatial rank must be 1, 2 or 3 (input " + xs.str() + ")";
  if (static_cast<int>(kernel.size()) != nd) return "kernel_shape has " + std::to_string(kernel.size()) + " values";
  if (!a.strides.empty() && static_cast<int>(a.strides.size()) != nd) return "strides length differs from the spatial rank";
  if (!a.dilations.empty() && static_cast<int>(a.dilations.size()) != nd) return "dilations length differs from the spatial rank";
  if (!a.pads.empty() && static_cast<int>(a.pads.size()) != 2 * nd) return "pads must hold 2 values per spatial axis";
  *g = Geom();
  g->nd = nd;
  for (int i = 0; i < nd; ++i) {
    const int j = 3 - nd + i;
    const int64_t in = xs[2 + i], k = kernel[i];
    const int64_t s = a.strides.empty() ? 1 : a.strides[i], d = a.dilations.empty() ? 1 : a.dilations[i];
    const int64_t dk = (k - 1) * d + 1;
    int64_t pb = 0, pe = 0, out;
    if (a.auto_pad == "NOTSET") {
      pb = a.pads.empty() ? 0 : a.pads[i];
      pe = a.pads.empty() ? 0 : a.pads[nd + i];
      const int64_t span = in + pb + pe - dk;
      if (span < 0) return "the window is larger than the padded input";
      out = (a.ceil_mode ? (span + s - 1) / s : span / s) + 1;
      // A last window that would start inside the end padding is dropped (as ONNX Runtime does).
      if (a.ceil_mode && (out - 1) * s >= in + pb) --out;
    } else if (a.auto_pad == "VALID") {
      const int64_t span = in - dk;
      if (span < 0) return "the window is larger than the input";
      out = (a.ceil_mode ? (span + s - 1) / s : span / s) + 1;
    } else {
      out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + dk - in);
      if (a.auto_pad == "SAME_UPPER") pb = total / 2, pe = total - pb;
      else pe = total / 2, pb = total - pe;
    }
    g->in[j] = in, g->out[j] = out, g->k[j] = k, g->s[j] = s, g->d[j] = d, g->pb[j] = pb, g->pe[j] = pe;
  }
  return "";
}

// Geometry of ConvTranspose: returns the output spatial sizes in *out_dims, and a Geom whose `in`
// is the OUTPUT spatial extent and `out` the INPUT's (the roles of im2col/col2im: y = col2im(W^T x)).
inline std::string transpose_geom(const WindowAttrs& a, const Shape& xs, const std::vector<int64_t>& kernel, Geom* g,
                                  std::vector<int64_t>* out_dims) {
  const int nd = xs.rank() - 2;
  if (nd < 1 || nd > 3) return "spatial rank must be 1, 2 or 3 (input " + xs.str() + ")";
  if (static_cast<int>(kernel.size()) != nd) return "kernel_shape has " + std::to_string(kernel.size()) + " values";
  if (!a.strides.empty() && static_cast<int>(a.strides.size()) != nd) return "strides length differs from the spatial rank";
  if (!a.dilations.empty() && static_cast<int>(a.dilations.size()) != nd) return "dilations length differs from the spatial rank";
  if (!a.pads.empty() && static_cast<int>(a.pads.size()) != 2 * nd) return "pads must hold 2 values per spatial axis";
  if (!a.output_padding.empty() && static_cast<int>(a.output_padding.size()) != nd) return "output_padding length differs from the spatial rank";
  const int osn = static_cast<int>(a.output_shape.size());
  if (osn != 0 && osn != nd && osn != nd + 2) return "output_shape length differs from the spatial rank";
  *g = Geom();
  g->nd = nd;
  out_dims->clear();
  for (int i = 0; i < nd; ++i) {
    const int j = 3 - nd + i;
    const int64_t in = xs[2 + i], k = kernel[i];
    const int64_t s = a.strides.empty() ? 1 : a.strides[i], d = a.dilations.empty() ? 1 : a.dilations[i];
    const int64_t op = a.output_padding.empty() ? 0 : a.output_padding[i];
    if (op < 0 || (op >= s && op >= d)) return "output_padding must be smaller than the stride or the dilation";
    const int64_t dk = (k - 1) * d + 1;
    int64_t pb = 0, pe = 0, out;
    const bool same = a.auto_pad == "SAME_UPPER" || a.auto_pad == "SAME_LOWER";
    if (osn != 0 || same) {
      out = osn != 0 ? a.output_shape[osn - nd + i] : in * s;
      const int64_t total = s * (in - 1) + op + dk - out;
      if (total < 0 && osn == 0) return "negative total padding";
      const int64_t t = std::max<int64_t>(total, 0);
      if (a.auto_pad == "SAME_LOWER") pb = t - t / 2, pe = t / 2;
      else pb = t / 2, pe = t - t / 2;
      if (total < 0) pe = total;  // output_shape past the full result: the tail stays bias only
    } else {
      if (a.auto_pad == "NOTSET") {
        pb = a.pads.empty() ? 0 : a.pads[i];
        pe = a.pads.empty() ? 0 : a.pads[nd + i];
      }
      out = s * (in - 1) + op + dk - pb - pe;
    }
    if (out < 0) return "negative output size";
    out_dims->push_back(out);
    g->in[j] = out, g->out[j] = in, g->k[j] = k, g->s[j] = s, g->d[j] = d, g->pb[j] = pb, g->pe[j] = pe;
  }
  return "";
}

}  // namespace rtml::conv
