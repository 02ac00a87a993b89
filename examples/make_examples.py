#!/usr/bin/python3
"""Writes rtml's bundled example model with Debian's python3-onnx and python3-numpy:

  examples/churn/model.onnx               StandardScaler > LogisticRegression, as skl2onnx spells it
                                          (ai.onnx.ml Scaler + LinearClassifier + Normalizer)
  examples/churn/test_data_set_0/         5 rows in, the label and probabilities numpy computes

The classifier is trained here with plain numpy gradient descent on synthetic churn data
(seeded, so the file is the same every time):
  features: tenure_months, monthly_charges, support_calls, contract_months
Run: /usr/bin/python3 examples/make_examples.py
"""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)

n = 2000
tenure = rng.integers(0, 72, n).astype(np.float64)
charges = rng.uniform(20, 120, n)
calls = rng.poisson(1.5, n).astype(np.float64)
contract = rng.choice([1.0, 12.0, 24.0], n)
X = np.stack([tenure, charges, calls, contract], axis=1)
logit = -0.04 * tenure + 0.025 * charges + 0.6 * calls - 0.08 * contract - 1.0
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(np.int64)

mean, std = X.mean(axis=0), X.std(axis=0)
Z = (X - mean) / std
w, b = np.zeros(4), 0.0
for _ in range(3000):
    p = 1 / (1 + np.exp(-(Z @ w + b)))
    w -= 0.5 * Z.T @ (p - y) / n
    b -= 0.5 * np.mean(p - y)

# skl2onnx's binary LogisticRegression: coefficients for class 1 only, LOGISTIC post transform,
# then a Normalizer (L1) over [1-p, p].
scaler = helper.make_node("Scaler", ["features"], ["scaled"], domain="ai.onnx.ml",
                          offset=mean.astype(np.float32).tolist(), scale=(1 / std).astype(np.float32).tolist())
linear = helper.make_node("LinearClassifier", ["scaled"], ["label", "raw_probs"], domain="ai.onnx.ml",
                          classlabels_ints=[0, 1], coefficients=w.astype(np.float32).tolist(),
                          intercepts=[float(np.float32(b))], multi_class=0, post_transform="LOGISTIC")
norm = helper.make_node("Normalizer", ["raw_probs"], ["probabilities"], domain="ai.onnx.ml", norm="L1")
graph = helper.make_graph(
    [scaler, linear, norm], "churn",
    [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
     helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])])
model = helper.make_model(graph, producer_name="rtml-examples", opset_imports=[
    helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 1)])
model.ir_version = 8
onnx.checker.check_model(model)

out = os.path.join(HERE, "churn")
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))

rows = np.array([[2, 95.0, 4, 1], [60, 30.0, 0, 24], [12, 70.0, 1, 12], [36, 110.0, 3, 1], [5, 25.0, 0, 12]],
                dtype=np.float32)
zs = (rows.astype(np.float32) - mean.astype(np.float32)) * (1 / std).astype(np.float32)
p1 = 1 / (1 + np.exp(-(zs @ w.astype(np.float32) + np.float32(b))))
probs = np.stack([1 - p1, p1], axis=1).astype(np.float32)
probs /= probs.sum(axis=1, keepdims=True)
labels = (p1 > 0.5).astype(np.int64)
for name, arr, fn in [("features", rows, "input_0.pb"), ("label", labels, "output_0.pb"),
                      ("probabilities", probs, "output_1.pb")]:
    with open(os.path.join(out, "test_data_set_0", fn), "wb") as f:
        f.write(numpy_helper.from_array(arr, name).SerializeToString())
print("wrote", os.path.join(out, "model.onnx"), "weights", w, "bias", b)
