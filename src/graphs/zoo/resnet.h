// The torchvision ResNet / ResNeXt trunk (torchvision/models/resnet.py) shared by the zoo's
// classifiers (resnet.cc) and detection backbones (retinanet.cc): the stem (conv1 7x7/2, bn1,
// relu, maxpool 3x3/2) and the four stages layer1..layer4 of BasicBlocks or Bottlenecks (stride 2
// on the first block of stages 2-4, on the 3x3 conv of a Bottleneck: "ResNet v1.5"). A Bottleneck's
// inner width is int(planes · width_per_group / 64) · groups and its 3x3 conv has `groups` groups
// (resnext50_32x4d: groups 32, width_per_group 4 → widths 128/256/512/1024). BatchNorm is its own
// node (graph_builder.h batch_norm).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graphs/zoo/graph_builder.h"

namespace graphs::zoo {

struct ResNetSpec {
  std::vector<int> blocks;      // blocks per stage, e.g. {3, 4, 6, 3}
  bool bottleneck = false;      // Bottleneck (expansion 4) or BasicBlock (expansion 1)
  int64_t groups = 1;           // Bottleneck 3x3 conv groups
  int64_t width_per_group = 64;
};

/// The stage outputs (layer1..layer4: C2..C5) and their channel counts.
struct ResNetFeatures {
  std::vector<ValueId> stages;
  std::vector<int64_t> channels;
};

/// Stem and stages on image `x` [B, 3, H, W]; node and parameter names are prefixed with
/// `prefix` ("" for the classifiers: "conv1.weight", "layer1.0.bn1.running_mean";
/// "backbone.body." inside a detector).
ResNetFeatures resnet_body(GraphBuilder& b, ValueId x, const ResNetSpec& spec,
                           const std::string& prefix);

}  // namespace graphs::zoo
