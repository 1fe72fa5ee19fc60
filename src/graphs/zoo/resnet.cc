// torchvision ResNet-18/34/50 (torchvision/models/resnet.py; He et al., arXiv:1512.03385, with the
// "ResNet v1.5" stride on the 3x3 conv of Bottleneck). BatchNorm is kept as its own node, as in
// the PyTorch model (ONNX exports fold it into the Conv).
//
// Graph: input float32[batch, 3, 224, 224] → output float32[batch, 1000].
// Parameters: resnet18 11,689,512; resnet34 21,797,672; resnet50 25,557,032 (torchvision docs),
// plus BatchNorm running_mean/running_var buffers.
#include <string>
#include <vector>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

// BasicBlock (expansion 1): conv3x3(stride)-bn-relu-conv3x3-bn (+ downsample) + identity, relu.
ValueId basic_block(GraphBuilder& b, const std::string& p, ValueId x, int64_t inplanes,
                    int64_t planes, int64_t stride) {
  ValueId y = b.conv2d(p + ".conv1", x, inplanes, planes, 3, stride, 1);
  y = b.batch_norm(p + ".bn1", y, planes);
  y = b.op("Relu", p + ".relu", {y});
  y = b.conv2d(p + ".conv2", y, planes, planes, 3, 1, 1);
  y = b.batch_norm(p + ".bn2", y, planes);
  ValueId identity = x;
  if (stride != 1 || inplanes != planes) {
    identity = b.conv2d(p + ".downsample.0", x, inplanes, planes, 1, stride, 0);
    identity = b.batch_norm(p + ".downsample.1", identity, planes);
  }
  y = b.op("Add", p + ".add", {y, identity});
  return b.op("Relu", p + ".relu", {y});
}

// Bottleneck (expansion 4): conv1x1-bn-relu-conv3x3(stride)-bn-relu-conv1x1-bn (+ downsample).
ValueId bottleneck(GraphBuilder& b, const std::string& p, ValueId x, int64_t inplanes,
                   int64_t planes, int64_t stride) {
  const int64_t out = planes * 4;
  ValueId y = b.conv2d(p + ".conv1", x, inplanes, planes, 1, 1, 0);
  y = b.batch_norm(p + ".bn1", y, planes);
  y = b.op("Relu", p + ".relu", {y});
  y = b.conv2d(p + ".conv2", y, planes, planes, 3, stride, 1);
  y = b.batch_norm(p + ".bn2", y, planes);
  y = b.op("Relu", p + ".relu", {y});
  y = b.conv2d(p + ".conv3", y, planes, out, 1, 1, 0);
  y = b.batch_norm(p + ".bn3", y, out);
  ValueId identity = x;
  if (stride != 1 || inplanes != out) {
    identity = b.conv2d(p + ".downsample.0", x, inplanes, out, 1, stride, 0);
    identity = b.batch_norm(p + ".downsample.1", identity, out);
  }
  y = b.op("Add", p + ".add", {y, identity});
  return b.op("Relu", p + ".relu", {y});
}

Result<Graph> build_resnet(const std::string& name, const std::vector<int>& layers,
                           bool use_bottleneck) {
  GraphBuilder b(name);
  ValueId x = b.input("input", DType::kFloat32,
                      {Dim::symbol("batch"), Dim::fixed(3), Dim::fixed(224), Dim::fixed(224)});
  x = b.conv2d("conv1", x, 3, 64, 7, 2, 3);
  x = b.batch_norm("bn1", x, 64);
  x = b.op("Relu", "relu", {x});
  x = b.op("MaxPool", "maxpool", {x},
           attrs({{"kernel_shape", Ints{3, 3}},
                  {"strides", Ints{2, 2}},
                  {"pads", Ints{1, 1, 1, 1}},
                  {"dilations", Ints{1, 1}},
                  {"ceil_mode", int64_t{0}}}));
  const int64_t expansion = use_bottleneck ? 4 : 1;
  int64_t inplanes = 64;
  for (std::size_t stage = 0; stage < layers.size(); ++stage) {
    const int64_t planes = int64_t{64} << stage;
    for (int i = 0; i < layers[stage]; ++i) {
      const int64_t stride = (i == 0 && stage > 0) ? 2 : 1;
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(i);
      x = use_bottleneck ? bottleneck(b, p, x, inplanes, planes, stride)
                         : basic_block(b, p, x, inplanes, planes, stride);
      inplanes = planes * expansion;
    }
  }
  x = b.op("GlobalAveragePool", "avgpool", {x});
  x = b.op("Flatten", "flatten", {x}, attrs({{"axis", int64_t{1}}}));
  b.output(b.gemm_linear("fc", x, inplanes, 1000, "output"));
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("resnet18", "torchvision ResNet-18 (11.7M params, 1.81 GMACs @224)",
                          [] { return build_resnet("resnet18", {2, 2, 2, 2}, false); });
GRAPHS_REGISTER_ZOO_MODEL("resnet34", "torchvision ResNet-34 (21.8M params, 3.66 GMACs @224)",
                          [] { return build_resnet("resnet34", {3, 4, 6, 3}, false); });
GRAPHS_REGISTER_ZOO_MODEL("resnet50", "torchvision ResNet-50 v1.5 (25.6M params, 4.09 GMACs @224)",
                          [] { return build_resnet("resnet50", {3, 4, 6, 3}, true); });

}  // namespace
}  // namespace graphs::zoo
