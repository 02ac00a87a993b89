#!/usr/bin/python3
"""Writes the one-node Add model on a 1x16 float input (the fixed cost of one run) into DIR in
backend-test layout, for bench/peer_compare.py. Nothing is committed: run it into /tmp.
  /usr/bin/python3 bench/make_add_model.py /tmp/rtml-bench/add_1x16
"""
import os, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["c"])], "add",
                      [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 16]),
                       helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 16])],
                      [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["N", 16])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
m.ir_version = 8
onnx.save(m, os.path.join(out, "model.onnx"))
a = np.arange(16, dtype=np.float32).reshape(1, 16)
b = np.full((1, 16), 0.5, dtype=np.float32)
for name, arr, fn in [("a", a, "input_0.pb"), ("b", b, "input_1.pb"), ("c", a + b, "output_0.pb")]:
    with open(os.path.join(out, "test_data_set_0", fn), "wb") as f:
        f.write(numpy_helper.from_array(arr, name).SerializeToString())
