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

template <class T, bool kNaN>
inline int32_t step(const Node<T>* nodes, int32_t n, const T* x) {
  const Node<T>& nd = nodes[n];
  const T v = x[nd.feat];
  int32_t c = v <= nd.thr;
  if constexpr (kNaN) c |= (v != v) & nd.aux;  // aux bit 0: NaN takes jump
  const int32_t next = n + 1;
  return next + ((nd.jump - next) & -(c & 1));
}

// L rows (x + l * stride) through the tree rooted at `root`, `depth` steps; leaf numbers out.
template <class T, bool kNaN, int L>
inline void walk_rows(const Node<T>* nodes, int32_t root, int32_t depth, const T* const* xr, int32_t* leaf) {
  int32_t n[L];
  for (int l = 0; l < L; ++l) n[l] = root;
  for (int32_t d = 0; d < depth; ++d)
    for (int l = 0; l < L; ++l) n[l] = step<T, kNaN>(nodes, n[l], xr[l]);
  for (int l = 0; l < L; ++l) leaf[l] = nodes[n[l]].aux >> 1;
}

// One row through L trees (roots[l]), `depth` steps (the deepest of the L trees).
template <class T, bool kNaN, int L>
inline void walk_trees(const Node<T>* nodes, const int32_t* roots, int32_t depth, const T* x, int32_t* leaf) {
  int32_t n[L];
  for (int l = 0; l < L; ++l) n[l] = roots[l];
  for (int32_t d = 0; d < depth; ++d)
    for (int l = 0; l < L; ++l) n[l] = step<T, kNaN>(nodes, n[l], x);
  for (int l = 0; l < L; ++l) leaf[l] = nodes[n[l]].aux >> 1;
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
