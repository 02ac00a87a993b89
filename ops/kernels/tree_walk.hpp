// tree_walk.hpp - the inner loops: walk a packed tree (tree_forest.hpp) to its leaves.
//
// Every step of every lane is the same branch-free update
//     n = (x[feat] <= thr) ? jump : n + 1
// (leaves loop on themselves), so L independent lanes advance side by side and their loads
// overlap: rows through one tree (batches) or one row through L trees (a single prediction).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/kernels/tree_forest.hpp"

namespace rtml::trees {

// Why 8 lanes: a step is two dependent loads (node, then feature) plus a compare; 8 chains in
// flight keep both load ports busy on current x86 cores without spilling the lane state.
constexpr int kLanes = 8;

// One step. xg: the lane's keys (key_of), feature f at byte offset f * kGroup * sizeof(T)
// (Node::xoff). Thresholds are never the NaN key (tree_build.cc), so in the kernel without NaN a
// plain compare decides. Compilers turn a plain `c ? a : b` here into a branch, which
// mispredicts on half of the nodes; x86 gets an explicit compare + cmov, other targets a mask
// select.
template <class T, bool kNaN>
inline const Node<T>* step(const Node<T>* p, const char* xg) {
  using K = Key<T>;
  const K v = *reinterpret_cast<const K*>(xg + p->xoff);
  const Node<T>* j = reinterpret_cast<const Node<T>*>(reinterpret_cast<const char*>(p) + p->jrel);
  const Node<T>* r = p + 1;
  if constexpr (kNaN) {
    // NaN is the largest key: it fails `v <= thr` and takes the jump iff aux bit 0 is set.
    const uintptr_t c = (v <= p->thr) | ((v == std::numeric_limits<K>::max()) & (p->aux & 1));
    const uintptr_t a = reinterpret_cast<uintptr_t>(r), b = reinterpret_cast<uintptr_t>(j);
    return reinterpret_cast<const Node<T>*>(a ^ ((a ^ b) & (0 - c)));
  } else {
#if defined(__x86_64__)
    asm("cmp %[t], %[v]\n\tcmovle %[j], %[r]" : [r] "+r"(r) : [v] "r"(v), [t] "m"(p->thr), [j] "r"(j) : "cc");
    return r;
#else
    const uintptr_t c = v <= p->thr;
    const uintptr_t a = reinterpret_cast<uintptr_t>(r), b = reinterpret_cast<uintptr_t>(j);
    return reinterpret_cast<const Node<T>*>(a ^ ((a ^ b) & (0 - c)));
#endif
  }
}

// `depth` steps of eight lanes n[0..7] without NaN; lane l reads its keys at xb + l * kLaneBytes.
// On x86-64 one asm loop: compiled from C++, the eight node pointers, the base and the counter
// leave GCC short of registers, and a spilled pointer puts a store-to-load round trip on that
// lane's dependent chain (measured 1.6x slower). Each lane step: load xoff, load the key, load
// jrel, j = n + jrel, compare with thr, n += sizeof(Node), n = j if key <= thr.
template <class T, int kLaneBytes>
inline void walk8(const Node<T>** n, int32_t depth, const char* xb) {
  if (depth <= 0) return;
#if defined(__x86_64__)
  static_assert(offsetof(Node<T>, thr) == 0);
  const Node<T>*n0 = n[0], *n1 = n[1], *n2 = n[2], *n3 = n[3], *n4 = n[4], *n5 = n[5], *n6 = n[6], *n7 = n[7];
  uint64_t a, v;
  int64_t cnt = depth;
#define RTML_W8_LANE(N)                                                  \
  "movslq %c[xo](%[n" #N "]), %[a]\n\t"                                  \
  RTML_W8_LOAD(N)                                                        \
  "movslq %c[jr](%[n" #N "]), %[a]\n\t"                                  \
  "add %[n" #N "], %[a]\n\t"                                             \
  RTML_W8_CMP(N)                                                         \
  "lea %c[sz](%[n" #N "]), %[n" #N "]\n\t"                               \
  "cmovle %[a], %[n" #N "]\n\t"
#define RTML_W8_BODY                                                     \
  "1:\n\t" RTML_W8_LANE(0) RTML_W8_LANE(1) RTML_W8_LANE(2) RTML_W8_LANE(3) \
  RTML_W8_LANE(4) RTML_W8_LANE(5) RTML_W8_LANE(6) RTML_W8_LANE(7) "dec %[cnt]\n\tjnz 1b\n\t"
#define RTML_W8_OPERANDS                                                                                     \
  : [n0] "+r"(n0), [n1] "+r"(n1), [n2] "+r"(n2), [n3] "+r"(n3), [n4] "+r"(n4), [n5] "+r"(n5), [n6] "+r"(n6), \
    [n7] "+r"(n7), [cnt] "+r"(cnt), [a] "=&r"(a), [v] "=&r"(v)                                               \
  : [xb] "r"(xb), [xo] "i"(offsetof(Node<T>, xoff)), [jr] "i"(offsetof(Node<T>, jrel)), [sz] "i"(sizeof(Node<T>)), \
    [lb] "i"(kLaneBytes)                                                                                     \
  : "cc", "memory"
  if constexpr (sizeof(Key<T>) == 4) {
#define RTML_W8_LOAD(N) "movl %c[lb]*" #N "(%[xb],%[a]), %k[v]\n\t"
#define RTML_W8_CMP(N) "cmpl (%[n" #N "]), %k[v]\n\t"
    asm volatile(RTML_W8_BODY RTML_W8_OPERANDS);
#undef RTML_W8_LOAD
#undef RTML_W8_CMP
  } else {
#define RTML_W8_LOAD(N) "movq %c[lb]*" #N "(%[xb],%[a]), %[v]\n\t"
#define RTML_W8_CMP(N) "cmpq (%[n" #N "]), %[v]\n\t"
    asm volatile(RTML_W8_BODY RTML_W8_OPERANDS);
#undef RTML_W8_LOAD
#undef RTML_W8_CMP
  }
#undef RTML_W8_OPERANDS
#undef RTML_W8_BODY
#undef RTML_W8_LANE
  n[0] = n0, n[1] = n1, n[2] = n2, n[3] = n3, n[4] = n4, n[5] = n5, n[6] = n6, n[7] = n7;
#else
  for (int32_t d = 0; d < depth; ++d)
    for (int l = 0; l < 8; ++l) n[l] = step<T, false>(n[l], xb + l * kLaneBytes);
#endif
}

// L rows of a lane group (xg: feature f of lane l at xg[f * kGroup + l], L <= kGroup) through the
// tree rooted at `root`, `depth` steps. One base address for every lane: row pointers would take
// the registers the node pointers need.
template <class T, bool kNaN, int L>
inline void walk_group(const Node<T>* nodes, int32_t root, int32_t depth, const T* xg, int32_t* leaf) {
  const Node<T>* n[L];
  const char* xb = reinterpret_cast<const char*>(xg);
  for (int l = 0; l < L; ++l) n[l] = nodes + root;
  if constexpr (!kNaN && L == 8) {
    walk8<T, sizeof(T)>(n, depth, xb);
  } else {
    for (int32_t d = 0; d < depth; ++d)
      for (int l = 0; l < L; ++l) n[l] = step<T, kNaN>(n[l], xb + l * sizeof(T));
  }
  for (int l = 0; l < L; ++l) leaf[l] = n[l]->aux >> 1;
}

// One row (lane 0 of a group: feature f at xg[f * kGroup]) through L trees (roots[l]), `depth`
// steps (the deepest of the L trees).
template <class T, bool kNaN, int L>
inline void walk_trees(const Node<T>* nodes, const int32_t* roots, int32_t depth, const T* xg, int32_t* leaf) {
  const Node<T>* n[L];
  const char* xb = reinterpret_cast<const char*>(xg);
  for (int l = 0; l < L; ++l) n[l] = nodes + roots[l];
  if constexpr (!kNaN && L == 8) {
    walk8<T, 0>(n, depth, xb);
  } else {
    for (int32_t d = 0; d < depth; ++d)
      for (int l = 0; l < L; ++l) n[l] = step<T, kNaN>(n[l], xb);
  }
  for (int l = 0; l < L; ++l) leaf[l] = n[l]->aux >> 1;
}

// The scalar reference: one row (plain values, feature f at x[f]), one tree, until a leaf (a
// node that jumps to itself), NaN handled on every node.
template <class T>
inline int32_t walk_reference(const Node<T>* nodes, int32_t root, const T* x) {
  int32_t n = root;
  while (!(nodes[n].jrel == 0 && (nodes[n].aux & 1))) {
    const Node<T>& nd = nodes[n];
    const T v = x[nd.feature()];
    const bool go = (v == v && key_of(v) <= nd.thr) || (v != v && (nd.aux & 1));
    n = go ? nd.jump_from(n) : n + 1;
  }
  return nodes[n].aux >> 1;
}

}  // namespace rtml::trees
