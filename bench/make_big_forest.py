#!/usr/bin/python3
"""A large random forest for the load-time benchmark (issue 3: a 500-tree, depth-12 forest of
about 1.5 million nodes loads in at most 0.5 s). Writes DIR/model.onnx (TreeEnsembleRegressor,
ai.onnx.ml opset 3, float thresholds) and DIR/test_data_set_0 (one batch of inputs), so that
`rtml bench` and the peer's `ort_bench` both take the folder.

  bench/make_big_forest.py /tmp/rtml-bench/big_forest [--trees 500] [--depth 12] [--nodes 1500000]
"""
import argparse, os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--trees", type=int, default=500)
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--nodes", type=int, default=1_500_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    per_tree = a.nodes // a.trees
    # Each tree: grow breadth-first, splitting random open leaves until per_tree nodes or the
    # depth limit; node ids in creation order.
    tids, nids, feats, vals, modes, tch, fch = [], [], [], [], [], [], []
    ttids, tnids, tw = [], [], []
    for t in range(a.trees):
        depth = [0]
        kids = [None]
        open_ = [0]
        n = 1
        while n + 2 <= per_tree and open_:
            i = open_.pop(int(rng.integers(len(open_))))
            if depth[i] >= a.depth:
                continue
            kids[i] = (n, n + 1)
            depth += [depth[i] + 1] * 2
            kids += [None, None]
            open_ += [n, n + 1]
            n += 2
        f = rng.integers(0, a.features, n)
        v = rng.standard_normal(n).astype(np.float32)
        for i in range(n):
            tids.append(t); nids.append(i)
            if kids[i] is None:
                modes.append("LEAF"); feats.append(0); vals.append(0.0); tch.append(0); fch.append(0)
                ttids.append(t); tnids.append(i); tw.append(float(v[i]))
            else:
                modes.append("BRANCH_LEQ"); feats.append(int(f[i])); vals.append(float(v[i]))
                tch.append(kids[i][0]); fch.append(kids[i][1])
    node = helper.make_node(
        "TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1, aggregate_function="SUM",
        nodes_treeids=tids, nodes_nodeids=nids, nodes_featureids=feats, nodes_values=vals, nodes_modes=modes,
        nodes_truenodeids=tch, nodes_falsenodeids=fch, nodes_hitrates=[1.0] * len(tids),
        nodes_missing_value_tracks_true=[0] * len(tids),
        target_treeids=ttids, target_nodeids=tnids, target_ids=[0] * len(ttids), target_weights=tw)
    g = helper.make_graph([node], "big_forest",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, a.features])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    m.ir_version = 8
    os.makedirs(os.path.join(a.dir, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(a.dir, "model.onnx"))
    x = rng.standard_normal((16, a.features)).astype(np.float32)
    with open(os.path.join(a.dir, "test_data_set_0", "input_0.pb"), "wb") as fh:
        fh.write(numpy_helper.from_array(x, "X").SerializeToString())
    print(f"{a.dir}: {len(tids)} nodes, {a.trees} trees, {os.path.getsize(os.path.join(a.dir, 'model.onnx')) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
