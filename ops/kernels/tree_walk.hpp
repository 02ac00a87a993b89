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

// Trees walked side by side for one row (as many as the lanes of a row group, walk_lanes).
constexpr int kLanes = kWalkLanes;

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

// `depth` steps of kWalkLanes lanes n[] without NaN; lane l reads its keys at xb + l * kLaneBytes.
// On x86-64 one asm loop: compiled from C++, the lane pointers, the base and the counter leave
// GCC short of registers, and a spilled pointer puts a store-to-load round trip on that lane's
// dependent chain (measured 1.6x slower with 8 lanes). A lane step is 7 instructions on one
// temporary: a = xoff; a = key; compare with thr; a = jrel; a = n + a; n += sizeof(Node);
// n = a if key <= thr (lea and mov leave the flags alone). Twelve lanes: the chain of a step is
// about 18 cycles here, so eight lanes left the core waiting; twelve plus the base and the
// temporary fill the fifteen usable registers (the counter lives in memory, off the chains).
// Sanitizer builds take the C++ loop, whose memory accesses they can check.
template <class T, int kLaneBytes>
inline void walk_lanes(const Node<T>** n, int32_t depth, const char* xb) {
  if (depth <= 0) return;
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(RTML_TREE_NO_ASM)
  static_assert(kWalkLanes == 12, "the asm below is written for twelve lanes");
  static_assert(offsetof(Node<T>, thr) == 0);
  const Node<T>* n0 = n[0], *n1 = n[1], *n2 = n[2], *n3 = n[3], *n4 = n[4], *n5 = n[5], *n6 = n[6], *n7 = n[7], *n8 = n[8], *n9 = n[9], *n10 = n[10], *n11 = n[11];
  uint64_t a;
  int64_t cnt = depth;
  // Offsets are literals (an asm takes at most 30 operands); the static_asserts pin them.
#define RTML_WL_LANE(N, XO, JR, SZ, LB, MOV, CMP, A)                     \
  "movslq " XO "(%[n" #N "]), %[a]\n\t"                                  \
  MOV " " LB "*" #N "(%[xb],%[a]), " A "\n\t"                            \
  CMP " (%[n" #N "]), " A "\n\t"                                         \
  "movslq " JR "(%[n" #N "]), %[a]\n\t"                                  \
  "lea (%[n" #N "],%[a]), %[a]\n\t"                                      \
  "lea " SZ "(%[n" #N "]), %[n" #N "]\n\t"                               \
  "cmovle %[a], %[n" #N "]\n\t"
#define RTML_WL_ASM(...)                                                                          \
  asm volatile("1:\n\t" RTML_WL_LANE(0, __VA_ARGS__) RTML_WL_LANE(1, __VA_ARGS__)                 \
               RTML_WL_LANE(2, __VA_ARGS__) RTML_WL_LANE(3, __VA_ARGS__) RTML_WL_LANE(4, __VA_ARGS__) \
               RTML_WL_LANE(5, __VA_ARGS__) RTML_WL_LANE(6, __VA_ARGS__) RTML_WL_LANE(7, __VA_ARGS__) \
               RTML_WL_LANE(8, __VA_ARGS__) RTML_WL_LANE(9, __VA_ARGS__) RTML_WL_LANE(10, __VA_ARGS__) \
               RTML_WL_LANE(11, __VA_ARGS__) "decq %[cnt]\n\tjnz 1b\n\t"                          \
               : [n0] "+r"(n0), [n1] "+r"(n1), [n2] "+r"(n2), [n3] "+r"(n3), [n4] "+r"(n4), [n5] "+r"(n5), [n6] "+r"(n6), [n7] "+r"(n7), [n8] "+r"(n8), [n9] "+r"(n9), [n10] "+r"(n10), [n11] "+r"(n11),    \
                 [a] "=&r"(a), [cnt] "+m"(cnt)                                                    \
               : [xb] "r"(xb)                                                                     \
               : "cc", "memory")
  if constexpr (sizeof(Key<T>) == 4) {
    static_assert(offsetof(Node<T>, xoff) == 4 && offsetof(Node<T>, jrel) == 8 && sizeof(Node<T>) == 16);
    if constexpr (kLaneBytes == 4) RTML_WL_ASM("4", "8", "16", "4", "movl", "cmpl", "%k[a]");
    else RTML_WL_ASM("4", "8", "16", "0", "movl", "cmpl", "%k[a]");
  } else {
    static_assert(offsetof(Node<T>, xoff) == 8 && offsetof(Node<T>, jrel) == 12 && sizeof(Node<T>) == 24);
    if constexpr (kLaneBytes == 8) RTML_WL_ASM("8", "12", "24", "8", "movq", "cmpq", "%[a]");
    else RTML_WL_ASM("8", "12", "24", "0", "movq", "cmpq", "%[a]");
  }
  static_assert(kLaneBytes == 0 || kLaneBytes == sizeof(T));
#undef RTML_WL_ASM
#undef RTML_WL_LANE
  n[0] = n0, n[1] = n1, n[2] = n2, n[3] = n3, n[4] = n4, n[5] = n5, n[6] = n6, n[7] = n7, n[8] = n8, n[9] = n9, n[10] = n10, n[11] = n11;
#else
  for (int32_t d = 0; d < depth; ++d)
    for (int l = 0; l < kWalkLanes; ++l) n[l] = step<T, false>(n[l], xb + l * kLaneBytes);
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
  if constexpr (!kNaN && L == kWalkLanes) {
    walk_lanes<T, sizeof(T)>(n, depth, xb);
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
  if constexpr (!kNaN && L == kWalkLanes) {
    walk_lanes<T, 0>(n, depth, xb);
  } else {
    for (int32_t d = 0; d < depth; ++d) {
      for (int l = 0; l < L; ++l) n[l] = step<T, kNaN>(n[l], xb);
      // Every fourth step: stop once every lane sits on a leaf. Measured on hgb_cls_nan (rows
      // with NaN, trees up to 17 deep, a row's paths much shorter): batch 1 1.79 -> 1.43 us. The
      // same test in the NaN-free asm walk and in the batch walk gained nothing and was left out.
      if ((d & 3) == 3) {
        bool all_leaves = true;
        for (int l = 0; l < L; ++l) all_leaves &= n[l]->jrel == 0;
        if (all_leaves) break;
      }
    }
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
