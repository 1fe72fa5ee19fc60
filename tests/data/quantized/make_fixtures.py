"""Writes the quantized ONNX fixtures of tests/cpp/quantized_onnx_test.cc (run from the repo root
with the dev venv: .venv-dev/bin/python tests/data/quantized/make_fixtures.py).

Float models are built with onnx.helper (fixed seed), then quantized by onnxruntime.quantization:
  mlp_dynamic.onnx   quantize_dynamic            -> DynamicQuantizeLinear + MatMulInteger
  mlp_qop.onnx       quantize_static, QOperator  -> QLinearMatMul
  conv_qdq.onnx      quantize_static, QDQ        -> QuantizeLinear / DequantizeLinear around Conv
  conv_qop.onnx      quantize_static, QOperator  -> QLinearConv
  conv_dynamic.onnx  quantize_dynamic            -> ConvInteger
  mlp_nbits.onnx     4-bit weight-only           -> com.microsoft MatMulNBits
Shapes: mlp x[4, 64] @ W1[64, 128] -> Relu -> @ W2[128, 32]; conv x[1, 3, 16, 16], W[8, 3, 3, 3],
pads 1 -> y[1, 8, 16, 16].
"""
import os
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)


def save(model, name):
    model.opset_import[0].version = 17
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(tempfile.mkdtemp(), name)
    onnx.save(model, path)
    return path


def mlp():
    w1 = numpy_helper.from_array(rng.standard_normal((64, 128)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((128, 32)).astype(np.float32), "w2")
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 32])], [w1, w2])
    return save(helper.make_model(g), "mlp.onnx")


def conv():
    w = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal((8,)).astype(np.float32), "b")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    g = helper.make_graph(nodes, "conv",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16])],
                          [w, b])
    return save(helper.make_model(g), "conv.onnx")


class Reader(CalibrationDataReader):
    def __init__(self, shape):
        self.data = iter([{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(4)])

    def get_next(self):
        return next(self.data, None)


def out(name):
    return os.path.join(HERE, name)


def nbits(src):
    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    except ImportError:  # older releases
        from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer as MatMulNBitsQuantizer
    q = MatMulNBitsQuantizer(onnx.load(src), block_size=32, is_symmetric=True)
    q.process()
    onnx.save(q.model.model, out("mlp_nbits.onnx"))


if __name__ == "__main__":
    m, c = mlp(), conv()
    quantize_dynamic(m, out("mlp_dynamic.onnx"), weight_type=QuantType.QInt8)
    quantize_static(m, out("mlp_qop.onnx"), Reader((4, 64)), quant_format=QuantFormat.QOperator)
    quantize_static(c, out("conv_qdq.onnx"), Reader((1, 3, 16, 16)), quant_format=QuantFormat.QDQ)
    quantize_static(c, out("conv_qop.onnx"), Reader((1, 3, 16, 16)), quant_format=QuantFormat.QOperator)
    quantize_dynamic(c, out("conv_dynamic.onnx"), weight_type=QuantType.QUInt8)
    nbits(m)
    for f in sorted(os.listdir(HERE)):
        if f.endswith(".onnx"):
            ops = sorted({(n.domain or "ai.onnx") + "::" + n.op_type for n in onnx.load(out(f)).graph.node})
            print(f, os.path.getsize(out(f)), ops)
