// tree_walk.hpp - the inner loops: walk a packed tree (tree_forest.hpp) to its leaves.
//
// Every step of every lane is the same branch-free update
//     n = (x[feat] <= thr) ? jump : n + 1
// (leaves loop on themselves), so L independent lanes advance side by side and their loads
// overlap: rows through one tree (batches) or one row through L trees (a single prediction).
#pragma once

#include <cstdint>

#include "ops/kernels/tree_forest.hpp"

namespace rtml::trees {

// Why 8 lanes: a step is two dependent loads (node, then feature) plus a compare; 8 chains in
// flight keep both load ports busy on current x86 cores without spilling the lane state.
constexpr int kLanes = 8;

// One step. Canonical thresholds are never NaN (tree_build.cc). Compilers turn a plain `c ? a : b` here into a branch, which mispredicts on half of
// the nodes; x86 gets an explicit compare + cmov, other targets a mask select.
template <class T, bool kNaN>
inline const Node<T>* step(const Node<T>* nodes, const Node<T>* p, const T* x) {
  const T v = x[p->feat];
  const Node<T>* j = nodes + p->jump;  // off the critical path: loaded with feat
  const Node<T>* r = p + 1;
  if constexpr (kNaN) {
    const uintptr_t c = (v <= p->thr) | ((v != v) & (p->aux & 1));  // aux bit 0: NaN takes jump
    const uintptr_t a = reinterpret_cast<uintptr_t>(r), b = reinterpret_cast<uintptr_t>(j);
    return reinterpret_cast<const Node<T>*>(a ^ ((a ^ b) & (0 - c)));
  } else {
#if defined(__x86_64__)
    // Flags of v - thr: CF|ZF = v <= thr (no NaN here: inputs were checked, thresholds never are).
    if constexpr (sizeof(T) == 4)
      asm("ucomiss %[t], %[v]\n\tcmovbe %[j], %[r]" : [r] "+r"(r) : [v] "x"(v), [t] "m"(p->thr), [j] "r"(j) : "cc");
    else
      asm("ucomisd %[t], %[v]\n\tcmovbe %[j], %[r]" : [r] "+r"(r) : [v] "x"(v), [t] "m"(p->thr), [j] "r"(j) : "cc");
    return r;
#else
    const uintptr_t c = v <= p->thr;
    const uintptr_t a = reinterpret_cast<uintptr_t>(r), b = reinterpret_cast<uintptr_t>(j);
    return reinterpret_cast<const Node<T>*>(a ^ ((a ^ b) & (0 - c)));
#endif
  }
}

// L rows (xr[l]) through the tree rooted at `root`, `depth` steps; leaf numbers out.
template <class T, bool kNaN, int L>
inline void walk_rows(const Node<T>* nodes, int32_t root, int32_t depth, const T* const* xr, int32_t* leaf) {
  const Node<T>* n[L];
  for (int l = 0; l < L; ++l) n[l] = nodes + root;
  for (int32_t d = 0; d < depth; ++d)
    for (int l = 0; l < L; ++l) n[l] = step<T, kNaN>(nodes, n[l], xr[l]);
  for (int l = 0; l < L; ++l) leaf[l] = n[l]->aux >> 1;
}

// One row through L trees (roots[l]), `depth` steps (the deepest of the L trees).
template <class T, bool kNaN, int L>
inline void walk_trees(const Node<T>* nodes, const int32_t* roots, int32_t depth, const T* x, int32_t* leaf) {
  const Node<T>* n[L];
  for (int l = 0; l < L; ++l) n[l] = nodes + roots[l];
  for (int32_t d = 0; d < depth; ++d)
    for (int l = 0; l < L; ++l) n[l] = step<T, kNaN>(nodes, n[l], x);
  for (int l = 0; l < L; ++l) leaf[l] = n[l]->aux >> 1;
}

// The scalar reference: one row, one tree, until a leaf (a node that jumps to itself), NaN
// handled on every node.
template <class T>
inline int32_t walk_reference(const Node<T>* nodes, int32_t root, const T* x) {
  int32_t n = root;
  while (!(nodes[n].jump == n && (nodes[n].aux & 1))) {
    const Node<T>& nd = nodes[n];
    const T v = x[nd.feat];
    const bool go = v <= nd.thr || (v != v && (nd.aux & 1));
    n = go ? nd.jump : n + 1;
  }
  return nodes[n].aux >> 1;
}

}  // namespace rtml::trees
