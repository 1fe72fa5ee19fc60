// The built-in model zoo: weight-free builders of well-known networks as graphs::Graph in ONNX
// operator vocabulary (default domain, opset 17), with exactly the architectures of torchvision
// (resnet18/34/50, mobilenet_v2, vit_b_16), Hugging Face transformers (bert-base/-large: BertModel
// with pooler; gpt2/-xl: GPT2LMHeadModel with the lm_head tied to wte; gpt-j-6b; the Llama,
// Mistral and Mixtral decoders) and the MLPerf Inference reference (retinanet: ResNeXt50-FPN
// RetinaNet up to its head outputs).
//
// Graphs have symbolic input dims "batch" (vision and text) and "sequence" (text); bind them with
// bind_dims, then infer_shapes. Initializers carry shapes and no contents, except small int64
// shape constants and rank-0 scalar constants (see graph_builder.h). Initializer names follow the
// PyTorch state_dict ("layer1.0.conv1.weight"); node names follow module paths.
//
// Each builder registers itself in its own file with GRAPHS_REGISTER_ZOO_MODEL; nothing keeps a
// central list.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// Registered zoo model names, sorted.
std::vector<std::string> zoo_names();

/// True when `name` is a registered zoo model (exact, case-sensitive).
bool is_zoo_name(const std::string& name);

/// Builds the named model. Unknown name: kNotFound with a did-you-mean
/// ("unknown zoo model 'resnet5'; did you mean resnet50?").
Result<Graph> build_zoo_model(const std::string& name);

/// One-line description of a registered model ("" for an unknown name).
std::string zoo_description(const std::string& name);


// ---- registration (used by the builder files) -----------------------------------------------

using ZooBuilderFn = std::function<Result<Graph>()>;

/// Registers a builder; a second registration of the same name replaces the first.
void register_zoo_model(std::string name, std::string description, ZooBuilderFn build);

/// `GRAPHS_REGISTER_ZOO_MODEL("resnet50", "torchvision ResNet-50", build_resnet50);`
#define GRAPHS_REGISTER_ZOO_MODEL(name, description, fn)                                      \
  [[maybe_unused]] static const bool GRAPHS_CONCAT_(graphs_zoo_registered_, __COUNTER__) = \
      (::graphs::register_zoo_model(name, description, fn), true)

}  // namespace graphs
