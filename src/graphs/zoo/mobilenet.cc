// torchvision MobileNetV2, width 1.0 (torchvision/models/mobilenetv2.py; Sandler et al.,
// arXiv:1801.04381). ReLU6 is Clip(min=0, max=6) with scalar min/max inputs (opset ≥ 11);
// BatchNorm is kept as its own node.
//
// Graph: input float32[batch, 3, 224, 224] → output float32[batch, 1000].
// Parameters: 3,504,872 (torchvision docs), plus BatchNorm running statistics.
#include <string>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

// Conv2dNormActivation: Conv (no bias, padding (k-1)/2) → BatchNorm → ReLU6; modules p.0, p.1, p.2.
ValueId conv_bn_relu6(GraphBuilder& b, const std::string& p, ValueId x, int64_t in, int64_t out,
                      int64_t k, int64_t stride, int64_t groups) {
  x = b.conv2d(p + ".0", x, in, out, k, stride, (k - 1) / 2, groups);
  x = b.batch_norm(p + ".1", x, out);
  return b.op("Clip", p + ".2", {x, b.float_scalar(0.0), b.float_scalar(6.0)});
}

// InvertedResidual: [1x1 expand] → 3x3 depthwise(stride) → 1x1 project (linear) → BN, with the
// residual when stride 1 and in == out.
ValueId inverted_residual(GraphBuilder& b, const std::string& p, ValueId x, int64_t in,
                          int64_t out, int64_t stride, int64_t expand_ratio) {
  const int64_t hidden = in * expand_ratio;
  ValueId y = x;
  int layer = 0;
  if (expand_ratio != 1) {
    y = conv_bn_relu6(b, p + ".conv." + std::to_string(layer++), y, in, hidden, 1, 1, 1);
  }
  y = conv_bn_relu6(b, p + ".conv." + std::to_string(layer++), y, hidden, hidden, 3, stride,
                    hidden);
  y = b.conv2d(p + ".conv." + std::to_string(layer++), y, hidden, out, 1, 1, 0);
  y = b.batch_norm(p + ".conv." + std::to_string(layer++), y, out);
  if (stride == 1 && in == out) y = b.op("Add", p + ".add", {x, y});
  return y;
}

Result<Graph> build_mobilenet_v2() {
  GraphBuilder b("mobilenet_v2");
  ValueId x = b.input("input", DType::kFloat32,
                      {Dim::symbol("batch"), Dim::fixed(3), Dim::fixed(224), Dim::fixed(224)});
  // t (expansion), c (output channels), n (repeats), s (first stride).
  struct Setting { int64_t t, c, n, s; };
  constexpr Setting kSettings[] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                   {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t in = 32;
  int feature = 0;
  x = conv_bn_relu6(b, "features." + std::to_string(feature++), x, 3, in, 3, 2, 1);
  for (const auto& s : kSettings) {
    for (int64_t i = 0; i < s.n; ++i) {
      x = inverted_residual(b, "features." + std::to_string(feature++), x, in, s.c,
                            i == 0 ? s.s : 1, s.t);
      in = s.c;
    }
  }
  constexpr int64_t kLastChannel = 1280;
  x = conv_bn_relu6(b, "features." + std::to_string(feature++), x, in, kLastChannel, 1, 1, 1);
  x = b.op("GlobalAveragePool", "avgpool", {x});
  x = b.op("Flatten", "flatten", {x}, attrs({{"axis", int64_t{1}}}));
  // classifier.0 is Dropout(0.2): the identity at inference, as the export drops it.
  b.output(b.gemm_linear("classifier.1", x, kLastChannel, 1000, "output"));
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("mobilenet_v2",
                          "torchvision MobileNetV2 1.0 (3.5M params, 0.30 GMACs @224)",
                          build_mobilenet_v2);

}  // namespace
}  // namespace graphs::zoo
