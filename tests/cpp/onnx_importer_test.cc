#include "graphs/onnx/onnx_importer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <google/protobuf/unknown_field_set.h>
#include <onnx/onnx_pb.h>

#include "graphs/onnx/onnx_reader.h"
#include "graphs/onnx/onnx_tensor.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Building models in code.

onnx::ModelProto make_model(int opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("pytorch");
  m.set_producer_version("2.3.0");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  m.mutable_graph()->set_name("main_graph");
  return m;
}

// A dim: a size, a symbol name, or nothing (anonymous).
using DimSpec = std::variant<int64_t, std::string, std::monostate>;

void add_input(onnx::GraphProto* g, const std::string& name, int elem_type,
               const std::vector<DimSpec>& dims) {
  auto* vi = g->add_input();
  vi->set_name(name);
  auto* t = vi->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  auto* shape = t->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (const auto* v = std::get_if<int64_t>(&d)) dim->set_dim_value(*v);
    if (const auto* s = std::get_if<std::string>(&d)) dim->set_dim_param(*s);
  }
}

void add_output(onnx::GraphProto* g, const std::string& name) { g->add_output()->set_name(name); }

onnx::NodeProto* add_node(google::protobuf::RepeatedPtrField<onnx::NodeProto>* nodes,
                          const std::string& op, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name = "") {
  auto* n = nodes->Add();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op,
                          const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name = "") {
  return add_node(g->mutable_node(), op, inputs, outputs, name);
}

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}

void set_float(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void set_ref(onnx::NodeProto* n, const std::string& name, const std::string& ref,
             onnx::AttributeProto::AttributeType type) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_ref_attr_name(ref);
  a->set_type(type);
}

onnx::TensorProto* add_initializer(onnx::GraphProto* g, const std::string& name, int data_type,
                                   const std::vector<int64_t>& dims) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(data_type);
  for (auto d : dims) t->add_dims(d);
  return t;
}

template <typename T>
std::string le_bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());  // the test host is little-endian
  return out;
}

// A directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("graphs_onnx_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(path_ / name, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file(name);
  }

 private:
  fs::path path_;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const Value& value_named(const Graph& g, const std::string& name) {
  const ValueId id = g.find_value(name);
  EXPECT_NE(id, kNoValue) << name;
  return g.value(id);
}

const Node* node_named(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// A Conv+Relu model: x float[1,3,8,8] → Conv(W, B) → Relu → y.
onnx::ModelProto conv_relu_model() {
  auto m = make_model(17);
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{1}, int64_t{3}, int64_t{8}, int64_t{8}});
  auto* w = add_initializer(g, "W", onnx::TensorProto::FLOAT, {4, 3, 3, 3});
  w->set_raw_data(le_bytes(std::vector<float>(4 * 3 * 3 * 3, 0.25f)));
  auto* b = add_initializer(g, "B", onnx::TensorProto::FLOAT, {4});
  for (float v : {1.0f, 2.0f, 3.0f, 4.0f}) b->add_float_data(v);
  auto* conv = add_node(g, "Conv", {"x", "W", "B"}, {"c"}, "conv1");
  set_ints(conv, "kernel_shape", {3, 3});
  set_ints(conv, "pads", {1, 1, 1, 1});
  set_ints(conv, "strides", {1, 1});
  set_int(conv, "group", 1);
  auto* auto_pad = conv->add_attribute();
  auto_pad->set_name("auto_pad");
  auto_pad->set_type(onnx::AttributeProto::STRING);
  auto_pad->set_s("NOTSET");
  add_node(g, "Relu", {"c"}, {"y"}, "relu1");
  add_output(g, "y");
  return m;
}

// ---------------------------------------------------------------------------------------------
// Models that import.

TEST(OnnxImporterTest, ConvReluImportsValuesTypesOpsetsAttributes) {
  auto graph = import_onnx_model(conv_relu_model(), "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const Graph& g = *graph;
  EXPECT_EQ(g.name, "main_graph");
  EXPECT_EQ(g.producer, "pytorch 2.3.0");
  EXPECT_EQ(g.opsets, (std::map<std::string, int>{{"", 17}}));

  ASSERT_EQ(g.inputs.size(), 1u);
  const Value& x = g.value(g.inputs[0]);
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.kind, ValueKind::kGraphInput);
  EXPECT_EQ(x.type, TensorType::make(DType::kFloat32, {1, 3, 8, 8}));

  ASSERT_EQ(g.initializers.size(), 2u);
  const Value& w = value_named(g, "W");
  EXPECT_EQ(w.kind, ValueKind::kInitializer);
  EXPECT_EQ(w.type, TensorType::make(DType::kFloat32, {4, 3, 3, 3}));
  ASSERT_TRUE(w.data.has_value());
  EXPECT_TRUE(w.data->is_float);
  EXPECT_EQ(w.data->size(), 108u);
  EXPECT_DOUBLE_EQ(w.data->floats[107], 0.25);
  const Value& b = value_named(g, "B");
  ASSERT_TRUE(b.data.has_value());
  EXPECT_EQ(b.data->floats, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_TRUE(b.external_location.empty());

  ASSERT_EQ(g.nodes.size(), 2u);
  const Node& conv = g.nodes[0];
  EXPECT_EQ(conv.name, "conv1");
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.domain, "");
  EXPECT_EQ(conv.opset, 17);
  EXPECT_EQ(conv.inputs,
            (std::vector<ValueId>{g.find_value("x"), g.find_value("W"), g.find_value("B")}));
  EXPECT_EQ(conv.attrs.get_ints("kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(conv.attrs.get_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(conv.attrs.get_int("group", 0), 1);
  EXPECT_EQ(conv.attrs.get_string("auto_pad", ""), "NOTSET");
  const Node& relu = g.nodes[1];
  EXPECT_EQ(relu.op_type, "Relu");
  EXPECT_EQ(relu.inputs, conv.outputs);

  ASSERT_EQ(g.outputs.size(), 1u);
  const Value& y = g.value(g.outputs[0]);
  EXPECT_EQ(y.name, "y");
  EXPECT_TRUE(y.is_graph_output);
  EXPECT_EQ(y.producer, 1);
  // No shape inference here: activations keep an undefined type.
  EXPECT_EQ(value_named(g, "c").type.dtype, DType::kUndefined);
}

TEST(OnnxImporterTest, AttributesOfEveryKindConvert) {
  auto m = make_model(17);
  auto* g = m.mutable_graph();
  auto* c = add_node(g, "Constant", {}, {"shape"}, "const");
  auto* value = c->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  value->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  value->mutable_t()->add_dims(2);
  value->mutable_t()->add_int64_data(-1);
  value->mutable_t()->add_int64_data(64);
  auto* n = add_node(g, "Custom", {"shape"}, {"y"}, "custom");
  n->set_domain("ai.onnx");  // the default domain by its long name
  set_float(n, "alpha", 0.5f);
  auto* floats = n->add_attribute();
  floats->set_name("scales");
  floats->set_type(onnx::AttributeProto::FLOATS);
  floats->add_floats(1.5f);
  floats->add_floats(2.0f);
  auto* strings = n->add_attribute();
  strings->set_name("modes");
  strings->set_type(onnx::AttributeProto::STRINGS);
  strings->add_strings("a");
  strings->add_strings("b");
  auto* untyped = n->add_attribute();  // IR version 1 style: no type field
  untyped->set_name("legacy");
  untyped->set_i(7);
  add_output(g, "y");

  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const Node& constant = graph->nodes[0];
  const TensorAttr* t = constant.attrs.get_tensor("value");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->type, TensorType::make(DType::kInt64, {2}));
  ASSERT_TRUE(t->data.has_value());
  EXPECT_EQ(t->data->ints, (std::vector<int64_t>{-1, 64}));
  const Node& custom = graph->nodes[1];
  EXPECT_EQ(custom.domain, "");
  EXPECT_EQ(custom.opset, 17);
  EXPECT_DOUBLE_EQ(custom.attrs.get_float("alpha", 0), 0.5);
  EXPECT_EQ(custom.attrs.get_floats("scales"), (std::vector<double>{1.5, 2.0}));
  const auto* modes = std::get_if<std::vector<std::string>>(custom.attrs.find("modes"));
  ASSERT_NE(modes, nullptr);
  EXPECT_EQ(*modes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(custom.attrs.get_int("legacy", 0), 7);
}

TEST(OnnxImporterTest, SymbolicAndAnonymousDimsBecomeSymbols) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  add_input(g, "ids", onnx::TensorProto::INT64,
            {std::string("batch"), int64_t{3}, std::monostate{}, std::string("")});
  auto* vi = g->add_input();  // no shape at all
  vi->set_name("free");
  vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  add_node(g, "Identity", {"ids"}, {"y"});
  add_output(g, "y");

  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const auto& ids = value_named(*graph, "ids").type;
  EXPECT_EQ(ids.dtype, DType::kInt64);
  ASSERT_EQ(ids.rank(), 4);
  EXPECT_EQ(ids.shape[0], Dim::symbol("batch"));
  EXPECT_EQ(ids.shape[1], Dim::fixed(3));
  EXPECT_EQ(ids.shape[2], Dim::symbol("ids_dim2"));
  EXPECT_EQ(ids.shape[3], Dim::symbol("ids_dim3"));
  EXPECT_FALSE(value_named(*graph, "free").type.rank_known);
  EXPECT_EQ(graph->symbolic_dims(), (std::vector<std::string>{"batch", "ids_dim2", "ids_dim3"}));
}

TEST(OnnxImporterTest, SmallIntegerInitializersDecodeFromRawAndTypedFields) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  add_initializer(g, "raw64", onnx::TensorProto::INT64, {3})
      ->set_raw_data(le_bytes(std::vector<int64_t>{1, -2, 3}));
  auto* typed64 = add_initializer(g, "typed64", onnx::TensorProto::INT64, {2, 2});
  for (int64_t v : {4, 5, -6, 7}) typed64->add_int64_data(v);
  auto* i8 = add_initializer(g, "i8", onnx::TensorProto::INT8, {2});
  i8->add_int32_data(-128);
  i8->add_int32_data(127);
  add_initializer(g, "u16", onnx::TensorProto::UINT16, {2})
      ->set_raw_data(le_bytes(std::vector<uint16_t>{65535, 1}));
  add_initializer(g, "flags", onnx::TensorProto::BOOL, {3})
      ->set_raw_data(std::string("\x01\x00\x02", 3));
  add_initializer(g, "scalar", onnx::TensorProto::INT64, {})->add_int64_data(42);
  add_initializer(g, "empty", onnx::TensorProto::INT64, {0});
  add_initializer(g, "stripped", onnx::TensorProto::INT64, {5});  // weights removed: no data
  add_initializer(g, "i4", /*INT4, newer than onnx 1.12*/ 22, {3})
      ->set_raw_data(std::string("\x9f\x07", 2));
  add_output(g, "scalar");  // a graph without outputs is refused

  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  auto ints = [&](const std::string& name) {
    const auto& v = value_named(*graph, name);
    EXPECT_TRUE(v.data.has_value()) << name;
    return v.data ? v.data->ints : std::vector<int64_t>{};
  };
  EXPECT_EQ(ints("raw64"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(ints("typed64"), (std::vector<int64_t>{4, 5, -6, 7}));
  EXPECT_EQ(ints("i8"), (std::vector<int64_t>{-128, 127}));
  EXPECT_EQ(ints("u16"), (std::vector<int64_t>{65535, 1}));
  EXPECT_EQ(ints("flags"), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(ints("scalar"), (std::vector<int64_t>{42}));
  EXPECT_EQ(ints("empty"), (std::vector<int64_t>{}));
  EXPECT_EQ(ints("i4"), (std::vector<int64_t>{-1, -7, 7}));
  EXPECT_FALSE(value_named(*graph, "stripped").data.has_value());
  EXPECT_EQ(value_named(*graph, "scalar").type.rank(), 0);
}

TEST(OnnxImporterTest, NarrowFloatRawDataDecodes) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  // float16: 1, -2, 0.5, 65504 (largest), 2^-24 (smallest subnormal).
  add_initializer(g, "h", onnx::TensorProto::FLOAT16, {5})
      ->set_raw_data(le_bytes(std::vector<uint16_t>{0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001}));
  // bfloat16: 1, -3.
  add_initializer(g, "bf", onnx::TensorProto::BFLOAT16, {2})
      ->set_raw_data(le_bytes(std::vector<uint16_t>{0x3F80, 0xC040}));
  // float16 bit patterns in int32_data: 1.5.
  add_initializer(g, "h_typed", onnx::TensorProto::FLOAT16, {1})->add_int32_data(0x3E00);
  add_initializer(g, "f64", onnx::TensorProto::DOUBLE, {1})->add_double_data(0.125);
  add_output(g, "f64");

  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const auto& h = value_named(*graph, "h");
  ASSERT_TRUE(h.data.has_value());
  EXPECT_TRUE(h.data->is_float);
  EXPECT_EQ(h.data->floats, (std::vector<double>{1.0, -2.0, 0.5, 65504.0, std::ldexp(1.0, -24)}));
  EXPECT_EQ(value_named(*graph, "bf").data->floats, (std::vector<double>{1.0, -3.0}));
  EXPECT_EQ(value_named(*graph, "h_typed").data->floats, (std::vector<double>{1.5}));
  EXPECT_EQ(value_named(*graph, "f64").data->floats, (std::vector<double>{0.125}));
}

TEST(OnnxImporterTest, Float8AndFloat4PatternsDecode) {
  using onnx_detail::decode_raw;
  auto e4m3 = decode_raw(DType::kFloat8E4M3FN, std::string("\x7e\x38\xfe", 3), 3);
  ASSERT_TRUE(e4m3.ok());
  EXPECT_EQ(e4m3->floats, (std::vector<double>{448.0, 1.0, -448.0}));
  auto e5m2 = decode_raw(DType::kFloat8E5M2, std::string("\x3c\x7c", 2), 2);
  ASSERT_TRUE(e5m2.ok());
  EXPECT_EQ(e5m2->floats[0], 1.0);
  EXPECT_TRUE(std::isinf(e5m2->floats[1]));
  auto fp4 = decode_raw(DType::kFloat4E2M1, std::string("\xf2", 1), 2);  // 1.0, then -6.0
  ASSERT_TRUE(fp4.ok());
  EXPECT_EQ(fp4->floats, (std::vector<double>{1.0, -6.0}));
  auto wrong_size = decode_raw(DType::kFloat32, std::string("abc", 3), 1);
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_EQ(wrong_size.error().code(), ErrorCode::kParseError);
}

TEST(OnnxImporterTest, LargeInitializerHasTypeButNoContents) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  auto* big = add_initializer(g, "big", onnx::TensorProto::FLOAT, {kMaxConstElements + 1});
  for (int64_t i = 0; i <= kMaxConstElements; ++i) big->add_float_data(1.0f);
  add_initializer(g, "big_raw", onnx::TensorProto::INT64, {64, 128})
      ->set_raw_data(std::string(64 * 128 * 8, '\0'));
  add_initializer(g, "edge", onnx::TensorProto::INT8, {kMaxConstElements})
      ->set_raw_data(std::string(kMaxConstElements, '\x01'));
  add_output(g, "edge");

  for (bool from_file : {false, true}) {
    SCOPED_TRACE(from_file ? "from file" : "in memory");
    TempDir dir;
    auto graph = from_file ? import_onnx_file(dir.write("m.onnx", m.SerializeAsString()))
                           : import_onnx_model(m, "");
    ASSERT_TRUE(graph.ok()) << graph.error().message();
    const auto& b = value_named(*graph, "big");
    EXPECT_EQ(b.type, TensorType::make(DType::kFloat32, {kMaxConstElements + 1}));
    EXPECT_FALSE(b.data.has_value());
    EXPECT_EQ(value_named(*graph, "big_raw").type, TensorType::make(DType::kInt64, {64, 128}));
    EXPECT_FALSE(value_named(*graph, "big_raw").data.has_value());
    ASSERT_TRUE(value_named(*graph, "edge").data.has_value());
    EXPECT_EQ(value_named(*graph, "edge").data->ints.size(),
              static_cast<std::size_t>(kMaxConstElements));
  }
}

TEST(OnnxImporterTest, LoadSmallTensorsOffKeepsTypesOnly) {
  ImportOptions options;
  options.load_small_tensors = false;
  auto graph = import_onnx_model(conv_relu_model(), "", options);
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  EXPECT_FALSE(value_named(*graph, "B").data.has_value());
  EXPECT_EQ(value_named(*graph, "B").type, TensorType::make(DType::kFloat32, {4}));
}

// Differential: reading the file (which skips large payloads) and importing the parsed proto
// give the same graph.
TEST(OnnxImporterTest, FileImportMatchesInMemoryImport) {
  auto m = conv_relu_model();
  auto* g = m.mutable_graph();
  add_initializer(g, "huge", onnx::TensorProto::FLOAT, {256, 256})
      ->set_raw_data(std::string(256 * 256 * 4, '\x3f'));
  auto* c = add_node(g, "Constant", {}, {"k"}, "big_const");
  auto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(20000);
  a->mutable_t()->set_raw_data(std::string(80000, '\0'));
  add_output(g, "k");
  TempDir dir;
  auto from_file = import_onnx_file(dir.write("m.onnx", m.SerializeAsString()));
  auto in_memory = import_onnx_model(m, "");
  ASSERT_TRUE(from_file.ok()) << from_file.error().message();
  ASSERT_TRUE(in_memory.ok()) << in_memory.error().message();
  ASSERT_EQ(from_file->values.size(), in_memory->values.size());
  for (std::size_t i = 0; i < in_memory->values.size(); ++i) {
    const auto& a_v = from_file->values[i];
    const auto& b_v = in_memory->values[i];
    EXPECT_EQ(a_v.name, b_v.name);
    EXPECT_EQ(a_v.type, b_v.type) << a_v.name;
    EXPECT_EQ(a_v.data, b_v.data) << a_v.name;
    EXPECT_EQ(a_v.kind, b_v.kind) << a_v.name;
    EXPECT_EQ(a_v.consumers, b_v.consumers) << a_v.name;
  }
  ASSERT_EQ(from_file->nodes.size(), in_memory->nodes.size());
  for (std::size_t i = 0; i < in_memory->nodes.size(); ++i) {
    EXPECT_EQ(from_file->nodes[i].name, in_memory->nodes[i].name);
    EXPECT_EQ(from_file->nodes[i].attrs.all(), in_memory->nodes[i].attrs.all());
  }
  EXPECT_EQ(from_file->node(2).attrs.get_tensor("value")->type,
            TensorType::make(DType::kFloat32, {20000}));
}

TEST(OnnxImporterTest, ReaderSkipsOnlyLargeTensorPayloads) {
  auto m = conv_relu_model();
  auto* g = m.mutable_graph();
  add_initializer(g, "huge", onnx::TensorProto::FLOAT, {256, 256})
      ->set_raw_data(std::string(256 * 256 * 4, '\x3f'));
  auto* huge_typed = add_initializer(g, "huge_typed", onnx::TensorProto::INT64, {20000});
  for (int i = 0; i < 20000; ++i) huge_typed->add_int64_data(i);
  m.add_metadata_props()->set_key("exporter");
  TempDir dir;
  onnx::ModelProto read;
  ASSERT_TRUE(onnx_detail::read_model_file(dir.write("m.onnx", m.SerializeAsString()), &read).ok());
  const auto& inits = read.graph().initializer();
  EXPECT_EQ(inits[0].raw_data(), m.graph().initializer(0).raw_data());  // W: small, kept
  EXPECT_EQ(inits[1].float_data_size(), 4);                            // B: small, kept
  EXPECT_FALSE(inits[2].has_raw_data());                               // huge: skipped
  EXPECT_EQ(inits[2].dims_size(), 2);
  EXPECT_EQ(inits[3].int64_data_size(), 0);                            // huge_typed: skipped
  EXPECT_EQ(inits[3].name(), "huge_typed");
  EXPECT_EQ(read.metadata_props(0).key(), "exporter");
  EXPECT_EQ(read.graph().node_size(), 2);
  EXPECT_LT(read.ByteSizeLong(), 2000u);
}

void set_external(onnx::TensorProto* t, const std::string& location, int64_t offset,
                  int64_t length) {
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const std::string& k, const std::string& v) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", location);
  add("offset", std::to_string(offset));
  add("length", std::to_string(length));
}

onnx::ModelProto external_model(bool with_small) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{64}, int64_t{128}});
  set_external(add_initializer(g, "large", onnx::TensorProto::FLOAT, {64, 128}), "weights.bin", 48,
               64 * 128 * 4);
  add_node(g, "Add", {"x", "large"}, {"y"}, "add");
  if (with_small) {
    set_external(add_initializer(g, "shape", onnx::TensorProto::INT64, {4}), "weights.bin", 16, 32);
    add_node(g, "Reshape", {"y", "shape"}, {"z"}, "reshape");
    add_output(g, "z");
  } else {
    add_output(g, "y");
  }
  return m;
}

TEST(OnnxImporterTest, ExternalDataSmallTensorLoadedLargeNot) {
  TempDir dir;
  std::string side(48 + 64 * 128 * 4, '\0');
  const auto shape = le_bytes(std::vector<int64_t>{2, 32, 8, 16});
  side.replace(16, shape.size(), shape);
  dir.write("weights.bin", side);
  const auto path = dir.write("model.onnx", external_model(true).SerializeAsString());

  auto graph = import_onnx_file(path);
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const auto& small = value_named(*graph, "shape");
  ASSERT_TRUE(small.data.has_value());
  EXPECT_EQ(small.data->ints, (std::vector<int64_t>{2, 32, 8, 16}));
  EXPECT_EQ(small.external_location, "weights.bin");
  const auto& large = value_named(*graph, "large");
  EXPECT_FALSE(large.data.has_value());
  EXPECT_EQ(large.external_location, "weights.bin");
  EXPECT_EQ(large.type, TensorType::make(DType::kFloat32, {64, 128}));
}

TEST(OnnxImporterTest, ExternalDataMissingSideFileForLargeTensorIsFine) {
  TempDir dir;
  auto graph = import_onnx_file(dir.write("model.onnx", external_model(false).SerializeAsString()));
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  EXPECT_EQ(value_named(*graph, "large").external_location, "weights.bin");
  EXPECT_FALSE(value_named(*graph, "large").data.has_value());
}

TEST(OnnxImporterTest, ExternalDataMissingSideFileForSmallTensorFails) {
  TempDir dir;
  const auto path = dir.write("model.onnx", external_model(true).SerializeAsString());
  auto graph = import_onnx_file(path);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(contains(graph.error().message(), dir.file("weights.bin")))
      << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "initializer 'shape'")) << graph.error().message();
}

TEST(OnnxImporterTest, InitializersListedAsInputsAreNotGraphInputs) {
  auto m = conv_relu_model();
  m.set_ir_version(3);
  add_input(m.mutable_graph(), "W", onnx::TensorProto::FLOAT,
            {int64_t{4}, int64_t{3}, int64_t{3}, int64_t{3}});
  add_input(m.mutable_graph(), "B", onnx::TensorProto::FLOAT, {int64_t{4}});
  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  ASSERT_EQ(graph->inputs.size(), 1u);
  EXPECT_EQ(graph->value(graph->inputs[0]).name, "x");
  EXPECT_EQ(value_named(*graph, "W").kind, ValueKind::kInitializer);
}

TEST(OnnxImporterTest, OmittedOptionalsAndUnnamedNodesImport) {
  auto m = make_model(13);
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{1}, int64_t{4}});
  add_node(g, "Clip", {"x", "", "hi"}, {"c"});
  add_initializer(g, "hi", onnx::TensorProto::FLOAT, {})->add_float_data(6.0f);
  add_node(g, "Dropout", {"c"}, {"d", ""});
  add_node(g, "Relu", {"d"}, {"y"});
  add_node(g, "Relu", {"y"}, {"z"}, "Relu_2");  // a user name that a generated one must avoid
  add_output(g, "z");
  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const auto& nodes = graph->nodes;
  ASSERT_EQ(nodes.size(), 4u);
  EXPECT_EQ(nodes[0].inputs[1], kNoValue);
  EXPECT_EQ(nodes[1].outputs[1], kNoValue);
  std::set<std::string> names;
  for (const auto& n : nodes) {
    EXPECT_FALSE(n.name.empty());
    names.insert(n.name);
  }
  EXPECT_EQ(names.size(), 4u);
}

TEST(OnnxImporterTest, SparseInitializerHasDenseShape) {
  auto m = make_model();
  auto* s = m.mutable_graph()->add_sparse_initializer();
  s->add_dims(100);
  s->add_dims(200);
  s->mutable_values()->set_name("sparse_w");
  s->mutable_values()->set_data_type(onnx::TensorProto::FLOAT);
  s->mutable_values()->add_dims(2);
  s->mutable_values()->add_float_data(1.0f);
  s->mutable_values()->add_float_data(2.0f);
  add_output(m.mutable_graph(), "sparse_w");
  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  const auto& w = value_named(*graph, "sparse_w");
  EXPECT_EQ(w.kind, ValueKind::kInitializer);
  EXPECT_EQ(w.type, TensorType::make(DType::kFloat32, {100, 200}));
  EXPECT_FALSE(w.data.has_value());
}

// ---------------------------------------------------------------------------------------------
// Model-local functions.

// pkg.custom::Block(X) -> Y, attributes alpha (required) and axis (default 1):
//   T = LeakyRelu<alpha = @alpha>(X);  Y = Softmax<axis = @axis>(T)
onnx::FunctionProto block_function() {
  onnx::FunctionProto f;
  f.set_name("Block");
  f.set_domain("pkg.custom");
  f.add_input("X");
  f.add_output("Y");
  f.add_attribute("alpha");
  auto* op = f.add_opset_import();
  op->set_domain("");
  op->set_version(18);
  set_ref(add_node(f.mutable_node(), "LeakyRelu", {"X"}, {"T"}, "leaky"), "alpha", "alpha",
          onnx::AttributeProto::FLOAT);
  set_ref(add_node(f.mutable_node(), "Softmax", {"T"}, {"Y"}), "axis", "axis",
          onnx::AttributeProto::INT);
  // FunctionProto.attribute_proto (field 11, newer than onnx 1.12) holds the default of axis.
  onnx::AttributeProto axis_default;
  axis_default.set_name("axis");
  axis_default.set_type(onnx::AttributeProto::INT);
  axis_default.set_i(1);
  f.GetReflection()->MutableUnknownFields(&f)->AddLengthDelimited(
      11, axis_default.SerializeAsString());
  return f;
}

TEST(OnnxImporterTest, FunctionCallsAreInlinedWithAttributeReferences) {
  auto m = make_model(18);
  auto* custom = m.add_opset_import();
  custom->set_domain("pkg.custom");
  custom->set_version(1);
  *m.add_functions() = block_function();
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{2}, int64_t{8}});
  auto* call1 = add_node(g, "Block", {"x"}, {"a"}, "call1");
  call1->set_domain("pkg.custom");
  set_float(call1, "alpha", 0.25f);
  auto* call2 = add_node(g, "Block", {"a"}, {"b"}, "call2");
  call2->set_domain("pkg.custom");
  set_float(call2, "alpha", 0.5f);
  set_int(call2, "axis", 0);
  add_node(g, "Relu", {"b"}, {"call1/T"}, "relu");  // collides with an inner name of call1
  add_output(g, "call1/T");

  for (bool from_file : {false, true}) {
    SCOPED_TRACE(from_file ? "from file" : "in memory");
    TempDir dir;
    auto graph = from_file ? import_onnx_file(dir.write("f.onnx", m.SerializeAsString()))
                           : import_onnx_model(m, "");
    ASSERT_TRUE(graph.ok()) << graph.error().message();
    const Graph& gr = *graph;
    ASSERT_EQ(gr.nodes.size(), 5u);
    for (const auto& n : gr.nodes) EXPECT_NE(n.op_type, "Block");

    const Node* leaky1 = node_named(gr, "call1/leaky");
    const Node* leaky2 = node_named(gr, "call2/leaky");
    const Node* soft1 = node_named(gr, "call1/Softmax");
    const Node* soft2 = node_named(gr, "call2/Softmax");
    ASSERT_TRUE(leaky1 && leaky2 && soft1 && soft2);
    EXPECT_DOUBLE_EQ(leaky1->attrs.get_float("alpha", 0), 0.25);
    EXPECT_DOUBLE_EQ(leaky2->attrs.get_float("alpha", 0), 0.5);
    EXPECT_EQ(soft1->attrs.get_int("axis", -7), 1);  // the function's default
    EXPECT_EQ(soft2->attrs.get_int("axis", -7), 0);  // given by the caller
    EXPECT_EQ(leaky1->opset, 18);
    EXPECT_EQ(leaky1->domain, "");

    // Formal inputs and outputs are bound to the caller's values; inner values are renamed.
    EXPECT_EQ(gr.value(leaky1->inputs[0]).name, "x");
    EXPECT_EQ(gr.value(soft1->outputs[0]).name, "a");
    EXPECT_EQ(gr.value(leaky2->inputs[0]).name, "a");
    EXPECT_EQ(gr.value(soft2->outputs[0]).name, "b");
    const std::string t1 = gr.value(leaky1->outputs[0]).name;
    const std::string t2 = gr.value(leaky2->outputs[0]).name;
    EXPECT_NE(t1, "call1/T");  // taken by the main graph's value
    EXPECT_EQ(t2, "call2/T");
    EXPECT_EQ(soft1->inputs[0], leaky1->outputs[0]);
    EXPECT_TRUE(gr.validate().ok());
  }
}

TEST(OnnxImporterTest, NestedFunctionCallsResolveReferencesThroughLevels) {
  auto m = make_model(18);
  auto* custom = m.add_opset_import();
  custom->set_domain("pkg.custom");
  custom->set_version(1);
  *m.add_functions() = block_function();
  onnx::FunctionProto outer;
  outer.set_name("Outer");
  outer.set_domain("pkg.custom");
  outer.add_input("I");
  outer.add_output("O");
  outer.add_attribute("slope");
  auto* op = outer.add_opset_import();
  op->set_domain("pkg.custom");
  op->set_version(1);
  auto* inner = add_node(outer.mutable_node(), "Block", {"I"}, {"O"}, "inner");
  inner->set_domain("pkg.custom");
  set_ref(inner, "alpha", "slope", onnx::AttributeProto::FLOAT);
  *m.add_functions() = outer;
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{2}, int64_t{8}});
  auto* call = add_node(g, "Outer", {"x"}, {"y"}, "top");
  call->set_domain("pkg.custom");
  set_float(call, "slope", 0.125f);
  add_output(g, "y");

  auto graph = import_onnx_model(m, "");
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  ASSERT_EQ(graph->nodes.size(), 2u);
  const Node* leaky = node_named(*graph, "top/inner/leaky");
  ASSERT_NE(leaky, nullptr);
  EXPECT_DOUBLE_EQ(leaky->attrs.get_float("alpha", 0), 0.125);
  EXPECT_EQ(graph->value(leaky->inputs[0]).name, "x");
  EXPECT_EQ(graph->value(graph->nodes[1].outputs[0]).name, "y");
}

TEST(OnnxImporterTest, RecursiveFunctionIsUnsupported) {
  auto m = make_model(18);
  auto* custom = m.add_opset_import();
  custom->set_domain("pkg.custom");
  custom->set_version(1);
  onnx::FunctionProto f;
  f.set_name("Loop");
  f.set_domain("pkg.custom");
  f.add_input("X");
  f.add_output("Y");
  add_node(f.mutable_node(), "Loop", {"X"}, {"Y"})->set_domain("pkg.custom");
  *m.add_functions() = f;
  add_input(m.mutable_graph(), "x", onnx::TensorProto::FLOAT, {int64_t{1}});
  add_node(m.mutable_graph(), "Loop", {"x"}, {"y"}, "top")->set_domain("pkg.custom");
  add_output(m.mutable_graph(), "y");
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(contains(graph.error().message(), "pkg.custom::Loop")) << graph.error().message();
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(OnnxImporterTest, MissingFileIsNotFound) {
  TempDir dir;
  const auto path = dir.file("absent.onnx");
  auto graph = import_onnx_file(path);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(contains(graph.error().message(), path)) << graph.error().message();
}

TEST(OnnxImporterTest, EmptyFileIsParseError) {
  TempDir dir;
  const auto path = dir.write("empty.onnx", "");
  auto graph = import_onnx_file(path);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kParseError);
  EXPECT_TRUE(contains(graph.error().message(), path)) << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "empty")) << graph.error().message();
}

TEST(OnnxImporterTest, RandomBytesAreParseError) {
  TempDir dir;
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 20; ++trial) {
    std::string bytes(64 + trial * 97, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
    const auto path = dir.write("random.onnx", bytes);
    auto graph = import_onnx_file(path);
    ASSERT_FALSE(graph.ok());
    EXPECT_EQ(graph.error().code(), ErrorCode::kParseError) << graph.error().message();
    EXPECT_TRUE(contains(graph.error().message(), path)) << graph.error().message();
    EXPECT_TRUE(contains(graph.error().message(), "not an ONNX model")) << graph.error().message();
  }
}

TEST(OnnxImporterTest, TruncatedModelIsParseError) {
  TempDir dir;
  const std::string full = conv_relu_model().SerializeAsString();
  for (std::size_t cut : {full.size() / 4, full.size() / 2, full.size() - 3, full.size() - 1}) {
    const auto path = dir.write("cut.onnx", full.substr(0, cut));
    auto graph = import_onnx_file(path);
    ASSERT_FALSE(graph.ok()) << "cut at " << cut;
    EXPECT_EQ(graph.error().code(), ErrorCode::kParseError) << graph.error().message();
    EXPECT_TRUE(contains(graph.error().message(), path)) << graph.error().message();
    EXPECT_TRUE(contains(graph.error().message(), "not an ONNX model")) << graph.error().message();
  }
}

TEST(OnnxImporterTest, ModelWithoutGraphIsParseError) {
  auto m = make_model();
  m.clear_graph();
  TempDir dir;
  const auto path = dir.write("nograph.onnx", m.SerializeAsString());
  auto graph = import_onnx_file(path);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kParseError);
  EXPECT_TRUE(contains(graph.error().message(), path)) << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "no graph")) << graph.error().message();
}

TEST(OnnxImporterTest, CycleIsInvalid) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  add_node(g, "Relu", {"b"}, {"a"}, "first");
  add_node(g, "Relu", {"a"}, {"b"}, "second");
  add_output(g, "a");
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(graph.error().message(), "cycle")) << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "Relu node '")) << graph.error().message();
}

// Single subgraphs import (control_flow_test.cc); lists of subgraphs do not.
TEST(OnnxImporterTest, SubgraphListAttributeIsUnsupported) {
  auto m = make_model(17);
  auto* g = m.mutable_graph();
  add_input(g, "cond", onnx::TensorProto::BOOL, {});
  auto* node = add_node(g, "If", {"cond"}, {"y"}, "cond_if");
  auto* a = node->add_attribute();
  a->set_name("branches");
  a->set_type(onnx::AttributeProto::GRAPHS);
  a->add_graphs()->set_name("then");
  add_output(g, "y");
  TempDir dir;
  const auto path = dir.write("if.onnx", m.SerializeAsString());
  auto graph = import_onnx_file(path);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kUnsupported);
  const auto& msg = graph.error().message();
  EXPECT_TRUE(contains(msg, path + ": If node 'cond_if' (opset 17): attribute 'branches': lists "
                                   "of subgraphs are not supported")) << msg;
}

TEST(OnnxImporterTest, SparseTensorAttributeIsUnsupported) {
  auto m = make_model(17);
  auto* node = add_node(m.mutable_graph(), "Constant", {}, {"y"}, "sparse_const");
  auto* a = node->add_attribute();
  a->set_name("sparse_value");
  a->set_type(onnx::AttributeProto::SPARSE_TENSOR);
  a->mutable_sparse_tensor()->add_dims(4);
  add_output(m.mutable_graph(), "y");
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(contains(graph.error().message(), "Constant node 'sparse_const' (opset 17)"))
      << graph.error().message();
}

TEST(OnnxImporterTest, InputNobodyProducesNamesNodeAndValue) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{1}});
  add_node(g, "Add", {"x", "ghost"}, {"y"}, "adder");
  add_output(g, "y");
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(graph.error().message(), "Add node 'adder'")) << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "'ghost'")) << graph.error().message();
}

TEST(OnnxImporterTest, MissingOpsetImportNamesNodeAndDomain) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{1}});
  add_node(g, "FusedGelu", {"x"}, {"y"}, "gelu0")->set_domain("com.microsoft");
  add_output(g, "y");
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(graph.error().message(), "FusedGelu node 'gelu0'"))
      << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "'com.microsoft'")) << graph.error().message();
}

TEST(OnnxImporterTest, NonTensorInputIsUnsupported) {
  auto m = make_model();
  auto* vi = m.mutable_graph()->add_input();
  vi->set_name("tokens");
  auto* elem = vi->mutable_type()->mutable_sequence_type()->mutable_elem_type();
  elem->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(contains(graph.error().message(), "graph input 'tokens'")) << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "sequence")) << graph.error().message();
}

TEST(OnnxImporterTest, UnknownDataTypeIsUnsupported) {
  auto m = make_model();
  add_initializer(m.mutable_graph(), "odd", 99, {2});
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(contains(graph.error().message(), "initializer 'odd'")) << graph.error().message();
  EXPECT_TRUE(contains(graph.error().message(), "99")) << graph.error().message();
}

TEST(OnnxImporterTest, MismatchedRawDataSizeIsParseError) {
  auto m = make_model();
  add_initializer(m.mutable_graph(), "short", onnx::TensorProto::INT64, {4})
      ->set_raw_data(le_bytes(std::vector<int64_t>{1, 2}));
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kParseError);
  EXPECT_TRUE(contains(graph.error().message(), "initializer 'short'")) << graph.error().message();
}

TEST(OnnxImporterTest, AttributeReferenceOutsideFunctionIsInvalid) {
  auto m = make_model();
  auto* g = m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {int64_t{1}});
  set_ref(add_node(g, "LeakyRelu", {"x"}, {"y"}, "lr"), "alpha", "slope",
          onnx::AttributeProto::FLOAT);
  add_output(g, "y");
  auto graph = import_onnx_model(m, "");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(graph.error().message(), "LeakyRelu node 'lr'")) << graph.error().message();
}

TEST(OnnxImporterTest, DirectoryIsNotAModel) {
  TempDir dir;
  auto graph = import_onnx_file(dir.file(""));
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace graphs
