// Classic machine-learning family (domain ai.onnx.ml, opsets 1–5; onnx/defs/traditionalml):
// linear models, SVMs, tree ensembles and the preprocessing ops scikit-learn converters
// (skl2onnx, onnxmltools) write. ZipMap, DictVectorizer and CastMap read or make maps, which the
// IR does not hold; the importer refuses them (onnx/opset_support.h).
//
// Shapes. X is [N, F] or [F] (N = 1), as ONNX Runtime reads it (onnxruntime/core/providers/cpu/ml).
//   LinearClassifier    Y [N] labels (int64, or string with classlabels_strings); Z [N, E]
//                       float, E = |intercepts|, 2 when that is 1 with two class labels
//   LinearRegressor     Y [N, targets]
//   SVMClassifier       Y [N]; Z [N, E]: E = |classlabels|, except SVC mode (support vectors)
//                       without prob_a: E(E − 1)/2 pairwise scores when E > 2, else 2
//   SVMRegressor        Y [N, 1]
//   TreeEnsembleClassifier  Y [N]; Z [N, |classlabels|]
//   TreeEnsembleRegressor   Y [N, n_targets];  TreeEnsemble (opset 5)  Y [N, n_targets], X's type
//   Scaler, Normalizer  X's shape, float;  Binarizer, Imputer  X's shape and type
//   OneHotEncoder       X's dims + [|categories|], float
//   LabelEncoder        X's shape; type of the values attribute (values_strings, _int64s,
//                       _floats, values_tensor; opset 1: string ↔ int64)
//   CategoryMapper      X's shape; string → int64, int64 → string
//   ArrayFeatureExtractor  X [..., C], Y (indices) k elements → [..., k] ([1, k] for a 1-D X)
//   FeatureVectorizer   [N, Σ inputdimensions] float
// Counting (no MACs except the linear algebra; docs/conventions.md "ai.onnx.ml"):
//   Linear*  MACs = N·F·T (the GEMM X·Wᵀ, T targets), FLOPs = 2·MACs + N·T (intercepts) + the
//            post_transform per score: LOGISTIC 4, SOFTMAX and SOFTMAX_ZERO 5, PROBIT 1.
//   SVM*     linear mode: as Linear*; SVC mode: MACs = N·S·F (kernel dot products with S support
//            vectors) + N·S·(E − 1) (dual coefficients), FLOPs = 2·MACs + per kernel value
//            POLY 2, RBF 2, SIGMOID 2 (LINEAR 0) + per score 1 (rho) + post_transform.
//   Trees    per sample, each tree walks one root-to-leaf path: 1 compare per interior node on
//            its longest path, + 1 add per tree and target into the aggregate (ONNX Runtime's
//            tree_ensemble_aggregator.h), + post_transform per score.
//   Scaler 2 per element (subtract, multiply); Normalizer MAX 2, L1 3, L2 3 per element (+ 1
//   per row for L2's root); Binarizer 1; Imputer 2 (compare, select); LabelEncoder and
//   CategoryMapper 1 per element (a table lookup); OneHotEncoder, ArrayFeatureExtractor,
//   FeatureVectorizer 0 (copies).
// Bytes: every present input read and output written once at its element type; strings have no
// fixed size and count 0 bytes.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

constexpr const char* kMl = "ai.onnx.ml";

// ---- shared pieces --------------------------------------------------------------------------

// N and F of X: [N, F] or [F].
Result<std::pair<int64_t, int64_t>> batch_and_features(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  if (x.size() == 1) return std::make_pair(int64_t{1}, x[0]);
  if (x.size() == 2) return std::make_pair(x[0], x[1]);
  return ctx.error("X " + dims_to_string(x) + " must be [N, F] or [F]");
}

std::pair<double, double> batch_and_features(const CostContext& ctx) {
  const auto x = dims_of(ctx.input(0));
  if (x.size() == 1) return {1, static_cast<double>(x[0])};
  if (x.size() == 2) return {static_cast<double>(x[0]), static_cast<double>(x[1])};
  return {0, 0};
}

std::size_t list_size(const Attributes& a, const std::string& name) {
  const Attribute* v = a.find(name);
  if (!v) return 0;
  if (const auto* i = std::get_if<std::vector<int64_t>>(v)) return i->size();
  if (const auto* f = std::get_if<std::vector<double>>(v)) return f->size();
  if (const auto* s = std::get_if<std::vector<std::string>>(v)) return s->size();
  return 1;
}

// Labels of a classifier: their count and element type (strings win when both are given).
struct Labels {
  int64_t count = 0;
  DType dtype = DType::kInt64;
};

Labels class_labels(const InferContext& ctx, const std::string& ints_name) {
  const auto strings = list_size(ctx.node.attrs, "classlabels_strings");
  if (strings > 0) return {static_cast<int64_t>(strings), DType::kString};
  return {static_cast<int64_t>(list_size(ctx.node.attrs, ints_name)), DType::kInt64};
}

InferredOutput out(DType dtype, const std::vector<int64_t>& dims) {
  return InferredOutput{TensorType::make(dtype, dims), std::nullopt};
}

// FLOPs of the post_transform per score.
double post_transform_flops(const Node& node) {
  const std::string t = node.attrs.get_string("post_transform", "NONE");
  if (t == "LOGISTIC") return 4;
  if (t == "SOFTMAX" || t == "SOFTMAX_ZERO") return 5;
  if (t == "PROBIT") return 1;
  return 0;
}

Status check_post_transform(const InferContext& ctx) {
  static const std::vector<std::string> kKnown = {"NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO",
                                                  "PROBIT"};
  const std::string t = ctx.node.attrs.get_string("post_transform", "NONE");
  if (std::find(kKnown.begin(), kKnown.end(), t) != kKnown.end()) return ok_status();
  return ctx.error("post_transform '" + t +
                   "' must be NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO or PROBIT");
}

OpSchema ml_op(std::string op, OpClass cls, ShapeFn infer, CostFn cost, std::string note,
               int since = 1, int last = 5) {
  OpSchema s{.op_type = std::move(op), .domain = kMl, .op_class = cls, .infer = std::move(infer),
             .cost = std::move(cost), .flops_note = std::move(note)};
  s.since_version = since;
  s.last_version = last;
  return s;
}

// ---- linear models --------------------------------------------------------------------------

InferResult linear_classifier_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto nf, batch_and_features(ctx));
  GRAPHS_RETURN_IF_ERROR(check_post_transform(ctx));
  const Labels labels = class_labels(ctx, "classlabels_ints");
  const auto targets = static_cast<int64_t>(list_size(ctx.node.attrs, "intercepts"));
  const auto coefficients = static_cast<int64_t>(list_size(ctx.node.attrs, "coefficients"));
  if (targets == 0 || coefficients != targets * nf.second) {
    return ctx.error(std::to_string(coefficients) + " coefficients for " +
                     std::to_string(targets) + " intercepts and " + std::to_string(nf.second) +
                     " features (need intercepts × features)");
  }
  const int64_t scores = targets == 1 && labels.count == 2 ? 2 : targets;
  return std::vector<InferredOutput>{out(labels.dtype, {nf.first}),
                                     out(DType::kFloat32, {nf.first, scores})};
}

InferResult linear_regressor_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto nf, batch_and_features(ctx));
  GRAPHS_RETURN_IF_ERROR(check_post_transform(ctx));
  const int64_t targets = ctx.node.attrs.get_int("targets", 1);
  const auto coefficients = static_cast<int64_t>(list_size(ctx.node.attrs, "coefficients"));
  if (targets < 1 || coefficients != targets * nf.second) {
    return ctx.error(std::to_string(coefficients) + " coefficients for " +
                     std::to_string(targets) + " targets and " + std::to_string(nf.second) +
                     " features (need targets × features)");
  }
  return std::vector<InferredOutput>{out(DType::kFloat32, {nf.first, targets})};
}

OpCost linear_cost(const CostContext& ctx) {
  const auto [n, f] = batch_and_features(ctx);
  const double t = ctx.node.op_type == "LinearRegressor"
                       ? static_cast<double>(ctx.node.attrs.get_int("targets", 1))
                       : static_cast<double>(list_size(ctx.node.attrs, "intercepts"));
  const double macs = n * f * t;
  return compute_cost(ctx, macs, 2 * macs + n * t * (1 + post_transform_flops(ctx.node)));
}

// ---- SVMs -----------------------------------------------------------------------------------

double kernel_flops(const Node& node) {
  return node.attrs.get_string("kernel_type", "LINEAR") == "LINEAR" ? 0 : 2;
}

// Support vectors S, or 0 in linear mode.
int64_t support_vectors(const Node& node) {
  if (node.op_type == "SVMRegressor") return node.attrs.get_int("n_supports", 0);
  int64_t s = 0;
  for (int64_t v : node.attrs.get_ints("vectors_per_class")) s += v;
  return s;
}

Status check_support_vectors(const InferContext& ctx, int64_t features) {
  const int64_t s = support_vectors(ctx.node);
  const auto stored = static_cast<int64_t>(list_size(ctx.node.attrs, "support_vectors"));
  if (s > 0 && stored != s * features) {
    return ctx.error(std::to_string(stored) + " support_vectors values for " + std::to_string(s) +
                     " vectors of " + std::to_string(features) + " features");
  }
  return ok_status();
}

InferResult svm_classifier_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto nf, batch_and_features(ctx));
  GRAPHS_RETURN_IF_ERROR(check_post_transform(ctx));
  GRAPHS_RETURN_IF_ERROR(check_support_vectors(ctx, nf.second));
  const Labels labels = class_labels(ctx, "classlabels_ints");
  if (labels.count == 0) return ctx.error("has no class labels");
  int64_t scores = labels.count;
  if (support_vectors(ctx.node) > 0 && list_size(ctx.node.attrs, "prob_a") == 0) {
    scores = labels.count > 2 ? labels.count * (labels.count - 1) / 2 : 2;
  }
  return std::vector<InferredOutput>{out(labels.dtype, {nf.first}),
                                     out(DType::kFloat32, {nf.first, scores})};
}

InferResult svm_regressor_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto nf, batch_and_features(ctx));
  GRAPHS_RETURN_IF_ERROR(check_post_transform(ctx));
  GRAPHS_RETURN_IF_ERROR(check_support_vectors(ctx, nf.second));
  return std::vector<InferredOutput>{out(DType::kFloat32, {nf.first, 1})};
}

OpCost svm_cost(const CostContext& ctx) {
  const auto [n, f] = batch_and_features(ctx);
  const bool classifier = ctx.node.op_type == "SVMClassifier";
  const double labels = classifier ? std::max<double>(
                                         list_size(ctx.node.attrs, "classlabels_ints"),
                                         list_size(ctx.node.attrs, "classlabels_strings"))
                                   : 2;
  const auto s = static_cast<double>(support_vectors(ctx.node));
  const Value* z = ctx.output(classifier ? 1 : 0);
  const double scores = z ? ctx.numel(z) : n;
  const double post = scores * post_transform_flops(ctx.node);
  if (s == 0) {  // linear mode: one GEMM with the coefficients
    const double macs = n * f * std::max(1.0, classifier ? labels : 1.0);
    return compute_cost(ctx, macs, 2 * macs + scores + post);
  }
  const double macs = n * s * f + n * s * std::max(1.0, labels - 1);
  return compute_cost(ctx, macs, 2 * macs + n * s * kernel_flops(ctx.node) + scores + post);
}

// ---- tree ensembles -------------------------------------------------------------------------

// One ensemble as child links: node index → (true child, false child), −1 for a leaf.
struct Forest {
  std::vector<int64_t> roots;
  std::vector<std::pair<int64_t, int64_t>> children;
};

// TreeEnsembleClassifier/Regressor (opsets 1–4): nodes_* lists keyed by (tree id, node id).
Result<Forest> classic_forest(const Node& node) {
  const auto trees = node.attrs.get_ints("nodes_treeids");
  const auto ids = node.attrs.get_ints("nodes_nodeids");
  const auto t = node.attrs.get_ints("nodes_truenodeids");
  const auto f = node.attrs.get_ints("nodes_falsenodeids");
  const Attribute* modes_attr = node.attrs.find("nodes_modes");
  const auto* modes = modes_attr ? std::get_if<std::vector<std::string>>(modes_attr) : nullptr;
  const std::size_t n = ids.size();
  if (trees.size() != n || t.size() != n || f.size() != n || !modes || modes->size() != n) {
    return make_error(ErrorCode::kShapeError, node.label(), ": nodes_treeids, nodes_nodeids, "
                      "nodes_modes, nodes_truenodeids and nodes_falsenodeids must have one "
                      "entry per node");
  }
  std::map<std::pair<int64_t, int64_t>, int64_t> index;
  for (std::size_t i = 0; i < n; ++i) index[{trees[i], ids[i]}] = static_cast<int64_t>(i);
  Forest forest;
  std::map<int64_t, int64_t> root;  // tree → its node with the smallest id
  for (std::size_t i = 0; i < n; ++i) {
    auto it = root.find(trees[i]);
    if (it == root.end() || ids[i] < ids[static_cast<std::size_t>(it->second)]) {
      root[trees[i]] = static_cast<int64_t>(i);
    }
    if ((*modes)[i] == "LEAF") {
      forest.children.push_back({-1, -1});
      continue;
    }
    auto a = index.find({trees[i], t[i]}), b = index.find({trees[i], f[i]});
    if (a == index.end() || b == index.end()) {
      return make_error(ErrorCode::kShapeError, node.label(), ": node ", ids[i], " of tree ",
                        trees[i], " names a child that tree does not have");
    }
    forest.children.push_back({a->second, b->second});
  }
  for (const auto& [tree, r] : root) forest.roots.push_back(r);
  return forest;
}

// TreeEnsemble (opset 5): tree_roots index nodes_*; a child is a leaf when nodes_*leafs says so.
Result<Forest> v5_forest(const Node& node) {
  const auto t = node.attrs.get_ints("nodes_truenodeids");
  const auto f = node.attrs.get_ints("nodes_falsenodeids");
  const auto tl = node.attrs.get_ints("nodes_trueleafs");
  const auto fl = node.attrs.get_ints("nodes_falseleafs");
  const std::size_t n = t.size();
  if (f.size() != n || tl.size() != n || fl.size() != n) {
    return make_error(ErrorCode::kShapeError, node.label(), ": nodes_truenodeids, "
                      "nodes_falsenodeids, nodes_trueleafs and nodes_falseleafs must have one "
                      "entry per node");
  }
  Forest forest;
  forest.roots = node.attrs.get_ints("tree_roots");
  auto child = [&](int64_t id, int64_t leaf) -> std::optional<int64_t> {
    if (leaf != 0) return -1;
    if (id < 0 || id >= static_cast<int64_t>(n)) return std::nullopt;
    return id;
  };
  for (std::size_t i = 0; i < n; ++i) {
    auto a = child(t[i], tl[i]), b = child(f[i], fl[i]);
    if (!a || !b) {
      return make_error(ErrorCode::kShapeError, node.label(), ": node ", i,
                        " names a child outside the ", n, " nodes");
    }
    forest.children.push_back({*a, *b});
  }
  for (int64_t r : forest.roots) {
    if (r < 0 || r >= static_cast<int64_t>(n)) {
      return make_error(ErrorCode::kShapeError, node.label(), ": tree root ", r,
                        " is outside the ", n, " nodes");
    }
  }
  return forest;
}

// Σ over trees of the interior nodes on the longest root-to-leaf path; error on a cycle.
Result<int64_t> total_depth(const Node& node, const Forest& forest) {
  const auto n = static_cast<int64_t>(forest.children.size());
  int64_t total = 0;
  for (int64_t root : forest.roots) {
    int64_t deepest = 0;
    std::vector<std::pair<int64_t, int64_t>> stack{{root, 0}};  // (node, interior nodes above)
    for (int64_t steps = 0; !stack.empty(); ++steps) {
      if (steps > 2 * n + 1) {
        return make_error(ErrorCode::kShapeError, node.label(), ": a tree's links form a cycle");
      }
      const auto [id, depth] = stack.back();
      stack.pop_back();
      if (id < 0) {
        deepest = std::max(deepest, depth);
        continue;
      }
      const auto& c = forest.children[static_cast<std::size_t>(id)];
      if (c.first < 0 && c.second < 0 && node.op_type != "TreeEnsemble") {
        deepest = std::max(deepest, depth);  // a LEAF node
        continue;
      }
      stack.push_back({c.first, depth + 1});
      stack.push_back({c.second, depth + 1});
    }
    total += deepest;
  }
  return total;
}

Result<int64_t> forest_depth(const Node& node) {
  GRAPHS_ASSIGN_OR_RETURN(const Forest forest,
                          node.op_type == "TreeEnsemble" ? v5_forest(node) : classic_forest(node));
  return total_depth(node, forest);
}

InferResult tree_shape(const InferContext& ctx) {
  GRAPHS_ASSIGN_OR_RETURN(const auto nf, batch_and_features(ctx));
  GRAPHS_RETURN_IF_ERROR(check_post_transform(ctx));
  GRAPHS_ASSIGN_OR_RETURN([[maybe_unused]] const int64_t depth, forest_depth(ctx.node));
  const int64_t n = nf.first;
  if (ctx.node.op_type == "TreeEnsembleClassifier") {
    const Labels labels = class_labels(ctx, "classlabels_int64s");
    if (labels.count == 0) return ctx.error("has no class labels");
    return std::vector<InferredOutput>{out(labels.dtype, {n}),
                                       out(DType::kFloat32, {n, labels.count})};
  }
  const int64_t targets = ctx.node.attrs.get_int("n_targets", 1);
  if (targets < 1) return ctx.error("n_targets " + std::to_string(targets) + " must be 1 or more");
  const DType dtype = ctx.node.op_type == "TreeEnsemble" ? ctx.type(0).dtype : DType::kFloat32;
  return std::vector<InferredOutput>{out(dtype, {n, targets})};
}

double tree_count(const Node& node) {
  if (node.op_type == "TreeEnsemble") {
    return static_cast<double>(node.attrs.get_ints("tree_roots").size());
  }
  std::vector<int64_t> ids = node.attrs.get_ints("nodes_treeids");
  std::sort(ids.begin(), ids.end());
  return static_cast<double>(std::unique(ids.begin(), ids.end()) - ids.begin());
}

OpCost tree_cost(const CostContext& ctx) {
  const double n = batch_and_features(ctx).first;
  auto depth = forest_depth(ctx.node);
  const Value* scores = ctx.output(ctx.node.op_type == "TreeEnsembleClassifier" ? 1 : 0);
  const double per_sample = n > 0 && scores ? ctx.numel(scores) / n : 0;
  const double walk = depth.ok() ? static_cast<double>(*depth) : 0;
  return compute_cost(ctx, 0,
                      n * walk + n * tree_count(ctx.node) * per_sample +
                          (scores ? ctx.numel(scores) : 0) * post_transform_flops(ctx.node));
}

// ---- preprocessing --------------------------------------------------------------------------

InferResult same_shape_as(const InferContext& ctx, std::optional<DType> dtype) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto x, static_input_dims(ctx, 0, "X"));
  return std::vector<InferredOutput>{out(dtype.value_or(ctx.type(0).dtype), x)};
}

InferResult normalizer_shape(const InferContext& ctx) {
  const std::string norm = ctx.node.attrs.get_string("norm", "MAX");
  if (norm != "MAX" && norm != "L1" && norm != "L2") {
    return ctx.error("norm '" + norm + "' must be MAX, L1 or L2");
  }
  GRAPHS_ASSIGN_OR_RETURN([[maybe_unused]] const auto nf, batch_and_features(ctx));
  return same_shape_as(ctx, DType::kFloat32);
}

OpCost normalizer_cost(const CostContext& ctx) {
  const std::string norm = ctx.node.attrs.get_string("norm", "MAX");
  const auto [n, f] = batch_and_features(ctx);
  const double per = norm == "MAX" ? 2 : 3;
  return compute_cost(ctx, 0, n * f * per + (norm == "L2" ? n : 0));
}

InferResult one_hot_encoder_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(auto x, static_input_dims(ctx, 0, "X"));
  const std::size_t cats = std::max(list_size(ctx.node.attrs, "cats_int64s"),
                                    list_size(ctx.node.attrs, "cats_strings"));
  if (cats == 0) return ctx.error("has no categories (cats_int64s or cats_strings)");
  x.push_back(static_cast<int64_t>(cats));
  return std::vector<InferredOutput>{out(DType::kFloat32, x)};
}

// LabelEncoder's output type: opset 1 maps strings to int64 and back; later opsets take the type
// of the values attribute.
Result<DType> label_encoder_dtype(const InferContext& ctx) {
  if (ctx.opset == 1) {
    return ctx.type(0).dtype == DType::kString ? DType::kInt64 : DType::kString;
  }
  if (const TensorAttr* t = ctx.node.attrs.get_tensor("values_tensor")) return t->type.dtype;
  if (list_size(ctx.node.attrs, "values_strings") > 0) return DType::kString;
  if (list_size(ctx.node.attrs, "values_int64s") > 0) return DType::kInt64;
  if (list_size(ctx.node.attrs, "values_floats") > 0) return DType::kFloat32;
  return ctx.error("has no values (values_strings, values_int64s, values_floats or "
                   "values_tensor)");
}

InferResult label_encoder_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const DType dtype, label_encoder_dtype(ctx));
  return same_shape_as(ctx, dtype);
}

InferResult category_mapper_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  const DType in = ctx.type(0).dtype;
  if (in != DType::kString && in != DType::kInt64) {
    return ctx.error("X must be string or int64, not " + std::string(dtype_name(in)));
  }
  return same_shape_as(ctx, in == DType::kString ? DType::kInt64 : DType::kString);
}

InferResult array_feature_extractor_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(auto x, static_input_dims(ctx, 0, "X"));
  GRAPHS_ASSIGN_OR_RETURN(const auto y, static_input_dims(ctx, 1, "Y"));
  if (x.empty()) return ctx.error("X must have rank 1 or more");
  const int64_t k = product(y);
  if (x.size() == 1) x = {1, k};
  x.back() = k;
  return std::vector<InferredOutput>{out(ctx.type(0).dtype, x)};
}

InferResult feature_vectorizer_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(ctx.num_inputs()));
  const auto dims = ctx.node.attrs.get_ints("inputdimensions");
  if (ctx.num_inputs() == 0 || dims.size() != ctx.num_inputs()) {
    return ctx.error("inputdimensions has " + std::to_string(dims.size()) + " entries for " +
                     std::to_string(ctx.num_inputs()) + " inputs");
  }
  GRAPHS_ASSIGN_OR_RETURN(const auto x0, static_input_dims(ctx, 0, "X"));
  int64_t total = 0;
  for (int64_t d : dims) {
    if (d < 0) return ctx.error("inputdimensions has a negative entry");
    total += d;
  }
  const int64_t n = x0.size() <= 1 ? 1 : x0[0];
  return std::vector<InferredOutput>{out(DType::kFloat32, {n, total})};
}

OpCost per_element(const CostContext& ctx, double flops) {
  return compute_cost(ctx, 0, ctx.numel(ctx.input(0)) * flops);
}

GRAPHS_REGISTER_OP(ml_op("LinearClassifier", OpClass::kMatMul, linear_classifier_shape,
                         linear_cost,
                         "2 × MACs (N·F·T) + N·T intercepts + post_transform per score "
                         "(LOGISTIC 4, SOFTMAX 5, PROBIT 1)"));
GRAPHS_REGISTER_OP(ml_op("LinearRegressor", OpClass::kMatMul, linear_regressor_shape,
                         linear_cost,
                         "2 × MACs (N·F·targets) + N·targets intercepts + post_transform"));
GRAPHS_REGISTER_OP(ml_op("SVMClassifier", OpClass::kMatMul, svm_classifier_shape, svm_cost,
                         "2 × MACs (N·S·F kernel dots + N·S·(E−1) dual coefficients; linear: "
                         "N·F·E) + 2 per kernel value (POLY, RBF, SIGMOID) + 1 per score"));
GRAPHS_REGISTER_OP(ml_op("SVMRegressor", OpClass::kMatMul, svm_regressor_shape, svm_cost,
                         "2 × MACs (N·S·F kernel dots + N·S coefficients; linear: N·F) + 2 per "
                         "kernel value (POLY, RBF, SIGMOID) + 1 per score"));
GRAPHS_REGISTER_OP(ml_op("TreeEnsembleClassifier", OpClass::kOther, tree_shape, tree_cost,
                         "per sample: 1 compare per node on each tree's longest path + 1 add "
                         "per tree and class + post_transform per score",
                         1, 4));
GRAPHS_REGISTER_OP(ml_op("TreeEnsembleRegressor", OpClass::kOther, tree_shape, tree_cost,
                         "per sample: 1 compare per node on each tree's longest path + 1 add "
                         "per tree and target + post_transform per score",
                         1, 4));
GRAPHS_REGISTER_OP(ml_op("TreeEnsemble", OpClass::kOther, tree_shape, tree_cost,
                         "per sample: 1 compare per node on each tree's longest path + 1 add "
                         "per tree and target + post_transform per score",
                         5, 5));
GRAPHS_REGISTER_OP(ml_op(
    "Scaler", OpClass::kElementwise,
    [](const InferContext& ctx) { return same_shape_as(ctx, DType::kFloat32); },
    [](const CostContext& ctx) { return per_element(ctx, 2); },
    "2 per element (subtract offset, multiply by scale)"));
GRAPHS_REGISTER_OP(ml_op("Normalizer", OpClass::kNormalization, normalizer_shape, normalizer_cost,
                         "per element MAX 2, L1 3, L2 3 (+ 1 per row for L2's root)"));
GRAPHS_REGISTER_OP(ml_op(
    "Binarizer", OpClass::kElementwise,
    [](const InferContext& ctx) { return same_shape_as(ctx, std::nullopt); },
    [](const CostContext& ctx) { return per_element(ctx, 1); }, "1 per element (compare)"));
GRAPHS_REGISTER_OP(ml_op(
    "Imputer", OpClass::kElementwise,
    [](const InferContext& ctx) { return same_shape_as(ctx, std::nullopt); },
    [](const CostContext& ctx) { return per_element(ctx, 2); },
    "2 per element (compare with the missing value, select)"));
GRAPHS_REGISTER_OP(ml_op("OneHotEncoder", OpClass::kDataMovement, one_hot_encoder_shape,
                         data_movement_cost, "0; bytes = input read + one-hot output written"));
GRAPHS_REGISTER_OP(ml_op(
    "LabelEncoder", OpClass::kOther, label_encoder_shape,
    [](const CostContext& ctx) { return per_element(ctx, 1); },
    "1 per element (a table lookup); string tensors count 0 bytes"));
GRAPHS_REGISTER_OP(ml_op(
    "CategoryMapper", OpClass::kOther, category_mapper_shape,
    [](const CostContext& ctx) { return per_element(ctx, 1); },
    "1 per element (a table lookup); string tensors count 0 bytes"));
GRAPHS_REGISTER_OP(ml_op("ArrayFeatureExtractor", OpClass::kDataMovement,
                         array_feature_extractor_shape, data_movement_cost,
                         "0; bytes = X and the indices read + output written"));
GRAPHS_REGISTER_OP(ml_op("FeatureVectorizer", OpClass::kDataMovement, feature_vectorizer_shape,
                         data_movement_cost, "0; bytes = inputs read + output written"));

}  // namespace
}  // namespace graphs::ops
