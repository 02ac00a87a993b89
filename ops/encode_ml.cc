// ops/encode_ml.cc - the category encoders of ai.onnx.ml: OneHotEncoder, LabelEncoder (opsets 1,
// 2 and 4: string / integer / float keys and values, tensor attributes, defaults) and
// CategoryMapper, with ONNX Runtime's rules for duplicate keys, NaN keys and default values.
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/op.hpp"

namespace rtml {
namespace {

template <class T>
T* ptr(const TensorView& v) { return static_cast<T*>(v.data); }

// Keys -> index. Unique keys only (the caller decides whether the first or the last duplicate
// wins); a short list is scanned (faster than hashing for the 2..16 categories of typical
// columns), a long one hashed. Float keys are compared as doubles (-0 == +0; NaN matches NaN
// only when `nan_matches`).
class KeyIndex {
 public:
  static constexpr size_t kScan = 16;  // up to this many keys: linear scan

  void add_int(int64_t k, int64_t idx, bool last_wins) { add(ints_, k, idx, last_wins); }
  void add_float(double k, int64_t idx, bool last_wins) {
    if (std::isnan(k)) {
      if (nan_ < 0 || last_wins) nan_ = idx;
      return;
    }
    add(floats_, k == 0 ? 0.0 : k, idx, last_wins);
  }
  void add_str(const std::string& k, int64_t idx, bool last_wins) { add(strs_, k, idx, last_wins); }
  void finish(bool nan_matches) {
    nan_matches_ = nan_matches;
    if (ints_.keys.size() > kScan)
      for (size_t i = 0; i < ints_.keys.size(); ++i) imap_.emplace(ints_.keys[i], ints_.idx[i]);
    if (floats_.keys.size() > kScan)
      for (size_t i = 0; i < floats_.keys.size(); ++i) fmap_.emplace(floats_.keys[i], floats_.idx[i]);
    if (strs_.keys.size() > kScan)
      for (size_t i = 0; i < strs_.keys.size(); ++i) smap_.emplace(std::string_view(strs_.keys[i]), strs_.idx[i]);
  }
  int64_t find_int(int64_t k) const { return find(ints_, imap_, k); }
  int64_t find_float(double k) const {
    if (std::isnan(k)) return nan_matches_ ? nan_ : -1;
    return find(floats_, fmap_, k == 0 ? 0.0 : k);
  }
  int64_t find_str(std::string_view k) const {
    if (strs_.keys.size() > kScan) {
      auto it = smap_.find(k);
      return it == smap_.end() ? -1 : it->second;
    }
    for (size_t i = 0; i < strs_.keys.size(); ++i)
      if (strs_.keys[i].size() == k.size() && std::memcmp(strs_.keys[i].data(), k.data(), k.size()) == 0)
        return strs_.idx[i];
    return -1;
  }

 private:
  template <class K>
  struct List {
    std::vector<K> keys;
    std::vector<int64_t> idx;
  };
  template <class K, class Key>
  static void add(List<K>& l, const Key& k, int64_t idx, bool last_wins) {
    for (size_t i = 0; i < l.keys.size(); ++i)
      if (l.keys[i] == k) {
        if (last_wins) l.idx[i] = idx;
        return;
      }
    l.keys.push_back(k);
    l.idx.push_back(idx);
  }
  template <class K, class M>
  static int64_t find(const List<K>& l, const M& m, K k) {
    if (l.keys.size() > kScan) {
      auto it = m.find(k);
      return it == m.end() ? -1 : it->second;
    }
    for (size_t i = 0; i < l.keys.size(); ++i)
      if (l.keys[i] == k) return l.idx[i];
    return -1;
  }
  List<int64_t> ints_;
  List<double> floats_;
  List<std::string> strs_;
  std::unordered_map<int64_t, int64_t> imap_;
  std::unordered_map<double, int64_t> fmap_;
  std::unordered_map<std::string_view, int64_t> smap_;
  int64_t nan_ = -1;
  bool nan_matches_ = false;
};

// Index of each input element's key (-1: absent), by input dtype.
template <class F>
Status for_each_key(const KernelCtx& k, const KeyIndex& ix, F&& f) {
  const TensorView& x = k.in[0];
  const int64_t n = x.numel();
  switch (x.dtype) {
    case DType::String: {
      const StrRef* p = ptr<const StrRef>(x);
      for (int64_t i = 0; i < n; ++i) f(i, ix.find_str(p[i].view()));
      break;
    }
    case DType::I64: {
      const int64_t* p = ptr<const int64_t>(x);
      for (int64_t i = 0; i < n; ++i) f(i, ix.find_int(p[i]));
      break;
    }
    case DType::I32: {
      const int32_t* p = ptr<const int32_t>(x);
      for (int64_t i = 0; i < n; ++i) f(i, ix.find_int(p[i]));
      break;
    }
    case DType::I16: {
      const int16_t* p = ptr<const int16_t>(x);
      for (int64_t i = 0; i < n; ++i) f(i, ix.find_int(p[i]));
      break;
    }
    case DType::F32: {
      const float* p = ptr<const float>(x);
      for (int64_t i = 0; i < n; ++i) f(i, ix.find_float(p[i]));
      break;
    }
    case DType::F64: {
      const double* p = ptr<const double>(x);
      for (int64_t i = 0; i < n; ++i) f(i, ix.find_float(p[i]));
      break;
    }
    default: return k.invalid_input("unexpected input type");
  }
  return {};
}

// ---- OneHotEncoder ---------------------------------------------------------------------------

struct OheState : OpState {
  KeyIndex ix;
  int64_t C = 0;
  bool zeros = true;
  bool float_input = false;  // float/double inputs are truncated to int64 first
};

Status ohe_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::String, DType::I64, DType::I32, DType::F32, DType::F64}); !s.ok()) return s;
  auto st = std::make_shared<OheState>();
  std::vector<int64_t> ci = ctx.attr_ints("cats_int64s");
  std::vector<std::string> cs = ctx.attr_strings("cats_strings");
  st->zeros = ctx.attr_int("zeros", 1) != 0;
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (!ci.empty() && !cs.empty()) return ctx.invalid("give cats_int64s or cats_strings, not both");
  if (ci.empty() && cs.empty()) return ctx.invalid("needs cats_int64s or cats_strings");
  // A repeated category maps to its last position (ONNX Runtime fills a map in order).
  for (size_t i = 0; i < ci.size(); ++i) st->ix.add_int(ci[i], static_cast<int64_t>(i), true);
  for (size_t i = 0; i < cs.size(); ++i) st->ix.add_str(cs[i], static_cast<int64_t>(i), true);
  st->ix.finish(false);
  st->C = static_cast<int64_t>(ci.empty() ? cs.size() : ci.size());
  st->float_input = ctx.in_dtype(0) == DType::F32 || ctx.in_dtype(0) == DType::F64;
  ctx.set_out(0, DType::F32);
  ctx.set_state(st);
  return {};
}

template <class T>
int64_t ohe_float_key(const KeyIndex& ix, T v) {
  // Truncation toward zero like a C++ cast; values no int64 can hold match nothing.
  if (!(v > -9.2e18 && v < 9.2e18)) return -1;
  return ix.find_int(static_cast<int64_t>(v));
}

Status ohe_run(const KernelCtx& k) {
  const auto& st = k.st<OheState>();
  float* y = ptr<float>(k.out[0]);
  const int64_t n = k.in[0].numel(), C = st.C;
  std::memset(y, 0, static_cast<size_t>(n * C) * sizeof(float));
  bool unknown = false;
  auto put = [&](int64_t i, int64_t idx) {
    if (idx >= 0) y[i * C + idx] = 1.f;
    else unknown = true;
  };
  if (k.in[0].dtype == DType::F32) {
    const float* p = ptr<const float>(k.in[0]);
    for (int64_t i = 0; i < n; ++i) put(i, ohe_float_key(st.ix, p[i]));
  } else if (k.in[0].dtype == DType::F64) {
    const double* p = ptr<const double>(k.in[0]);
    for (int64_t i = 0; i < n; ++i) put(i, ohe_float_key(st.ix, p[i]));
  } else if (Status s = for_each_key(k, st.ix, put); !s.ok()) {
    return s;
  }
  if (unknown && !st.zeros) return k.invalid_input("unknown category and zeros = 0");
  return {};
}

Status ohe_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const OheState*>(ctx.state);
  Shape out = ctx.in_shape(0);
  if (out.rank() >= Shape::kMaxRank) return ctx.invalid_input("input rank too large");
  out.push_back(st.C);
  ctx.set_out_shape(0, out);
  ctx.set_kernel(&ohe_run);
  return {};
}

// ---- rtml:OneHotConcat: OneHotEncoders -> Concat on the category axis, fused ----------------
// Made by engine/passes/fold_linear_preprocess.cc. Input k is encoded with attributes
// cats_int64s_<k> or cats_strings_<k> and zeros_<k>; all inputs have one shape S and the output is
// S + [sum of the category counts]: each element's one lands at its column offset directly.

struct OheConcatState : OpState {
  std::vector<OheState> parts;
  std::vector<int64_t> offset;
  int64_t total = 0;
};

Status ohe_concat_load(LoadCtx& ctx) {
  auto st = std::make_shared<OheConcatState>();
  for (int k = 0; k < ctx.num_inputs(); ++k) {
    if (Status s = ctx.require_input(k, {DType::String, DType::I64, DType::I32, DType::F32, DType::F64}); !s.ok()) return s;
    const std::string sfx = "_" + std::to_string(k);
    OheState p;
    std::vector<int64_t> ci = ctx.attr_ints(("cats_int64s" + sfx).c_str());
    std::vector<std::string> cs = ctx.attr_strings(("cats_strings" + sfx).c_str());
    p.zeros = ctx.attr_int(("zeros" + sfx).c_str(), 1) != 0;
    if (ci.empty() == cs.empty()) return ctx.invalid("input " + std::to_string(k) + " needs cats_int64s or cats_strings");
    for (size_t i = 0; i < ci.size(); ++i) p.ix.add_int(ci[i], static_cast<int64_t>(i), true);
    for (size_t i = 0; i < cs.size(); ++i) p.ix.add_str(cs[i], static_cast<int64_t>(i), true);
    p.ix.finish(false);
    p.C = static_cast<int64_t>(ci.empty() ? cs.size() : ci.size());
    st->offset.push_back(st->total);
    st->total += p.C;
    st->parts.push_back(std::move(p));
  }
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  ctx.set_out(0, DType::F32);
  ctx.set_state(st);
  return {};
}

Status ohe_concat_run(const KernelCtx& k) {
  const auto& st = k.st<OheConcatState>();
  float* y = ptr<float>(k.out[0]);
  const int64_t n = k.in[0].numel(), W = st.total;
  std::memset(y, 0, static_cast<size_t>(n * W) * sizeof(float));
  for (int i = 0; i < k.n_in; ++i) {
    const OheState& p = st.parts[i];
    float* yk = y + st.offset[i];
    bool unknown = false;
    auto put = [&](int64_t e, int64_t idx) {
      if (idx >= 0) yk[e * W + idx] = 1.f;
      else unknown = true;
    };
    const TensorView& x = k.in[i];
    if (x.dtype == DType::F32) {
      for (int64_t e = 0; e < n; ++e) put(e, ohe_float_key(p.ix, ptr<const float>(x)[e]));
    } else if (x.dtype == DType::F64) {
      for (int64_t e = 0; e < n; ++e) put(e, ohe_float_key(p.ix, ptr<const double>(x)[e]));
    } else {
      KernelCtx one = k;
      one.in = &x;
      if (Status s = for_each_key(one, p.ix, put); !s.ok()) return s;
    }
    if (unknown && !p.zeros) return k.invalid_input("unknown category and zeros = 0");
  }
  return {};
}

Status ohe_concat_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const OheConcatState*>(ctx.state);
  Shape out = ctx.in_shape(0);
  for (int k = 1; k < ctx.num_inputs(); ++k)
    if (ctx.in_shape(k) != out) return ctx.invalid_input("the encoded columns have different shapes");
  if (out.rank() >= Shape::kMaxRank) return ctx.invalid_input("input rank too large");
  out.push_back(st.total);
  ctx.set_out_shape(0, out);
  ctx.set_kernel(&ohe_concat_run);
  return {};
}

// ---- LabelEncoder and CategoryMapper: key -> value, default for absent keys ------------------
// Values are kept as a tensor of n + 1 elements of the output type, the last being the default,
// so the kernel copies values[index] whatever the type.

struct MapState : OpState {
  KeyIndex ix;
  Tensor values;
  int64_t n = 0;
};

// Keys and values from a list attribute or a tensor attribute (opset 4).
struct Column {
  DType type = DType::Undefined;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strs;
  size_t size() const { return type == DType::String ? strs.size() : (ints.empty() ? floats.size() : ints.size()); }
};

bool column_from_tensor(const Tensor& t, Column* c) {
  c->type = t.dtype();
  const int64_t n = t.numel();
  switch (t.dtype()) {
    case DType::String:
      for (int64_t i = 0; i < n; ++i) c->strs.emplace_back(t.str(i));
      return true;
    case DType::I64: c->ints.assign(t.data<int64_t>(), t.data<int64_t>() + n); return true;
    case DType::I32: c->ints.assign(t.data<int32_t>(), t.data<int32_t>() + n); return true;
    case DType::I16: c->ints.assign(t.data<int16_t>(), t.data<int16_t>() + n); return true;
    case DType::F32: c->floats.assign(t.data<float>(), t.data<float>() + n); return true;
    case DType::F64: c->floats.assign(t.data<double>(), t.data<double>() + n); return true;
    default: return false;
  }
}

// Reads <prefix>_strings / _int64s / _floats or <prefix>_tensor (opset 4). Exactly one.
Status read_column(LoadCtx& ctx, const std::string& prefix, bool tensors, Column* c) {
  int found = 0;
  if (ctx.has_attr((prefix + "_strings").c_str())) {
    c->type = DType::String, c->strs = ctx.attr_strings((prefix + "_strings").c_str()), ++found;
  }
  if (ctx.has_attr((prefix + "_int64s").c_str())) {
    c->type = DType::I64, c->ints = ctx.attr_ints((prefix + "_int64s").c_str()), ++found;
  }
  if (ctx.has_attr((prefix + "_floats").c_str())) {
    auto f = ctx.attr_floats((prefix + "_floats").c_str());
    c->type = DType::F32, c->floats.assign(f.begin(), f.end()), ++found;
  }
  if (tensors && ctx.has_attr((prefix + "_tensor").c_str())) {
    auto t = ctx.attr_tensor((prefix + "_tensor").c_str());
    if (!t || !column_from_tensor(*t, c)) return ctx.unsupported(prefix + "_tensor of an unsupported type");
    ++found;
  }
  if (found != 1) return ctx.invalid("needs exactly one of the " + prefix + "_* attributes");
  return {};
}

// values tensor [n + 1] of type t from column v (may be empty) and the default in slot n.
Status fill_values(LoadCtx& ctx, MapState& st, const Column& v, DType t) {
  const int64_t n = static_cast<int64_t>(v.size());
  st.n = n;
  if (t == DType::String) {
    std::vector<std::string> s = v.strs;
    s.resize(static_cast<size_t>(n + 1));
    st.values = Tensor::from_strings(Shape{n + 1}, std::move(s));
    return {};
  }
  st.values = Tensor(t, Shape{n + 1});
  for (int64_t i = 0; i < n; ++i) {
    switch (t) {
      case DType::I64: st.values.data<int64_t>()[i] = v.ints[i]; break;
      case DType::I32: st.values.data<int32_t>()[i] = static_cast<int32_t>(v.ints[i]); break;
      case DType::I16: st.values.data<int16_t>()[i] = static_cast<int16_t>(v.ints[i]); break;
      case DType::F32: st.values.data<float>()[i] = static_cast<float>(v.floats[i]); break;
      case DType::F64: st.values.data<double>()[i] = v.floats[i]; break;
      default: return ctx.unsupported("values of this type");
    }
  }
  return {};
}

// The default (slot n): default_tensor (opset 4) or the typed default_* attribute, else the spec's.
Status set_default(LoadCtx& ctx, MapState& st, bool tensors) {
  const DType t = st.values.dtype();
  const int64_t n = st.n;
  if (tensors && ctx.has_attr("default_tensor")) {
    auto d = ctx.attr_tensor("default_tensor");
    Column c;
    if (!d || d->numel() != 1 || !column_from_tensor(*d, &c) || (c.type == DType::String) != (t == DType::String))
      return ctx.invalid("default_tensor must hold one value of the output type");
    if (t == DType::String) st.values.set_str(n, c.strs[0]);
    else if (!c.ints.empty()) {
      switch (t) {
        case DType::I64: st.values.data<int64_t>()[n] = c.ints[0]; break;
        case DType::I32: st.values.data<int32_t>()[n] = static_cast<int32_t>(c.ints[0]); break;
        case DType::I16: st.values.data<int16_t>()[n] = static_cast<int16_t>(c.ints[0]); break;
        case DType::F32: st.values.data<float>()[n] = static_cast<float>(c.ints[0]); break;
        default: st.values.data<double>()[n] = static_cast<double>(c.ints[0]); break;
      }
    } else {
      switch (t) {
        case DType::F32: st.values.data<float>()[n] = static_cast<float>(c.floats[0]); break;
        case DType::F64: st.values.data<double>()[n] = c.floats[0]; break;
        default: return ctx.invalid("default_tensor must hold one value of the output type");
      }
    }
    return {};
  }
  switch (t) {
    case DType::String: st.values.set_str(n, ctx.attr_string("default_string", "_Unused")); break;
    case DType::I64: st.values.data<int64_t>()[n] = ctx.attr_int("default_int64", -1); break;
    case DType::I32: st.values.data<int32_t>()[n] = -1; break;
    case DType::I16: st.values.data<int16_t>()[n] = -1; break;
    case DType::F32: st.values.data<float>()[n] = ctx.attr_float("default_float", -0.f); break;
    case DType::F64: st.values.data<double>()[n] = ctx.attr_float("default_float", -0.f); break;
    default: return ctx.unsupported("values of this type");
  }
  return {};
}

void index_keys(MapState& st, const Column& keys, bool last_wins, bool nan_matches) {
  for (size_t i = 0; i < keys.size(); ++i) {
    const int64_t idx = static_cast<int64_t>(i);
    if (keys.type == DType::String) st.ix.add_str(keys.strs[i], idx, last_wins);
    else if (!keys.ints.empty()) st.ix.add_int(keys.ints[i], idx, last_wins);
    else st.ix.add_float(keys.floats[i], idx, last_wins);
  }
  st.ix.finish(nan_matches);
}

bool is_int_type(DType t) { return t == DType::I64 || t == DType::I32 || t == DType::I16; }
bool same_family(DType key, DType in) {
  if (key == DType::String || in == DType::String) return key == in;
  if (is_int_type(key)) return is_int_type(in);
  return in == DType::F32 || in == DType::F64;
}

Status label_encoder_load(LoadCtx& ctx) {
  auto st = std::make_shared<MapState>();
  const DType in = ctx.in_dtype(0);
  if (Status s = ctx.require_input(0, {DType::String, DType::I64, DType::F32, DType::F64, DType::I32, DType::I16}); !s.ok())
    return s;
  Column keys, vals;
  if (ctx.opset() < 2) {
    // Opset 1: classes_strings; string -> its index, int64 -> the string at that index.
    Column classes;
    classes.type = DType::String;
    classes.strs = ctx.attr_strings("classes_strings");
    if (in == DType::String) {
      keys = classes;
      vals.type = DType::I64;
      for (size_t i = 0; i < classes.strs.size(); ++i) vals.ints.push_back(static_cast<int64_t>(i));
    } else if (in == DType::I64) {
      keys.type = DType::I64;
      for (size_t i = 0; i < classes.strs.size(); ++i) keys.ints.push_back(static_cast<int64_t>(i));
      vals = classes;
    } else {
      return ctx.invalid("LabelEncoder-1 takes string or int64 input");
    }
    if (Status s = fill_values(ctx, *st, vals, vals.type); !s.ok()) return s;
    if (Status s = set_default(ctx, *st, false); !s.ok()) return s;
    index_keys(*st, keys, true, false);
  } else {
    const bool tensors = ctx.opset() >= 4;
    if (Status s = read_column(ctx, "keys", tensors, &keys); !s.ok()) return s;
    if (Status s = read_column(ctx, "values", tensors, &vals); !s.ok()) return s;
    if (keys.size() != vals.size()) return ctx.invalid("keys and values must have the same length");
    if (!same_family(keys.type, in))
      return ctx.invalid(std::string("input of type ") + dtype_name(in) + " for keys of type " + dtype_name(keys.type));
    if (Status s = fill_values(ctx, *st, vals, vals.type); !s.ok()) return s;
    if (Status s = set_default(ctx, *st, tensors); !s.ok()) return s;
    // The first of repeated keys wins; NaN keys match NaN inputs from opset 4 on.
    index_keys(*st, keys, false, tensors);
  }
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  ctx.set_out(0, st->values.dtype());
  ctx.set_state(st);
  return {};
}

Status category_mapper_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::String, DType::I64}); !s.ok()) return s;
  auto st = std::make_shared<MapState>();
  Column s_col, i_col;
  s_col.type = DType::String, s_col.strs = ctx.attr_strings("cats_strings");
  i_col.type = DType::I64, i_col.ints = ctx.attr_ints("cats_int64s");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (s_col.size() != i_col.size()) return ctx.invalid("cats_strings and cats_int64s must have the same length");
  const bool from_str = ctx.in_dtype(0) == DType::String;
  const Column& keys = from_str ? s_col : i_col;
  const Column& vals = from_str ? i_col : s_col;
  if (Status s = fill_values(ctx, *st, vals, vals.type); !s.ok()) return s;
  if (Status s = set_default(ctx, *st, false); !s.ok()) return s;
  index_keys(*st, keys, true, false);
  ctx.set_out(0, st->values.dtype());
  ctx.set_state(st);
  return {};
}

Status map_run(const KernelCtx& k) {
  const auto& st = k.st<MapState>();
  const size_t es = dtype_size(st.values.dtype());
  const char* vals = static_cast<const char*>(st.values.raw());
  char* y = ptr<char>(k.out[0]);
  const int64_t n = st.n;
  return for_each_key(k, st.ix, [&](int64_t i, int64_t idx) {
    std::memcpy(y + i * es, vals + (idx < 0 ? n : idx) * es, es);
  });
}

Status map_plan(PlanCtx& ctx) {
  ctx.set_out_shape(0, ctx.in_shape(0));
  ctx.set_kernel(&map_run);
  if (dtype_size(ctx.in_dtype(0)) == dtype_size(ctx.out_dtype(0))) ctx.allow_in_place(0, 0);
  return {};
}

}  // namespace

void register_encode_ml_ops(OpRegistry& r) {
  r.add({"ai.onnx.ml", "OneHotEncoder", 1, 0, ohe_load, ohe_plan});
  r.add({"ai.onnx.ml", "LabelEncoder", 1, 0, label_encoder_load, map_plan});
  r.add({"ai.onnx.ml", "CategoryMapper", 1, 0, category_mapper_load, map_plan});
  r.add({"rtml", "OneHotConcat", 0, 0, ohe_concat_load, ohe_concat_plan});
}

}  // namespace rtml
