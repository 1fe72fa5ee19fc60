// The MLPerf Inference RetinaNet ("retinanet 800x800", object detection on the OpenImages MLPerf
// subset): retinanet_resnext50_32x4d_fpn of the MLCommons reference code
// (mlcommons/inference vision/classification_and_detection/python/models/resnext50/retinanet.py,
// from mlcommons/training single_stage_detector/ssd/model), num_classes 264, image_size 800×800.
// A torchvision-style RetinaNet (Lin et al., "Focal Loss for Dense Object Detection",
// arXiv:1708.02002):
//   - Backbone body: torchvision resnext50_32x4d without avgpool/fc (resnet.h: Bottlenecks
//     {3, 4, 6, 3}, groups 32, width_per_group 4 → widths 128/256/512/1024), returning layer2..4
//     (C3 512, C4 1024, C5 2048 channels; strides 8, 16, 32).
//   - FPN (FeaturePyramidNetwork, out_channels 256, plain nn.Conv2d with bias): lateral 1x1 convs
//     inner_blocks.{0,1,2} on C3, C4, C5; top-down last_inner = lateral + nearest-upsample(
//     last_inner) to the lateral's size; 3x3 output convs layer_blocks.{0,1,2} → P3, P4, P5.
//   - Extra levels: LastLevelP6P7(256, 256). in_channels == out_channels sets use_P5, so P6 =
//     conv3x3/2(P5) and P7 = conv3x3/2(relu(P6)), both 256 → 256 with bias. (torchvision's own
//     retinanet_resnet50_fpn v1 uses the same LastLevelP6P7(256, 256); its v2 model uses
//     LastLevelP6P7(2048, 256), i.e. P6 from C5.) Levels at 800×800: P3 100², P4 50², P5 25²,
//     P6 13², P7 7².
//   - Head (RetinaNetHead, 9 anchors per location = 3 sizes × 3 aspect ratios): classification
//     4 × (conv3x3 256 → 256 + ReLU) then cls_logits conv3x3 256 → 9·264 = 2376; regression the
//     same 4 convs then bbox_reg conv3x3 256 → 9·4 = 36. One set of head weights serves every
//     level: the initializers appear once, each consumed by the five levels' Conv nodes (as in an
//     ONNX export). Per level the output [N, A·K, H, W] is viewed [N, A, K, H, W], permuted to
//     [N, H, W, A, K] and flattened to [N, H·W·A, K]; the levels are concatenated.
// BatchNorm of the backbone is a BatchNormalization node with weight, bias, running_mean and
// running_var (the reference uses FrozenBatchNorm2d, where all four are buffers; see below).
//
// Input: images float32[batch, 3, 800, 800] (already resized and normalised: the reference's
// GeneralizedRCNNTransform, ImageNet mean/std, is not included). Outputs: cls_logits
// float32[batch, 120087, 264] and bbox_regression float32[batch, 120087, 4] (120,087 = 9 ·
// (100² + 50² + 25² + 13² + 7²) anchors): the graph stops at the head. Anchor generation, box
// decoding, score thresholding, top-k and NMS (RetinaNet.postprocess_detections) are not modelled.
//
// Parameters (count_parameters: BatchNorm weight/bias count as parameters, running statistics as
// buffers): resnext50_32x4d body = torchvision's 25,028,904 less fc (2048·1000 + 1000) =
// 22,979,904; FPN 918,272 + 1,770,240; P6/P7 1,180,160; head 2 · 4 · 590,080 + 2376·2304 + 2376 +
// 36·2304 + 36 = 10,279,980; total 37,128,876, with 68,224 running-statistic buffer elements. In
// the reference (FrozenBatchNorm2d) the backbone's 68,224 BatchNorm weight/bias elements are
// buffers too, so its sum(p.numel() for p in model.parameters()) is 37,060,652 (the same rule
// gives torchvision's published 34,014,999 for retinanet_resnet50_fpn at 91 classes).
#include <string>
#include <vector>

#include "graphs/zoo/graph_builder.h"
#include "graphs/zoo/resnet.h"
#include "graphs/zoo/zoo.h"

namespace graphs::zoo {
namespace {

struct RetinaNetConfig {
  const char* name;
  int64_t image = 800;        // image_size (square)
  int64_t classes = 264;      // num_classes (OpenImages MLPerf subset)
  int64_t anchors = 9;        // anchors per location: 3 sizes × 3 aspect ratios
  int64_t fpn_channels = 256; // out_channels
};

constexpr RetinaNetConfig kRetinaNetMlperf{.name = "retinanet"};

// nn.Conv2d with bias on existing weight [out, in, k, k] and bias [out] (shared head convs).
ValueId conv_with(GraphBuilder& b, const std::string& node, ValueId x, ValueId weight,
                  ValueId bias, int64_t k, int64_t stride, int64_t pad) {
  return b.op("Conv", node, {x, weight, bias},
              attrs({{"kernel_shape", Ints{k, k}},
                     {"strides", Ints{stride, stride}},
                     {"pads", Ints{pad, pad, pad, pad}},
                     {"dilations", Ints{1, 1}},
                     {"group", int64_t{1}}}));
}

// F.interpolate(x, size=like.shape[-2:], mode="nearest") as exported: Resize with `sizes`
// = Concat(Shape(x)[:2], Shape(like)[2:]).
ValueId upsample_like(GraphBuilder& b, const std::string& module, ValueId x, ValueId like) {
  const ValueId x_shape = b.op("Shape", module + ".x_shape", {x});
  const ValueId nc =
      b.op("Slice", module + ".batch_channels", {x_shape, b.ints({0}), b.ints({2}), b.ints({0})});
  const ValueId like_shape = b.op("Shape", module + ".like_shape", {like});
  const ValueId hw =
      b.op("Slice", module + ".size", {like_shape, b.ints({2}), b.ints({4}), b.ints({0})});
  const ValueId sizes =
      b.op("Concat", module + ".sizes", {nc, hw}, attrs({{"axis", int64_t{0}}}));
  return b.op("Resize", module, {x, kNoValue, kNoValue, sizes},
              attrs({{"mode", std::string("nearest")},
                     {"coordinate_transformation_mode", std::string("asymmetric")},
                     {"nearest_mode", std::string("floor")},
                     {"cubic_coeff_a", -0.75},
                     {"exclude_outside", int64_t{0}}}));
}

struct HeadWeights {
  std::vector<std::pair<ValueId, ValueId>> convs;  // 4 × (weight, bias)
  ValueId out_weight = kNoValue, out_bias = kNoValue;
  int64_t per_anchor = 0;  // K (classes) or 4 (box deltas)
};

HeadWeights head_weights(GraphBuilder& b, const std::string& module, const std::string& out_name,
                         int64_t channels, int64_t anchors, int64_t per_anchor) {
  HeadWeights w;
  w.per_anchor = per_anchor;
  for (int i = 0; i < 4; ++i) {
    const std::string m = module + ".conv." + std::to_string(2 * i);  // nn.Sequential(conv, relu)
    w.convs.emplace_back(b.parameter(m + ".weight", {channels, channels, 3, 3}),
                         b.parameter(m + ".bias", {channels}));
  }
  const std::string o = module + "." + out_name;
  w.out_weight = b.parameter(o + ".weight", {anchors * per_anchor, channels, 3, 3});
  w.out_bias = b.parameter(o + ".bias", {anchors * per_anchor});
  return w;
}

// One head on one level: 4 × (conv + ReLU), output conv, [N, A·K, H, W] → [N, H·W·A, K].
ValueId head_on_level(GraphBuilder& b, const std::string& module, const HeadWeights& w,
                      ValueId x, int64_t size) {
  for (std::size_t i = 0; i < w.convs.size(); ++i) {
    const std::string m = module + ".conv." + std::to_string(2 * i);
    x = conv_with(b, m, x, w.convs[i].first, w.convs[i].second, 3, 1, 1);
    x = b.op("Relu", module + ".conv." + std::to_string(2 * i + 1), {x});
  }
  x = conv_with(b, module + ".out", x, w.out_weight, w.out_bias, 3, 1, 1);
  x = b.op("Reshape", module + ".view", {x, b.ints({0, -1, w.per_anchor, size, size})});
  x = b.op("Transpose", module + ".permute", {x}, attrs({{"perm", Ints{0, 3, 4, 1, 2}}}));
  return b.op("Reshape", module + ".flatten", {x, b.ints({0, -1, w.per_anchor})});
}

// Output size of a 3x3 / stride 2 / pad 1 conv (and of the backbone's strides).
int64_t halve(int64_t n) { return (n + 2 - 3) / 2 + 1; }

Result<Graph> build_retinanet(const RetinaNetConfig& c) {
  GraphBuilder b(c.name);
  const ValueId images =
      b.input("images", DType::kFloat32,
              {Dim::symbol("batch"), Dim::fixed(3), Dim::fixed(c.image), Dim::fixed(c.image)});
  const ResNetFeatures body = resnet_body(
      b, images,
      ResNetSpec{.blocks = {3, 4, 6, 3}, .bottleneck = true, .groups = 32, .width_per_group = 4},
      "backbone.body.");

  // FPN over C3, C4, C5 (returned_layers [2, 3, 4]).
  const int64_t ch = c.fpn_channels;
  const std::string f = "backbone.fpn";
  std::vector<ValueId> p(3);
  ValueId last_inner = kNoValue;
  for (int idx = 2; idx >= 0; --idx) {
    const std::string i = std::to_string(idx);
    const std::size_t stage = static_cast<std::size_t>(idx) + 1;
    ValueId lateral = b.conv2d(f + ".inner_blocks." + i, body.stages[stage],
                               body.channels[stage], ch, 1, 1, 0, 1, /*bias=*/true);
    if (last_inner != kNoValue) {
      const ValueId top_down = upsample_like(b, f + ".upsample." + i, last_inner, lateral);
      lateral = b.op("Add", f + ".add." + i, {lateral, top_down});
    }
    last_inner = lateral;
    p[static_cast<std::size_t>(idx)] =
        b.conv2d(f + ".layer_blocks." + i, last_inner, ch, ch, 3, 1, 1, 1, /*bias=*/true);
  }
  // LastLevelP6P7(256, 256): use_P5.
  const ValueId p6 =
      b.conv2d(f + ".extra_blocks.p6", p[2], ch, ch, 3, 2, 1, 1, /*bias=*/true);
  const ValueId p7 = b.conv2d(f + ".extra_blocks.p7", b.op("Relu", f + ".extra_blocks.relu", {p6}),
                              ch, ch, 3, 2, 1, 1, /*bias=*/true);
  const std::vector<ValueId> levels = {p[0], p[1], p[2], p6, p7};
  std::vector<int64_t> sizes;
  for (int64_t s = c.image / 8; sizes.size() < levels.size(); s = halve(s)) sizes.push_back(s);

  const HeadWeights cls = head_weights(b, "head.classification_head", "cls_logits", ch,
                                       c.anchors, c.classes);
  const HeadWeights reg = head_weights(b, "head.regression_head", "bbox_reg", ch, c.anchors, 4);
  std::vector<ValueId> cls_out, reg_out;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const std::string level = ".level" + std::to_string(l + 3);  // P3..P7
    cls_out.push_back(
        head_on_level(b, "head.classification_head" + level, cls, levels[l], sizes[l]));
    reg_out.push_back(head_on_level(b, "head.regression_head" + level, reg, levels[l], sizes[l]));
  }
  b.output(b.add_node("Concat", "head.classification_head.cat", cls_out,
                      attrs({{"axis", int64_t{1}}}), 1, {"cls_logits"})
               .front());
  b.output(b.add_node("Concat", "head.regression_head.cat", reg_out,
                      attrs({{"axis", int64_t{1}}}), 1, {"bbox_regression"})
               .front());
  return b.finish();
}

GRAPHS_REGISTER_ZOO_MODEL("retinanet",
                          "MLPerf Inference RetinaNet 800x800: ResNeXt50-32x4d + FPN P3-P7, 9 "
                          "anchors, 264 OpenImages classes, up to the head outputs (no anchor "
                          "decoding / NMS) (37.1M params)",
                          [] { return build_retinanet(kRetinaNetMlperf); });

}  // namespace
}  // namespace graphs::zoo
