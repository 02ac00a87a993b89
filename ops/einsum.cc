// ops/einsum.cc - Einsum: explicit and implicit outputs, ellipsis (broadcast), repeated letters
// (diagonals), any number of inputs. One general path: an odometer over the output letters and,
// inside, over the contracted letters, multiplying the inputs through per-letter strides; the
// innermost contracted letter is a strided dot product.
#include <algorithm>
#include <cstring>

#include "ops/common.hpp"

namespace rtml {
namespace {

constexpr int kEllipsis = -1;    // the "..." marker inside a parsed term
constexpr int kLetters = 52;     // a-z, A-Z; ellipsis dims get ids kLetters + j
constexpr int kMaxIds = kLetters + Shape::kMaxRank;

struct EinsumState : OpState {
  std::vector<std::vector<int>> terms;  // one per input: letter ids / kEllipsis
  std::vector<int> out;                 // output term (may hold kEllipsis)
  bool implicit = false;
};

int letter_id(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -2;
}

bool parse_term(const std::string& s, std::vector<int>* t) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ') continue;
    if (s[i] == '.') {
      if (s.compare(i, 3, "...") != 0) return false;
      if (std::find(t->begin(), t->end(), kEllipsis) != t->end()) return false;
      t->push_back(kEllipsis);
      i += 2;
      continue;
    }
    int id = letter_id(s[i]);
    if (id < 0) return false;
    t->push_back(id);
  }
  return true;
}

struct EinsumPlan : PlanData {
  int n_out = 0, n_sum = 0;                       // letters in the output, contracted letters
  int64_t out_dim[kMaxIds] = {}, sum_dim[kMaxIds] = {};
  std::vector<std::vector<int64_t>> out_str, sum_str;  // [input][letter] strides
};

template <class T>
Status einsum_run(const KernelCtx& k) {
  const auto& p = k.plan_data<EinsumPlan>();
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const int ni = k.n_in;
  const T* x[16];
  for (int i = 0; i < ni; ++i) x[i] = static_cast<const T*>(k.in[i].data);
  T* y = static_cast<T*>(k.out[0].data);
  const int64_t total = k.out[0].numel();
  int64_t oi[kMaxIds] = {};
  int64_t base[16] = {};
  const int ns = p.n_sum;
  int64_t sum_total = 1;
  for (int s = 0; s < ns; ++s) sum_total *= p.sum_dim[s];
  const int64_t inner = ns > 0 ? p.sum_dim[ns - 1] : 1;
  for (int64_t e = 0; e < total; ++e) {
    for (int i = 0; i < ni; ++i) {
      base[i] = 0;
      for (int l = 0; l < p.n_out; ++l) base[i] += oi[l] * p.out_str[i][l];
    }
    Acc acc = 0;
    if (sum_total > 0) {
      int64_t si[kMaxIds] = {};
      for (;;) {
        int64_t off[16];
        for (int i = 0; i < ni; ++i) {
          off[i] = base[i];
          for (int s = 0; s + 1 < ns; ++s) off[i] += si[s] * p.sum_str[i][s];
        }
        if (ns == 0) {
          Acc v = 1;
          for (int i = 0; i < ni; ++i) v *= static_cast<Acc>(x[i][off[i]]);
          acc += v;
          break;
        }
        for (int64_t j = 0; j < inner; ++j) {  // the innermost contracted letter
          Acc v = 1;
          for (int i = 0; i < ni; ++i) v *= static_cast<Acc>(x[i][off[i] + j * p.sum_str[i][ns - 1]]);
          acc += v;
        }
        int s = ns - 2;
        for (; s >= 0; --s) {
          if (++si[s] < p.sum_dim[s]) break;
          si[s] = 0;
        }
        if (s < 0) break;
      }
    }
    y[e] = static_cast<T>(acc);
    for (int l = p.n_out - 1; l >= 0; --l) {
      if (++oi[l] < p.out_dim[l]) break;
      oi[l] = 0;
    }
  }
  return {};
}

Status einsum_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const EinsumState*>(ctx.state);
  const int ni = ctx.num_inputs();
  // Ellipsis rank: what each input's "..." covers (right-aligned broadcast across inputs).
  int ell = 0;
  std::vector<int> ell_rank(ni, 0);
  for (int i = 0; i < ni; ++i) {
    const auto& t = st.terms[i];
    const int named = static_cast<int>(t.size()) - (std::count(t.begin(), t.end(), kEllipsis) ? 1 : 0);
    const int r = ctx.in_shape(i).rank();
    const bool has_ell = std::count(t.begin(), t.end(), kEllipsis) > 0;
    if (has_ell ? r < named : r != named)
      return ctx.invalid_input("input " + std::to_string(i) + " " + ctx.in_shape(i).str() + " does not match its term");
    ell_rank[i] = has_ell ? r - named : 0;
    ell = std::max(ell, ell_rank[i]);
  }
  int64_t size[kMaxIds];
  std::fill(size, size + kMaxIds, -1);
  int count[kMaxIds] = {};
  // per input: dim d -> letter id
  std::vector<std::vector<int>> dim_id(ni);
  for (int i = 0; i < ni; ++i) {
    const Shape& s = ctx.in_shape(i);
    for (int id : st.terms[i]) {
      if (id == kEllipsis)
        for (int j = 0; j < ell_rank[i]; ++j) dim_id[i].push_back(kLetters + (ell - ell_rank[i]) + j);
      else
        dim_id[i].push_back(id);
    }
    for (int d = 0; d < s.rank(); ++d) {
      const int id = dim_id[i][d];
      const int64_t n = s[d];
      if (size[id] < 0) {
        size[id] = n;
      } else if (size[id] != n) {
        if (id >= kLetters && (size[id] == 1 || n == 1)) size[id] = std::max(size[id], n);  // "..." broadcasts
        else return ctx.invalid_input("letters of one name have different dimensions");
      }
    }
    std::vector<bool> seen(kMaxIds, false);
    for (int id : dim_id[i])
      if (!seen[id]) seen[id] = true, count[id]++;
  }
  // Output letters.
  std::vector<int> out;
  if (st.implicit) {
    for (int j = 0; j < ell; ++j) out.push_back(kLetters + j);
    int occ[kLetters] = {};
    for (int i = 0; i < ni; ++i)
      for (int id : st.terms[i])
        if (id >= 0) occ[id]++;
    for (int id = 0; id < kLetters; ++id)
      if (occ[id] == 1) out.push_back(id);
  } else {
    for (int id : st.out) {
      if (id == kEllipsis)
        for (int j = 0; j < ell; ++j) out.push_back(kLetters + j);
      else if (size[id] < 0)
        return ctx.invalid_input("output letter not in any input");
      else
        out.push_back(id);
    }
  }
  auto& p = ctx.make_data<EinsumPlan>();
  std::vector<int> sum;
  for (int id = 0; id < kMaxIds; ++id)
    if (size[id] >= 0 && std::find(out.begin(), out.end(), id) == out.end()) sum.push_back(id);
  p.n_out = static_cast<int>(out.size()), p.n_sum = static_cast<int>(sum.size());
  Shape os;
  for (int l = 0; l < p.n_out; ++l) p.out_dim[l] = size[out[l]], os.push_back(size[out[l]]);
  for (int s = 0; s < p.n_sum; ++s) p.sum_dim[s] = size[sum[s]];
  p.out_str.assign(ni, std::vector<int64_t>(p.n_out, 0));
  p.sum_str.assign(ni, std::vector<int64_t>(p.n_sum, 0));
  for (int i = 0; i < ni; ++i) {
    const Shape& s = ctx.in_shape(i);
    int64_t stride = 1;
    for (int d = s.rank() - 1; d >= 0; --d) {
      const int id = dim_id[i][d];
      const int64_t st_d = s[d] == 1 ? 0 : stride;  // a broadcast dim of 1 repeats
      for (int l = 0; l < p.n_out; ++l)
        if (out[l] == id) p.out_str[i][l] += st_d;
      for (int q = 0; q < p.n_sum; ++q)
        if (sum[q] == id) p.sum_str[i][q] += st_d;
      stride *= s[d];
    }
  }
  ctx.set_out_shape(0, os);
  bool ok = visit_numeric(ctx.in_dtype(0), [&](auto t) { ctx.set_kernel(einsum_run<decltype(t)>); });
  if (!ok) return ctx.invalid_input("unexpected type");
  return {};
}

Status einsum_load(LoadCtx& ctx) {
  const int ni = ctx.num_inputs();
  if (ni < 1 || ni > 16) return ctx.unsupported("Einsum with " + std::to_string(ni) + " inputs");
  for (int i = 0; i < ni; ++i) {
    if (Status s = ctx.require_input(i, {DType::F32, DType::F64, DType::I32, DType::I64, DType::U32, DType::U64});
        !s.ok())
      return s;
    if (ctx.in_dtype(i) != ctx.in_dtype(0)) return ctx.invalid("inputs must share one type");
  }
  std::string eq = ctx.attr_string("equation", "");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  auto st = std::make_shared<EinsumState>();
  std::string lhs = eq, rhs;
  const size_t arrow = eq.find("->");
  st->implicit = arrow == std::string::npos;
  if (!st->implicit) lhs = eq.substr(0, arrow), rhs = eq.substr(arrow + 2);
  size_t start = 0;
  for (;;) {
    size_t comma = lhs.find(',', start);
    std::vector<int> t;
    if (!parse_term(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start), &t))
      return ctx.invalid("bad equation '" + eq + "'");
    st->terms.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (static_cast<int>(st->terms.size()) != ni)
    return ctx.invalid("equation has " + std::to_string(st->terms.size()) + " terms for " + std::to_string(ni) + " inputs");
  if (!st->implicit) {
    if (!parse_term(rhs, &st->out)) return ctx.invalid("bad equation output '" + rhs + "'");
    for (size_t a = 0; a < st->out.size(); ++a)
      for (size_t b = a + 1; b < st->out.size(); ++b)
        if (st->out[a] == st->out[b]) return ctx.invalid("repeated output letter");
  }
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

}  // namespace

void register_einsum_ops(OpRegistry& r) { r.add({"", "Einsum", 12, 0, einsum_load, einsum_plan}); }

}  // namespace rtml
