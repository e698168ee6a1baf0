#!/usr/bin/env python3
"""Writes an ONNX model with the shape and cost of AdaFace IR-101 (the published export's
layout: BN after each conv folded, BN before it kept, PReLU, [N,3,112,112] -> [N,512])
and random weights: for speed and memory benchmarks only, never for accuracy or parity
(../shared/parity/make_synthetic_onnx.py makes the parity model, but needs torch).

usage: make-ir101-speed-model.py OUT.onnx      (needs: pip install onnx numpy)
"""
import numpy as np, onnx, sys
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng = np.random.default_rng(0)
nodes, inits = [], []
cnt = [0]
def name(p):
    cnt[0] += 1; return f"{p}_{cnt[0]}"
def init(arr, p):
    n = name(p); inits.append(nh.from_array(arr.astype(np.float32), n)); return n
def conv(x, cin, cout, k, s):
    w = init(rng.standard_normal((cout, cin, k, k)) * np.sqrt(1.0 / (cin * k * k)), "w")
    b = init(np.zeros(cout), "b"); y = name("conv")
    nodes.append(h.make_node("Conv", [x, w, b], [y], kernel_shape=[k, k], strides=[s, s], pads=[k // 2] * 4)); return y
def bn(x, c):
    ins = [x] + [init(v, "bn") for v in (np.ones(c), np.zeros(c), np.zeros(c), np.ones(c))]; y = name("bn")
    nodes.append(h.make_node("BatchNormalization", ins, [y], epsilon=1e-5)); return y
def prelu(x, c):
    s = init(np.full((c, 1, 1), 0.25), "slope"); y = name("prelu")
    nodes.append(h.make_node("PRelu", [x, s], [y])); return y
x = prelu(conv("input", 3, 64, 3, 1), 64)
cin = 64
for n, cout in zip([3, 13, 30, 3], [64, 128, 256, 512]):
    for i in range(n):
        s = 2 if i == 0 else 1
        r = conv(prelu(conv(bn(x, cin), cin, cout, 3, 1), cout), cout, cout, 3, s)
        if cin == cout:
            sc = name("pool"); nodes.append(h.make_node("MaxPool", [x], [sc], kernel_shape=[1, 1], strides=[s, s]))
        else:
            sc = conv(x, cin, cout, 1, s)
        y = name("add"); nodes.append(h.make_node("Add", [r, sc], [y])); x = y; cin = cout
x = bn(x, 512)
f = name("flat"); nodes.append(h.make_node("Flatten", [x], [f], axis=1))
w = init(rng.standard_normal((512, 512 * 49)) * np.sqrt(1.0 / (512 * 49)), "fc"); b = init(np.zeros(512), "fcb")
nodes.append(h.make_node("Gemm", [f, w, b], ["embedding"], transB=1))
g = h.make_graph(nodes, "ir101", [h.make_tensor_value_info("input", T.FLOAT, ["batch", 3, 112, 112])],
                 [h.make_tensor_value_info("embedding", T.FLOAT, ["batch", 512])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)]); m.ir_version = 8
onnx.save(m, sys.argv[1]); print("wrote", sys.argv[1])
