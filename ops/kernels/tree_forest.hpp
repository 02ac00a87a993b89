// tree_forest.hpp - the one internal form of TreeEnsembleClassifier, TreeEnsembleRegressor and
// TreeEnsemble (ai.onnx.ml): a packed forest, how it is built from the operators' attributes,
// and the evaluation entry points (ops/kernels/tree_eval.cc).
//
// Every operator first fills a TreeGraph (node indices, modes, thresholds, children, weights: the
// operators' attributes with ids resolved), then build_forest() canonicalises it into Forest<T>:
//
//   Forest<T>::nodes : one array of Node<T> {thr, xoff, jrel, aux} (16 bytes for float), all trees
//                      one after another, each tree in depth-first order. Every node is the same
//                      test:  go = (x[feat] <= thr) ? jump : this + 1   ("false child next"),
//                      with the feature stored as its byte offset in a lane group (kGroup rows
//                      feature-major, tree_eval.cc) and the jump as a byte distance from the node,
//                      so a step is a handful of instructions with no index arithmetic.
//                      Every ONNX mode is rewritten into it: LT/GTE use the next float below the
//                      threshold, GT/GTE swap the children, EQ/NEQ become two nodes sharing a
//                      subtree, BRANCH_MEMBER a chain of such pairs; a test that can never hold
//                      becomes x <= +inf towards the false child, so no threshold is NaN.
//                      NaN inputs take `jump` iff aux bit 0 is set (the kernel that handles NaN
//                      reads it; blocks of rows without NaN run the kernel that does not).
//                      Thresholds are stored as integer keys (key_of below).
//                      A leaf is a node that loops on itself: thr = key(+inf), jrel = 0,
//                      aux bit 0 = 1, aux >> 1 = leaf number. So a tree is walked by exactly
//                      `depth` steps with no test for leaves, and several rows (or trees) walk
//                      side by side without branches.
//   tree_begin[t]   : index of tree t's root; tree_depth[t]: the steps that reach every leaf.
//   leaves          : leaf number l -> single-value forests: leaf_value[l]; one weight per leaf
//                     (gradient boosting's one class per tree): (leaf_target[l], leaf_value[l]);
//                     otherwise weights w_begin[l] .. w_begin[l+1] into (w_target, w_value).
//
// Two more forms of float forests serve batches where the host has AVX-512: QsForm (QuickScorer,
// trees of at most 64 leaves) and LevelForm (each tree padded to a complete tree of depth <= 10,
// walked level by level for 16 rows at once). build_levels estimates the three kernels' costs
// from measured per-tree figures and marks the form Path::Auto should take.
//
// Comparisons happen in T (float or double, as ONNX Runtime does: float thresholds for float and
// integer inputs, double thresholds for double inputs; integers are converted to T first).
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace rtml::trees {

enum class Mode : uint8_t { Leq = 0, Lt = 1, Gte = 2, Gt = 3, Eq = 4, Neq = 5, Member = 6, Leaf = 7 };
enum class Agg : uint8_t { Average = 0, Sum = 1, Min = 2, Max = 3 };
enum class Post : uint8_t { None = 0, Logistic = 1, Softmax = 2, SoftmaxZero = 3, Probit = 4 };
// How scores are finalised: a regressor (TreeEnsembleRegressor / TreeEnsemble) or a classifier.
enum class Kind : uint8_t { Regressor = 0, Classifier = 1 };

// The operators' attributes with node ids resolved to indices (filled by ops/tree_attrs.cc).
struct TreeGraph {
  std::vector<uint8_t> mode;       // Mode per node
  std::vector<int64_t> feature;
  std::vector<double> value;       // threshold (exact for float thresholds)
  std::vector<int32_t> tchild, fchild;  // node indices (branches only)
  std::vector<uint8_t> missing_true;    // empty or one per node
  std::vector<int32_t> member_begin;    // Member nodes: values member_begin[i] .. member_begin[i+1]
  std::vector<double> members;
  std::vector<int32_t> w_begin;    // per node (n + 1): weights of node i are w_begin[i] .. w_begin[i+1]
  std::vector<int32_t> w_target;
  std::vector<double> w_value;
  std::vector<int32_t> roots;      // one per tree, in tree order
  size_t size() const { return mode.size(); }
};

// Lanes of the walk (tree_walk.hpp: one node pointer per lane in a register) and rows per lane
// group of a batch.
constexpr int kWalkLanes = 12;
constexpr int kGroup = kWalkLanes;
// Rows per block of the QuickScorer kernel (tree_qs.cc: one 512-bit vector of int32 keys).
constexpr int kQsRows = 16;
// Batch blocks are a multiple of both row groups.
constexpr int kBlockRows = 48;

// QuickScorer form of a float forest whose trees are proper trees of at most 64 leaves
// (tree_qs.cc; Lucchese et al., "QuickScorer", SIGIR 2015). A branch node whose test holds
// (x <= thr: the walk jumps) rules out every leaf of its fall-through subtree; the leaves of a
// tree are numbered in depth-first order, so after every node of every feature has been applied
// to a tree's 64-bit leaf set, the exit leaf is the lowest bit left. Per feature, nodes are sorted
// by threshold, largest first: for a row, the nodes whose test holds are a prefix of that list.
struct QsForm {
  bool ok = false;
  bool prefer = false;              // faster than the walk (Path::Auto takes it)
  std::vector<int32_t> begin;       // n_features + 1: nodes of feature f are begin[f] .. begin[f+1]
  std::vector<int32_t> thr;         // threshold keys, descending within a feature
  std::vector<int32_t> tree;        // the node's tree
  std::vector<uint64_t> keep;       // leaves of its tree still possible when the test holds
  bool narrow = false;              // every tree has at most 32 leaves: keep32 (the vector kernel)
  std::vector<uint32_t> keep32;
  std::vector<int32_t> first_leaf;  // per tree: leaf number of its bit 0
};

// Comparisons run on integer keys: key(a) <= key(b) exactly when a <= b for non-NaN a, b (the
// bits with the magnitude flipped for negatives, -0 read as +0), and every NaN is the largest key,
// above key(+inf), so it never passes a test by itself. An integer load and compare is several
// cycles shorter than a floating-point one on the walk's dependent chain.
template <class T>
using Key = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

// The bits of +inf as a key: magnitudes above it are NaN.
template <class T>
constexpr Key<T> kInfBits = sizeof(T) == 4 ? Key<T>(0x7f800000) : Key<T>(0x7ff0000000000000LL);

// Integer operations only, so that loops over it vectorise.
template <class T>
inline Key<T> key_of(T v) {
  using K = Key<T>;
  constexpr K kMax = std::numeric_limits<K>::max();
  K b;
  std::memcpy(&b, &v, sizeof b);
  const K mag = b & kMax;
  K k = b ^ ((b >> (8 * sizeof(K) - 1)) & kMax);
  k = mag == 0 ? K(0) : k;          // -0 reads as +0
  return mag > kInfBits<T> ? kMax : k;  // NaN: the largest key
}

// Level-table form of a float forest of shallow trees (tree_levels.cc): each tree padded to the
// complete binary tree of its depth D and stored level by level, so that a row's position in a
// level is a number i < 2^L and a step is  i = 2i + (x[feat[i]] > thr[i])  with no pointers.
// 16 rows walk one tree side by side in a 512-bit vector: node tables of up to 128 entries are
// read with permutes from registers, larger ones and the row values with gathers.
// A leaf above depth D is padded with nodes that always go left (thr = the NaN key) and its value
// repeated in every slot below it. Per tree, in int32 words, each block a multiple of 16:
//   for L in 0 .. D-1: thr[P_L], xo[P_L]   (P_L = max(16, 2^L); xo = feature * 16)
//   leaves[max(16, 2^D)]                   (float bits of the value when `values`, else leaf number)
struct LevelForm {
  bool ok = false;
  bool prefer = false;              // Path::Auto takes it (on hosts with AVX-512)
  bool values = false;              // leaves hold values, not leaf numbers: every leaf has one
                                    // weight and the leaves of a tree share its target
  std::vector<int32_t> target;      // values: per tree, the target of its leaves
  std::vector<int32_t> depth;       // per tree
  std::vector<int64_t> begin;       // per tree: offset of its tables in `data`
  std::vector<int32_t> data;
};
constexpr int32_t kLevelsMaxDepth = 10;

template <class T>
struct Node {
  Key<T> thr;    // key_of(threshold); never the NaN key
  int32_t xoff;  // the feature as a byte offset in a lane group: feature * kGroup * sizeof(T)
  int32_t jrel;  // byte distance from this node to its jump target (0: a leaf)
  int32_t aux;   // bit 0: NaN takes the jump; leaves: leaf number << 1 | 1
  int32_t feature() const { return xoff / static_cast<int32_t>(kGroup * sizeof(T)); }
  int32_t jump_from(int32_t self) const { return self + jrel / static_cast<int32_t>(sizeof(Node)); }
};

struct ForestInfo {
  Kind kind = Kind::Regressor;
  Agg agg = Agg::Sum;
  Post post = Post::None;
  int32_t n_targets = 1;           // targets or classes
  std::vector<double> base;        // base_values
  // classifiers
  bool binary_case = false;        // two classes, weights for one class only
  bool weights_all_positive = true;
  // ONNX Runtime's class_labels_: classlabels_int64s, or 0..n-1 for string labels (the kernel
  // maps them to strings). The label finalize_row returns is one of these or a literal 0/1.
  std::vector<int64_t> labels;
};

template <class T>
struct Forest {
  ForestInfo info;
  std::vector<Node<T>> nodes;
  std::vector<int32_t> tree_begin;   // n_trees
  std::vector<int32_t> tree_depth;   // n_trees
  int64_t total_depth = 0;           // sum of tree_depth: steps per row
  int32_t n_features = 0;            // max feature id + 1 (0 when no branch)
  // leaves
  bool single = false;               // one value per leaf, all for target `single_target`
  int32_t single_target = 0;
  bool one_weight = false;           // every leaf has exactly one weight (single implies it)
  std::vector<T> leaf_value;         // single or one_weight: the leaf's value
  std::vector<int32_t> leaf_target;  // one_weight: the leaf's target
  std::vector<int32_t> w_begin;      // !single: n_leaves + 1
  std::vector<int32_t> w_target;
  std::vector<T> w_value;
  std::vector<T> base;               // info.base in T
  QsForm qs;                         // float forests of small trees (tree_qs.cc)
  LevelForm levels;                  // float forests of shallow trees (tree_levels.cc)
  int32_t n_trees() const { return static_cast<int32_t>(tree_begin.size()); }
};

// Canonicalises `g` into `out`. Returns "" or the reason the graph is malformed (a child index out
// of range, a cycle, a target out of range...).
template <class T>
std::string build_forest(const TreeGraph& g, const ForestInfo& info, Forest<T>* out);

// Fills f->qs when the forest qualifies (float, proper trees, <= 64 leaves each).
template <class T>
void build_qs(Forest<T>* f);

// Fills f->levels when the forest qualifies (float, every tree at most kLevelsMaxDepth deep).
template <class T>
void build_levels(Forest<T>* f);

// ---- evaluation (ops/kernels/tree_eval.cc) ---------------------------------------------------

// Per-row scores before finalisation: score[k] and has[k] (k < n_targets), as ONNX Runtime's
// ScoreValue {score, has_score}.
template <class T>
struct RowScores {
  T* score;
  uint8_t* has;
};

// Which traversal runs; Auto picks the fastest, the others exist for tests and benchmarks.
// QuickScorer needs f.qs.ok and every tree (else it walks); it runs the vector kernel where the
// host has AVX-512 and the scalar form of the same algorithm otherwise.
enum class Path : uint8_t { Auto, Reference, Interleaved, QuickScorer, Levels };

// The level-table kernel (tree_levels.cc) has its vector form on this host (AVX-512).
bool levels_available();
// Tree t of the level form for `groups` groups of 16 rows, group g's keys at xk + g * F * 16
// (feature c of row r at [c * 16 + r]), no NaN among them. With acc: acc[g * 16 + r] += the
// leaf's value (lf.values); else out[g * 16 + r] = the leaf's table entry.
void levels_tree16(const LevelForm& lf, int32_t t, const int32_t* xk, int32_t F, int64_t groups, float* acc,
                   int32_t* out);
// The scalar form, whatever the host (what levels_tree16 runs without AVX-512).
void levels_tree16_scalar(const LevelForm& lf, int32_t t, const int32_t* xk, int32_t F, int64_t groups, float* acc,
                          int32_t* out);

// The QuickScorer kernel (tree_qs.cc) has its vector form on this host.
bool qs_available();
// Exit leaves of 16 rows: xk holds their keys, feature c of row r at xk[c * 16 + r]; bv is
// scratch of n_trees * 16 words; leaves[t * 16 + r] receives the leaf number.
void qs_leaves16(const QsForm& q, int32_t n_features, int32_t n_trees, const int32_t* xk, uint64_t* bv, int32_t* leaves);
// out[i] = key_of(x[i]) for i < n (vectorised where the host has AVX-512); returns whether an x
// is NaN.
bool float_keys(const float* x, int32_t n, int32_t* out);
// Rows [0, n) of x (row-major, `stride` floats a row) as keys in groups of L rows (the walk's 12,
// the vector kernels' 16): group g's feature c of row r at out[g * F * L + c * L + r], the last
// row repeated to fill the last group. L = 16 is a transpose in registers where the host has
// AVX-512; otherwise each row's keys are computed at once and spread. Returns whether an x is NaN.
bool group_keys(const float* x, int64_t n, int64_t stride, int32_t F, int32_t L, int32_t* out);
// acc[r] += value[leaves[t * 16 + r]] for every tree t in order (single-target sums).
void qs_sum16(const int32_t* leaves, int32_t n_trees, const float* value, float* acc);
// The scalar form, whatever the host (what qs_leaves16 runs without AVX-512).
void qs_leaves16_scalar(const QsForm& q, int32_t n_features, int32_t n_trees, const int32_t* xk, uint64_t* bv,
                        int32_t* leaves);

// Elements of T the batch path needs as `work` for n rows (the rows regrouped lane by lane).
template <class T>
int64_t work_elems(const Forest<T>& f, int64_t n);

// Adds trees [t0, t1) for rows [0, n) of x (row-major, `stride` elements per row, already in T)
// into scores (n rows of n_targets). Scores must start zeroed (score 0, has 0). `work` holds
// work_elems(f, n) elements (64-byte aligned is best); without it the scalar reference runs.
template <class T>
void accumulate(const Forest<T>& f, const T* x, int64_t n, int64_t stride, int32_t t0, int32_t t1,
                T* score, uint8_t* has, T* work, Path path = Path::Auto);

// Merges partial scores b into a (same forest, one row), as ONNX Runtime merges per-thread scores.
template <class T>
void merge_scores(const Forest<T>& f, T* a_score, uint8_t* a_has, const T* b_score, const uint8_t* b_has);

// ONNX Runtime's finalisation of one row: base values, averaging, post transform, the binary
// classifier cases. Writes n_targets values to z and, for classifiers, the label into *label
// (a value of info.labels, or ONNX Runtime's literal 0/1 for two classes with weights on both).
// score/has are modified.
template <class T, class Out>
void finalize_row(const Forest<T>& f, T* score, uint8_t* has, Out* z, int64_t* label);

}  // namespace rtml::trees
