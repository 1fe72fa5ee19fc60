"""Writes the control-flow fixtures of tests/cpp/control_flow_test.cc (run from the repo root with
the dev venv: .venv-dev/bin/python tests/data/control_flow/make_fixtures.py).

Built with onnx.helper (opset 17, weights random multiples of 1/64), checked by onnx.checker and
run by ONNX Runtime (1.30.0) at batch 2, seq 5 for the output shapes in expected.json. x is
float[batch, 64] (scan.onnx: float[batch, seq, 64]); W1 [64, 32], W2 [64, 64], W [64, 64].
  if_const.onnx    If on a Constant true: then_branch x·W1 ([B, 32]); else_branch (x·W2)·W1.
                   Both branches read x, W1 and W2 from the main graph.
  if_dynamic.onnx  the same If on ReduceSum(x) > 0: unknown at analysis time.
  loop.onnx        Loop, M = Squeeze(Shape(steps_like)): the bound dim seq of input steps_like;
                   carried h [B, 64]; body: an If on (iteration_num < 2) whose then_branch is
                   Tanh(h·W) and else_branch Relu(h·W) — W two scopes out; scan output h per
                   iteration: [seq, B, 64].
  loop_input.onnx  the same Loop with M a graph input (int64 scalar `steps`): a data-dependent
                   trip count (ONNX Runtime run with steps = 3).
  scan.onnx        Scan over x [B, seq, 64] along axis 1: state h [B, 64], h' = Tanh(h·W + x_t),
                   scan output axis 1: [B, seq, 64].
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, SEQ, STEPS = 2, 5, 3
rng = np.random.default_rng(0)
F = TensorProto.FLOAT


def out(name):
    return os.path.join(HERE, name)


def weight(name, shape):
    return numpy_helper.from_array((rng.integers(-8, 9, shape) / 64).astype(np.float32), name)


def save(graph, name):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, out(name))


def branches():
    then_g = helper.make_graph([helper.make_node("MatMul", ["x", "W1"], ["t"], name="then_mm")],
                               "then_branch", [], [helper.make_tensor_value_info("t", F, None)])
    else_g = helper.make_graph([helper.make_node("MatMul", ["x", "W2"], ["e1"], name="else_mm1"),
                                helper.make_node("MatMul", ["e1", "W1"], ["e"], name="else_mm2")],
                               "else_branch", [], [helper.make_tensor_value_info("e", F, None)])
    return then_g, else_g


def if_model(name, condition_nodes):
    then_g, else_g = branches()
    nodes = condition_nodes + [helper.make_node("If", ["cond"], ["y"], name="choose",
                                                then_branch=then_g, else_branch=else_g)]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F, ["batch", 64])],
                          [helper.make_tensor_value_info("y", F, ["batch", 32])],
                          [weight("W1", [64, 32]), weight("W2", [64, 64])])
    save(g, name + ".onnx")


def loop_body():
    two = numpy_helper.from_array(np.array(2, dtype=np.int64), "two")
    then_g = helper.make_graph([helper.make_node("MatMul", ["h_in", "W"], ["tm"]),
                                helper.make_node("Tanh", ["tm"], ["ty"])],
                               "then_branch", [], [helper.make_tensor_value_info("ty", F, None)])
    else_g = helper.make_graph([helper.make_node("MatMul", ["h_in", "W"], ["em"]),
                                helper.make_node("Relu", ["em"], ["ey"])],
                               "else_branch", [], [helper.make_tensor_value_info("ey", F, None)])
    nodes = [helper.make_node("Less", ["i", "two"], ["early"]),
             helper.make_node("If", ["early"], ["h_out"], name="step", then_branch=then_g,
                              else_branch=else_g),
             helper.make_node("Identity", ["cond_in"], ["cond_out"]),
             helper.make_node("Identity", ["h_out"], ["h_scan"])]
    return helper.make_graph(
        nodes, "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h_in", F, ["batch", 64])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h_out", F, None),
         helper.make_tensor_value_info("h_scan", F, None)],
        [two])


def loop_model(name, trip_input):
    inputs = [helper.make_tensor_value_info("x", F, ["batch", 64])]
    nodes = []
    if trip_input:
        inputs.append(helper.make_tensor_value_info("steps", TensorProto.INT64, []))
        m = "steps"
    else:
        inputs.append(helper.make_tensor_value_info("steps_like", F, ["seq"]))
        nodes += [helper.make_node("Shape", ["steps_like"], ["len"]),
                  helper.make_node("Squeeze", ["len"], ["m"])]
        m = "m"
    nodes += [helper.make_node("Constant", [], ["true"], value=numpy_helper.from_array(np.array(True))),
              helper.make_node("Loop", [m, "true", "x"], ["h_final", "h_all"], name="rnn",
                               body=loop_body())]
    g = helper.make_graph(nodes, name, inputs,
                          [helper.make_tensor_value_info("h_final", F, ["batch", 64]),
                           helper.make_tensor_value_info("h_all", F, ["trips", "batch", 64])],
                          [weight("W", [64, 64])])
    save(g, name + ".onnx")


def scan_model():
    body = helper.make_graph(
        [helper.make_node("MatMul", ["h_in", "W"], ["hw"]),
         helper.make_node("Add", ["hw", "x_t"], ["s"]),
         helper.make_node("Tanh", ["s"], ["h_out"]),
         helper.make_node("Identity", ["h_out"], ["y_t"])],
        "body",
        [helper.make_tensor_value_info("h_in", F, ["batch", 64]),
         helper.make_tensor_value_info("x_t", F, ["batch", 64])],
        [helper.make_tensor_value_info("h_out", F, None), helper.make_tensor_value_info("y_t", F, None)])
    nodes = [helper.make_node("Scan", ["h0", "x"], ["h_final", "y"], name="scan", body=body,
                              num_scan_inputs=1, scan_input_axes=[1], scan_output_axes=[1])]
    g = helper.make_graph(nodes, "scan",
                          [helper.make_tensor_value_info("h0", F, ["batch", 64]),
                           helper.make_tensor_value_info("x", F, ["batch", "seq", 64])],
                          [helper.make_tensor_value_info("h_final", F, ["batch", 64]),
                           helper.make_tensor_value_info("y", F, ["batch", "seq", 64])],
                          [weight("W", [64, 64])])
    save(g, "scan.onnx")


def expected(name):
    sess = ort.InferenceSession(out(name), providers=["CPUExecutionProvider"])
    feeds = {}
    for i in sess.get_inputs():
        if i.name == "steps":
            feeds[i.name] = np.array(STEPS, dtype=np.int64)
            continue
        shape = [BATCH if d == "batch" else SEQ if d == "seq" else d for d in i.shape]
        feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    results = sess.run(None, feeds)
    return {o.name: list(r.shape) for o, r in zip(sess.get_outputs(), results)}


if __name__ == "__main__":
    true = numpy_helper.from_array(np.array(True))
    if_model("if_const", [helper.make_node("Constant", [], ["cond"], value=true)])
    if_model("if_dynamic", [helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0),
                            helper.make_node("Constant", [], ["zero"],
                                             value=numpy_helper.from_array(np.array(0, np.float32))),
                            helper.make_node("Greater", ["total", "zero"], ["cond"])])
    loop_model("loop", False)
    loop_model("loop_input", True)
    scan_model()
    table = {f: {"dims": {"batch": BATCH, "seq": SEQ}, "outputs": expected(f)}
             for f in ["if_const.onnx", "if_dynamic.onnx", "loop.onnx", "loop_input.onnx",
                       "scan.onnx"]}
    table["loop_input.onnx"]["steps"] = STEPS
    with open(out("expected.json"), "w") as fp:
        json.dump(table, fp, indent=1, sort_keys=True)
        fp.write("\n")
    for f in sorted(table):
        print(f, os.path.getsize(out(f)), table[f]["outputs"])
