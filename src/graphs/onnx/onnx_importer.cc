#include "graphs/onnx/onnx_importer.h"

#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>
#include <onnx/onnx_pb.h>

#include "graphs/onnx/onnx_reader.h"
#include "graphs/onnx/onnx_tensor.h"
#include "graphs/onnx/opset_support.h"

namespace graphs {
namespace {

namespace pb = google::protobuf;

// Fields of newer onnx.proto versions that onnx 1.12's classes keep as unknown fields.
constexpr int kNodeOverloadField = 8;             // NodeProto.overload (IR 10)
constexpr int kFunctionAttributeProtoField = 11;  // FunctionProto.attribute_proto (defaults)
constexpr int kFunctionOverloadField = 13;        // FunctionProto.overload (IR 10)
constexpr int kAttributeTypeField = 20;           // AttributeProto.type values 1.12 lacks

// Function calls nest at most this deep (a guard against runaway recursion through overloads).
constexpr int kMaxInlineDepth = 64;
// Subgraphs (If/Loop/Scan bodies) nest at most this deep.
constexpr int kMaxSubgraphDepth = 64;

std::string normalize_domain(const std::string& domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

std::string quoted_domain(const std::string& domain) {
  return domain.empty() ? "ai.onnx" : domain;
}

std::string unknown_string(const pb::Message& m, int number) {
  const auto& fields = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& f = fields.field(i);
    if (f.number() == number && f.type() == pb::UnknownField::TYPE_LENGTH_DELIMITED) {
      return f.length_delimited();
    }
  }
  return "";
}

std::optional<uint64_t> unknown_varint(const pb::Message& m, int number) {
  const auto& fields = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& f = fields.field(i);
    if (f.number() == number && f.type() == pb::UnknownField::TYPE_VARINT) return f.varint();
  }
  return std::nullopt;
}

// A model-local function with its attribute defaults and opset imports.
struct FunctionDef {
  const onnx::FunctionProto* proto = nullptr;
  std::string display_name;                     // "domain::name" (with ":overload")
  std::vector<onnx::AttributeProto> defaults;   // FunctionProto.attribute_proto
  std::map<std::string, int> opsets;
};

using FunctionKey = std::tuple<std::string, std::string, std::string>;  // domain, name, overload

// One inlined call: how the function's inner names map onto graph value names.
struct CallFrame {
  const FunctionDef* function = nullptr;
  const CallFrame* parent = nullptr;
  std::string prefix;                                  // the call node's (unique) name
  std::map<std::string, std::string> names;            // inner value name → graph value name
  std::map<std::string, onnx::AttributeProto> attrs;   // attribute name → actual value
};

// The attribute's type, inferred from the value fields for IR version 1 files with no type.
int attribute_type(const onnx::AttributeProto& a) {
  if (a.has_type()) return a.type();
  if (auto t = unknown_varint(a, kAttributeTypeField)) return static_cast<int>(*t);
  using A = onnx::AttributeProto;
  if (a.has_f()) return A::FLOAT;
  if (a.has_i()) return A::INT;
  if (a.has_s()) return A::STRING;
  if (a.has_t()) return A::TENSOR;
  if (a.has_g()) return A::GRAPH;
  if (a.has_sparse_tensor()) return A::SPARSE_TENSOR;
  if (a.has_tp()) return A::TYPE_PROTO;
  if (a.floats_size() > 0) return A::FLOATS;
  if (a.strings_size() > 0) return A::STRINGS;
  if (a.tensors_size() > 0) return A::TENSORS;
  if (a.graphs_size() > 0) return A::GRAPHS;
  if (a.sparse_tensors_size() > 0) return A::SPARSE_TENSORS;
  if (a.type_protos_size() > 0) return A::TYPE_PROTOS;
  return A::INTS;  // no value at all: an empty list
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string base_dir, const ImportOptions& options)
      : model_(model), base_dir_(std::move(base_dir)), options_(options) {}

  Result<Graph> run() {
    if (!model_.has_graph()) {
      return make_error(ErrorCode::kParseError, "not an ONNX model: it has no graph");
    }
    const auto& g = model_.graph();
    graph_.name = g.name();
    graph_.producer = model_.producer_name();
    if (!model_.producer_version().empty()) {
      graph_.producer += (graph_.producer.empty() ? "" : " ") + model_.producer_version();
    }
    GRAPHS_RETURN_IF_ERROR(read_opsets());
    GRAPHS_RETURN_IF_ERROR(read_functions());
    reserve_names(g);
    GRAPHS_RETURN_IF_ERROR(read_initializers(g));
    GRAPHS_RETURN_IF_ERROR(read_inputs(g, false));
    for (const auto& node : g.node()) GRAPHS_RETURN_IF_ERROR(emit(node, nullptr, 0));
    GRAPHS_RETURN_IF_ERROR(read_outputs(g));
    if (graph_.outputs.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the graph has no outputs: nothing it computes is used, so there is "
                        "nothing to estimate");
    }
    GRAPHS_RETURN_IF_ERROR(capture_outer_values(/*main_graph=*/true));
    GRAPHS_RETURN_IF_ERROR(graph_.validate());
    return std::move(graph_);
  }

 private:
  // The model's opset_import, each entry checked (opset_support.h).
  Status read_opsets() {
    for (const auto& op : model_.opset_import()) {
      const auto domain = normalize_domain(op.domain());
      GRAPHS_RETURN_IF_ERROR(check_opset_import(domain, op.version(), "opset_import"));
      const int version = static_cast<int>(op.version());
      auto [it, inserted] = opsets_.emplace(domain, version);
      if (!inserted && version > it->second) it->second = version;
    }
    // IR versions 1 and 2 predate opset_import and mean opset 1.
    if (model_.opset_import_size() == 0 && model_.ir_version() < 3) {
      GRAPHS_RETURN_IF_ERROR(check_opset_import(
          "", 1, "IR version " + std::to_string(model_.ir_version()) + " model (no opset_import)"));
      opsets_[""] = 1;
    }
    graph_.opsets = opsets_;
    return ok_status();
  }

  Status read_functions() {
    for (const auto& f : model_.functions()) {
      FunctionDef def;
      def.proto = &f;
      const auto domain = normalize_domain(f.domain());
      const auto overload = unknown_string(f, kFunctionOverloadField);
      def.display_name = (domain.empty() ? "" : domain + "::") + f.name() +
                         (overload.empty() ? "" : ":" + overload);
      for (const auto& op : f.opset_import()) {
        GRAPHS_RETURN_IF_ERROR(check_opset_import(
            op.domain(), op.version(), "function '" + def.display_name + "' opset_import"));
        def.opsets[normalize_domain(op.domain())] = static_cast<int>(op.version());
      }
      const auto& unknown = f.GetReflection()->GetUnknownFields(f);
      for (int i = 0; i < unknown.field_count(); ++i) {
        const auto& field = unknown.field(i);
        if (field.number() != kFunctionAttributeProtoField ||
            field.type() != pb::UnknownField::TYPE_LENGTH_DELIMITED) {
          continue;
        }
        onnx::AttributeProto attr;
        if (!attr.ParseFromString(field.length_delimited())) {
          return make_error(ErrorCode::kParseError, "function '", def.display_name,
                            "': malformed attribute default");
        }
        def.defaults.push_back(std::move(attr));
      }
      FunctionKey key{domain, f.name(), overload};
      if (functions_.count(key)) {
        return make_error(ErrorCode::kParseError, "function '", def.display_name,
                          "' is defined twice");
      }
      functions_.emplace(std::move(key), std::move(def));
    }
    return ok_status();
  }

  // Names of the graph being read, so that names made up for inlined values and unnamed nodes
  // never collide with a name that appears later in the file.
  void reserve_names(const onnx::GraphProto& g) {
    for (const auto& vi : g.input()) reserved_values_.insert(vi.name());
    for (const auto& vi : g.output()) reserved_values_.insert(vi.name());
    for (const auto& t : g.initializer()) reserved_values_.insert(t.name());
    for (const auto& s : g.sparse_initializer()) reserved_values_.insert(s.values().name());
    for (const auto& n : g.node()) {
      for (const auto& v : n.input()) reserved_values_.insert(v);
      for (const auto& v : n.output()) reserved_values_.insert(v);
      if (!n.name().empty()) node_names_.insert(n.name());
    }
  }

  Status read_initializers(const onnx::GraphProto& g) {
    for (int i = 0; i < g.initializer_size(); ++i) {
      const auto& t = g.initializer(i);
      const std::string what = "initializer '" + t.name() + "'";
      GRAPHS_ASSIGN_OR_RETURN(TensorType type, onnx_detail::tensor_type(t, what));
      Value v = stored_value(t.name(), std::move(type));
      v.external_location = onnx_detail::external_location(t);
      if (options_.load_small_tensors) {
        GRAPHS_ASSIGN_OR_RETURN(v.data, onnx_detail::tensor_contents(t, v.type, base_dir_, what));
      }
      GRAPHS_RETURN_IF_ERROR(add_stored_value(std::move(v), i, "initializer"));
    }
    for (int i = 0; i < g.sparse_initializer_size(); ++i) {
      const auto& s = g.sparse_initializer(i);
      const std::string what = "sparse initializer '" + s.values().name() + "'";
      onnx::TensorProto dense;  // only the dense shape and element type
      dense.set_data_type(s.values().data_type());
      dense.mutable_dims()->CopyFrom(s.dims());
      GRAPHS_ASSIGN_OR_RETURN(TensorType type, onnx_detail::tensor_type(dense, what));
      Value v = stored_value(s.values().name(), std::move(type));
      GRAPHS_RETURN_IF_ERROR(add_stored_value(std::move(v), i, "sparse initializer"));
    }
    return ok_status();
  }

  static Value stored_value(const std::string& name, TensorType type) {
    Value v;
    v.name = name;
    v.type = std::move(type);
    v.kind = ValueKind::kInitializer;
    return v;
  }

  Status add_stored_value(Value v, int index, std::string_view what) {
    if (v.name.empty()) {
      return make_error(ErrorCode::kParseError, what, " #", index, " has no name");
    }
    if (graph_.find_value(v.name) != kNoValue) {
      return make_error(ErrorCode::kParseError, what, " '", v.name, "' is defined twice");
    }
    graph_.initializers.push_back(graph_.add_value(std::move(v)));
    return ok_status();
  }

  // Graph inputs; a subgraph's formal inputs may lack a type (the node supplies it).
  Status read_inputs(const onnx::GraphProto& g, bool subgraph) {
    for (const auto& vi : g.input()) {
      const ValueId existing = graph_.find_value(vi.name());
      // Before IR version 4 every initializer is also listed as a graph input; from 4 on such an
      // initializer is the input's default value. Either way the value is the initializer.
      if (existing != kNoValue && graph_.value(existing).kind == ValueKind::kInitializer) {
        GRAPHS_RETURN_IF_ERROR(check_shadowed_initializer(vi, graph_.value(existing)));
        continue;
      }
      const std::string what = "graph input '" + vi.name() + "'";
      if (vi.name().empty()) return make_error(ErrorCode::kParseError, "a graph input has no name");
      if (existing != kNoValue) {
        return make_error(ErrorCode::kParseError, what, " is listed twice");
      }
      TensorType type;
      if (subgraph && (!vi.has_type() || (vi.type().has_tensor_type() &&
                                          vi.type().tensor_type().elem_type() == 0))) {
        type.rank_known = false;
      } else {
        auto declared = input_type(vi, what);
        if (!declared.ok()) {  // name the op that would read it
          const std::string note = consumer_note(g, vi.name());
          const Error& e = declared.error();
          return note.empty() ? e : Error(e.code(), e.message() + " (" + note + ")");
        }
        type = std::move(declared).value();
      }
      GRAPHS_RETURN_IF_ERROR(check_tensor_size(type, what));
      Value v;
      v.name = vi.name();
      v.type = std::move(type);
      v.kind = ValueKind::kGraphInput;
      graph_.inputs.push_back(graph_.add_value(std::move(v)));
    }
    return ok_status();
  }

  // "" or, for an input some node of `g` reads, "read by Relu node 'r'" (error context).
  static std::string consumer_note(const onnx::GraphProto& g, const std::string& name) {
    for (const auto& n : g.node()) {
      for (const auto& in : n.input()) {
        if (in != name) continue;
        return "read by " + n.op_type() + " node" + (n.name().empty() ? "" : " '" + n.name() + "'");
      }
    }
    return "";
  }

  // A graph input named like an initializer: the initializer is its value (the ONNX IR's
  // default value), so a declared type must agree with it: the same element type and rank,
  // and equal sizes where the declaration gives one (a named dim matches any size).
  static Status check_shadowed_initializer(const onnx::ValueInfoProto& vi, const Value& init) {
    const bool untyped =
        !vi.has_type() || (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() == 0);
    if (untyped) return ok_status();
    const std::string what = "graph input '" + vi.name() + "'";
    GRAPHS_ASSIGN_OR_RETURN(const TensorType declared, input_type(vi, what));
    bool agree = declared.dtype == init.type.dtype;
    if (declared.rank_known) {
      agree = agree && declared.shape.size() == init.type.shape.size();
      for (std::size_t i = 0; agree && i < declared.shape.size(); ++i) {
        agree = !declared.shape[i].is_static() || declared.shape[i] == init.type.shape[i];
      }
    }
    if (agree) return ok_status();
    return make_error(ErrorCode::kInvalidArgument, what, " is declared ", declared.to_string(),
                      " but the initializer of that name, its default value, is ",
                      init.type.to_string());
  }

  static Result<TensorType> input_type(const onnx::ValueInfoProto& vi, const std::string& what) {
    const auto& tp = vi.type();
    const char* kind = nullptr;
    switch (tp.value_case()) {
      case onnx::TypeProto::kTensorType: break;
      case onnx::TypeProto::VALUE_NOT_SET:
        return make_error(ErrorCode::kParseError, what, " has no type");
      case onnx::TypeProto::kSequenceType: kind = "a sequence"; break;
      case onnx::TypeProto::kMapType: kind = "a map"; break;
      case onnx::TypeProto::kOptionalType: kind = "an optional"; break;
      case onnx::TypeProto::kSparseTensorType: kind = "a sparse tensor"; break;
      default: kind = "not a tensor"; break;
    }
    if (kind != nullptr) {
      return make_error(ErrorCode::kUnsupported, what, " is ", kind,
                        "; only dense tensor inputs are supported");
    }
    const auto& tensor = tp.tensor_type();
    const auto dtype = dtype_from_onnx(tensor.elem_type());
    if (!dtype) {
      return make_error(ErrorCode::kUnsupported, what, ": elem_type is an ",
                        onnx_type_description(tensor.elem_type()));
    }
    if (*dtype == DType::kUndefined) {
      return make_error(ErrorCode::kParseError, what, " has no element type");
    }
    TensorType type;
    type.dtype = *dtype;
    if (!tensor.has_shape()) {
      type.rank_known = false;
      return type;
    }
    const auto& shape = tensor.shape();
    for (int i = 0; i < shape.dim_size(); ++i) {
      const auto& d = shape.dim(i);
      if (d.has_dim_value() && d.dim_value() >= 0) {
        type.shape.push_back(Dim::fixed(d.dim_value()));
      } else if (d.has_dim_param() && !d.dim_param().empty()) {
        type.shape.push_back(Dim::symbol(d.dim_param()));
      } else {
        type.shape.push_back(Dim::symbol(vi.name() + "_dim" + std::to_string(i)));
      }
    }
    return type;
  }

  Status read_outputs(const onnx::GraphProto& g) {
    for (const auto& vi : g.output()) {
      if (vi.name().empty()) {
        return make_error(ErrorCode::kParseError, "a graph output has no name");
      }
      const ValueId id = use_value(vi.name());
      graph_.value(id).is_graph_output = true;
      graph_.outputs.push_back(id);
    }
    return ok_status();
  }

  // The value named `name`, created (as a not-yet-produced activation) when first seen.
  ValueId use_value(const std::string& name) {
    const ValueId id = graph_.find_value(name);
    if (id != kNoValue) return id;
    Value v;
    v.name = name;
    return graph_.add_value(std::move(v));
  }

  std::string fresh_value_name(const std::string& base) {
    std::string name = base;
    for (int64_t n = 1; reserved_values_.count(name) || graph_.find_value(name) != kNoValue; ++n) {
      name = base + "_" + std::to_string(n);
    }
    reserved_values_.insert(name);
    return name;
  }

  std::string fresh_node_name(const std::string& base) {
    std::string name = base;
    for (int64_t n = 1; node_names_.count(name); ++n) name = base + "_" + std::to_string(n);
    node_names_.insert(name);
    return name;
  }

  // An inner value name of a function call mapped to its graph value name ("" stays omitted).
  std::string map_name(const std::string& inner, CallFrame* frame) {
    if (inner.empty() || frame == nullptr) return inner;
    auto it = frame->names.find(inner);
    if (it != frame->names.end()) return it->second;
    auto name = fresh_value_name(frame->prefix + "/" + inner);
    frame->names.emplace(inner, name);
    return name;
  }

  std::optional<int> opset_for(const std::string& domain, const CallFrame* frame) const {
    if (frame != nullptr) {
      auto it = frame->function->opsets.find(domain);
      if (it != frame->function->opsets.end()) return it->second;
    }
    auto it = opsets_.find(domain);
    if (it != opsets_.end()) return it->second;
    return std::nullopt;
  }

  // Adds `proto` to the graph, or inlines it when it calls a model-local function. Inside a
  // function body `frame` maps the body's names and attribute references.
  Status emit(const onnx::NodeProto& proto, CallFrame* frame, int depth) {
    const std::string domain = normalize_domain(proto.domain());
    std::string name;
    if (frame != nullptr) {
      const auto& base = proto.name().empty() ? proto.op_type() : proto.name();
      name = fresh_node_name(frame->prefix + "/" + base);
    } else if (proto.name().empty()) {
      name = fresh_node_name(proto.op_type() + "_" + std::to_string(graph_.nodes.size()));
    } else {
      name = proto.name();
    }
    const std::string label = proto.op_type() + " node '" + name + "'";

    std::vector<std::string> inputs, outputs;
    for (const auto& in : proto.input()) inputs.push_back(map_name(in, frame));
    for (const auto& out : proto.output()) outputs.push_back(map_name(out, frame));

    // Attributes, with references to the enclosing function's attributes resolved.
    std::deque<onnx::AttributeProto> resolved;
    std::vector<const onnx::AttributeProto*> attrs;
    for (const auto& a : proto.attribute()) {
      if (a.ref_attr_name().empty()) {
        attrs.push_back(&a);
        continue;
      }
      if (frame == nullptr) {
        return make_error(ErrorCode::kInvalidArgument, label, ": attribute '", a.name(),
                          "' refers to '", a.ref_attr_name(), "' outside any function");
      }
      auto it = frame->attrs.find(a.ref_attr_name());
      if (it == frame->attrs.end()) continue;  // not given by the caller, no default: omitted
      resolved.push_back(it->second);
      resolved.back().set_name(a.name());
      attrs.push_back(&resolved.back());
    }

    const auto overload = unknown_string(proto, kNodeOverloadField);
    const auto fn = functions_.find({domain, proto.op_type(), overload});
    if (fn != functions_.end()) {
      return inline_call(fn->second, name, label, inputs, outputs, attrs, frame, depth);
    }

    const auto opset = opset_for(domain, frame);
    if (!opset) {
      return make_error(ErrorCode::kInvalidArgument, label, ": domain '", quoted_domain(domain),
                        "' is not in the model's opset_import");
    }
    const std::string context = label + " (opset " + std::to_string(*opset) + ")";
    Node node;
    node.name = name;
    node.op_type = proto.op_type();
    node.domain = domain;
    node.opset = *opset;
    for (const auto* a : attrs) {
      if (attribute_type(*a) == onnx::AttributeProto::GRAPH) {
        auto body = import_subgraph(a->g(), depth);
        if (!body.ok()) {
          return std::move(body).error().with_context(context + ", " + a->name());
        }
        node.subgraphs.push_back(Subgraph{a->name(), std::move(body).value(), -1});
        continue;
      }
      auto value = convert_attribute(*a);
      if (!value.ok()) return std::move(value).error().with_context(context);
      node.attrs.set(a->name(), std::move(value).value());
    }
    GRAPHS_RETURN_IF_ERROR(check_node_opset(node));
    for (const auto& in : inputs) node.inputs.push_back(in.empty() ? kNoValue : use_value(in));
    for (const auto& out : outputs) {
      if (out.empty()) {
        node.outputs.push_back(kNoValue);
        continue;
      }
      const ValueId id = use_value(out);
      if (graph_.value(id).kind != ValueKind::kActivation) {
        return make_error(ErrorCode::kInvalidArgument, context, ": output '", out,
                          "' has the name of a graph input or initializer");
      }
      node.outputs.push_back(id);
    }
    graph_.add_node(std::move(node));
    return ok_status();
  }

  Status inline_call(const FunctionDef& fn, const std::string& call_name, const std::string& label,
                     const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs,
                     const std::vector<const onnx::AttributeProto*>& attrs,
                     const CallFrame* parent, int depth) {
    for (const CallFrame* f = parent; f != nullptr; f = f->parent) {
      if (f->function == &fn) {
        return make_error(ErrorCode::kUnsupported, label, ": function '", fn.display_name,
                          "' calls itself recursively");
      }
    }
    if (depth >= kMaxInlineDepth) {
      return make_error(ErrorCode::kUnsupported, label, ": function calls nest more than ",
                        kMaxInlineDepth, " deep");
    }
    const auto& body = *fn.proto;
    CallFrame callee;
    callee.function = &fn;
    callee.parent = parent;
    callee.prefix = call_name;
    for (int i = 0; i < body.input_size(); ++i) {
      callee.names[body.input(i)] = i < static_cast<int>(inputs.size()) ? inputs[i] : "";
    }
    // A function output that is also one of its inputs is passed through by an Identity node.
    std::vector<std::pair<std::string, std::string>> pass_through;
    for (int i = 0; i < body.output_size(); ++i) {
      const auto& formal = body.output(i);
      std::string actual = i < static_cast<int>(outputs.size()) ? outputs[i] : "";
      if (actual.empty()) actual = fresh_value_name(call_name + "/" + formal);
      auto it = callee.names.find(formal);
      if (it != callee.names.end()) {
        pass_through.emplace_back(it->second, actual);
      } else {
        callee.names.emplace(formal, actual);
      }
    }
    for (const auto* a : attrs) callee.attrs[a->name()] = *a;
    for (const auto& d : fn.defaults) callee.attrs.emplace(d.name(), d);

    for (const auto& inner : body.node()) {
      auto status = emit(inner, &callee, depth + 1);
      if (!status.ok()) {
        return std::move(status).error().with_context("in function '" + fn.display_name +
                                                      "' called by " + label);
      }
    }
    for (const auto& [from, to] : pass_through) {
      onnx::NodeProto identity;
      identity.set_op_type("Identity");
      identity.set_name(fresh_node_name(call_name + "/Identity"));
      if (!from.empty()) identity.add_input(from);
      identity.add_output(to);
      GRAPHS_RETURN_IF_ERROR(emit(identity, nullptr, depth + 1));
    }
    return ok_status();
  }

  // Reads a control-flow body into a Graph of its own: its initializers, formal inputs, nodes
  // (function calls inlined into it) and outputs; names it uses but does not define become
  // kOuterScope values. The enclosing graph's state is set aside meanwhile.
  Result<Graph> import_subgraph(const onnx::GraphProto& body, int depth) {
    if (subgraph_depth_ >= kMaxSubgraphDepth) {
      return make_error(ErrorCode::kUnsupported, "subgraphs nest more than ", kMaxSubgraphDepth,
                        " deep");
    }
    Graph outer = std::move(graph_);
    auto outer_values = std::move(reserved_values_);
    auto outer_nodes = std::move(node_names_);
    graph_ = Graph();
    reserved_values_.clear();
    node_names_.clear();
    graph_.name = body.name();
    graph_.producer = outer.producer;
    graph_.opsets = opsets_;
    ++subgraph_depth_;
    Status status = [&]() -> Status {
      reserve_names(body);
      GRAPHS_RETURN_IF_ERROR(read_initializers(body));
      GRAPHS_RETURN_IF_ERROR(read_inputs(body, true));
      for (const auto& node : body.node()) GRAPHS_RETURN_IF_ERROR(emit(node, nullptr, depth));
      GRAPHS_RETURN_IF_ERROR(read_outputs(body));
      GRAPHS_RETURN_IF_ERROR(capture_outer_values(/*main_graph=*/false));
      return graph_.validate();
    }();
    --subgraph_depth_;
    Graph sub = std::move(graph_);
    graph_ = std::move(outer);
    reserved_values_ = std::move(outer_values);
    node_names_ = std::move(outer_nodes);
    if (!status.ok()) return std::move(status).error();
    return sub;
  }

  // Marks the values of graph_ that nothing in it defines as kOuterScope, and gives graph_ an
  // outer-scope value for every name its nodes' subgraphs take from further out. In the main
  // graph such a name is an error.
  Status capture_outer_values(bool main_graph) {
    if (!main_graph) {
      for (auto& v : graph_.values) {
        if (v.kind == ValueKind::kActivation && v.producer == kNoNode) {
          v.kind = ValueKind::kOuterScope;
        }
      }
    }
    std::vector<std::string> missing;
    for (const auto& node : graph_.nodes) {
      for (const auto& sub : node.subgraphs) {
        for (const auto& inner : sub.graph.values) {
          if (inner.kind != ValueKind::kOuterScope) continue;
          if (graph_.find_value(inner.name) != kNoValue) continue;
          if (main_graph) {
            return make_error(ErrorCode::kInvalidArgument, node.label(), ": ", sub.attribute,
                              " uses '", inner.name, "', which no enclosing graph defines");
          }
          missing.push_back(inner.name);
        }
      }
    }
    for (const auto& name : missing) {
      if (graph_.find_value(name) != kNoValue) continue;
      Value v;
      v.name = name;
      v.kind = ValueKind::kOuterScope;
      graph_.add_value(std::move(v));
    }
    return ok_status();
  }

  Result<Attribute> convert_attribute(const onnx::AttributeProto& a) {
    using A = onnx::AttributeProto;
    const std::string what = "attribute '" + a.name() + "'";
    const int type = attribute_type(a);
    switch (type) {
      case A::FLOAT: return Attribute(static_cast<double>(a.f()));
      case A::INT: return Attribute(static_cast<int64_t>(a.i()));
      case A::STRING: return Attribute(a.s());
      case A::FLOATS: return Attribute(std::vector<double>(a.floats().begin(), a.floats().end()));
      case A::INTS: return Attribute(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
      case A::STRINGS:
        return Attribute(std::vector<std::string>(a.strings().begin(), a.strings().end()));
      case A::TENSOR: {
        const std::string tensor_what = what + " tensor";
        TensorAttr attr;
        GRAPHS_ASSIGN_OR_RETURN(attr.type, onnx_detail::tensor_type(a.t(), tensor_what));
        if (options_.load_small_tensors) {
          GRAPHS_ASSIGN_OR_RETURN(
              attr.data, onnx_detail::tensor_contents(a.t(), attr.type, base_dir_, tensor_what));
        }
        return Attribute(std::move(attr));
      }
      case A::GRAPH:  // read by import_subgraph
      case A::GRAPHS:
        return make_error(ErrorCode::kUnsupported, what,
                          ": lists of subgraphs are not supported");
      case A::TENSORS:
        return make_error(ErrorCode::kUnsupported, what, ": lists of tensors are not supported");
      case A::SPARSE_TENSOR:
      case A::SPARSE_TENSORS:
        return make_error(ErrorCode::kUnsupported, what,
                          ": sparse-tensor attributes are not supported");
      case A::TYPE_PROTO:
      case A::TYPE_PROTOS:
        return make_error(ErrorCode::kUnsupported, what,
                          ": type-proto attributes are not supported");
      default:
        return make_error(ErrorCode::kUnsupported, what, ": unknown attribute type ", type);
    }
  }

  const onnx::ModelProto& model_;
  std::string base_dir_;
  ImportOptions options_;
  Graph graph_;
  std::map<std::string, int> opsets_;
  std::map<FunctionKey, FunctionDef> functions_;
  std::set<std::string> reserved_values_;
  std::set<std::string> node_names_;
  int subgraph_depth_ = 0;
};

}  // namespace

Result<Graph> import_onnx_model(const onnx::ModelProto& model, const std::string& base_dir,
                                const ImportOptions& options) {
  return Importer(model, base_dir, options).run();
}

Result<Graph> import_onnx_file(const std::string& path, const ImportOptions& options) {
  onnx::ModelProto model;
  auto read = onnx_detail::read_model_file(path, &model);
  if (!read.ok()) return std::move(read).error().with_context(path);
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  auto graph = import_onnx_model(model, base_dir, options);
  if (!graph.ok()) return std::move(graph).error().with_context(path);
  return graph;
}

}  // namespace graphs
