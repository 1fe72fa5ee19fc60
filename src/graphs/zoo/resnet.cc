// torchvision ResNet-18/34/50 (torchvision/models/resnet.py; He et al., arXiv:1512.03385, with the
// "ResNet v1.5" stride on the 3x3 conv of Bottleneck). BatchNorm is kept as its own node, as in
// the PyTorch model (ONNX exports fold it into the Conv).
//
// Graph: input float32[batch, 3, 224, 224] → output float32[batch, 1000].
// Parameters: resnet18 11,689,512; resnet34 21,797,672; resnet50 25,557,032 (torchvision docs),
// plus BatchNorm running_mean/running_var buffers.
// The stem and the four stages (resnet_body, resnet.h) are shared with the detection backbones
// (retinanet.cc), which add torchvision's ResNeXt grouped bottleneck (groups, width_per_group).
#include "graphs/zoo/resnet.h"

#include <string>
#include <vector>

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

// Bottleneck (expansion 4): conv1x1-bn-relu-conv3x3(stride, groups)-bn-relu-conv1x1-bn
// (+ downsample), inner width = int(planes · width_per_group / 64) · groups (torchvision).
ValueId bottleneck(GraphBuilder& b, const std::string& p, ValueId x, int64_t inplanes,
                   int64_t planes, int64_t stride, int64_t groups, int64_t width_per_group) {
  const int64_t out = planes * 4;
  const int64_t width = planes * width_per_group / 64 * groups;
  ValueId y = b.conv2d(p + ".conv1", x, inplanes, width, 1, 1, 0);
  y = b.batch_norm(p + ".bn1", y, width);
  y = b.op("Relu", p + ".relu", {y});
  y = b.conv2d(p + ".conv2", y, width, width, 3, stride, 1, groups);
  y = b.batch_norm(p + ".bn2", y, width);
  y = b.op("Relu", p + ".relu", {y});
  y = b.conv2d(p + ".conv3", y, width, out, 1, 1, 0);
  y = b.batch_norm(p + ".bn3", y, out);
  ValueId identity = x;
  if (stride != 1 || inplanes != out) {
    identity = b.conv2d(p + ".downsample.0", x, inplanes, out, 1, stride, 0);
    identity = b.batch_norm(p + ".downsample.1", identity, out);
  }
  y = b.op("Add", p + ".add", {y, identity});
  return b.op("Relu", p + ".relu", {y});
}

}  // namespace

ResNetFeatures resnet_body(GraphBuilder& b, ValueId x, const ResNetSpec& spec,
                           const std::string& prefix) {
  x = b.conv2d(prefix + "conv1", x, 3, 64, 7, 2, 3);
  x = b.batch_norm(prefix + "bn1", x, 64);
  x = b.op("Relu", prefix + "relu", {x});
  x = b.op("MaxPool", prefix + "maxpool", {x},
           attrs({{"kernel_shape", Ints{3, 3}},
                  {"strides", Ints{2, 2}},
                  {"pads", Ints{1, 1, 1, 1}},
                  {"dilations", Ints{1, 1}},
                  {"ceil_mode", int64_t{0}}}));
  const int64_t expansion = spec.bottleneck ? 4 : 1;
  int64_t inplanes = 64;
  ResNetFeatures f;
  for (std::size_t stage = 0; stage < spec.blocks.size(); ++stage) {
    const int64_t planes = int64_t{64} << stage;
    for (int i = 0; i < spec.blocks[stage]; ++i) {
      const int64_t stride = (i == 0 && stage > 0) ? 2 : 1;
      const std::string p =
          prefix + "layer" + std::to_string(stage + 1) + "." + std::to_string(i);
      x = spec.bottleneck ? bottleneck(b, p, x, inplanes, planes, stride, spec.groups,
                                       spec.width_per_group)
                          : basic_block(b, p, x, inplanes, planes, stride);
      inplanes = planes * expansion;
    }
    f.stages.push_back(x);
    f.channels.push_back(inplanes);
  }
  return f;
}

namespace {

Result<Graph> build_resnet(const std::string& name, const std::vector<int>& layers,
                           bool use_bottleneck) {
  GraphBuilder b(name);
  const ValueId input = b.input(
      "input", DType::kFloat32,
      {Dim::symbol("batch"), Dim::fixed(3), Dim::fixed(224), Dim::fixed(224)});
  const ResNetFeatures f =
      resnet_body(b, input, ResNetSpec{.blocks = layers, .bottleneck = use_bottleneck}, "");
  ValueId x = b.op("GlobalAveragePool", "avgpool", {f.stages.back()});
  x = b.op("Flatten", "flatten", {x}, attrs({{"axis", int64_t{1}}}));
  b.output(b.gemm_linear("fc", x, f.channels.back(), 1000, "output"));
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
