// Internal to the ONNX importer: reading a model file without keeping large weights in memory.
//
// The file is walked field by field with a protobuf CodedInputStream (total-bytes limit raised
// to the file's size, so models up to 2 GB read). Inside every TensorProto that the importer
// can reach (graph initializers, sparse initializers, tensor attributes of nodes in the graph,
// in subgraphs and in model-local functions) a data field (raw_data, float_data, int32_data,
// int64_data, double_data, uint64_data) too long to hold kMaxConstElements elements or fewer is
// skipped, not read (at most kElideTensorBytes stay for raw_data, less for the typed fields): such
// a tensor's contents are never decoded anyway, and its type comes from dims and data_type.
// ModelProto.training_info is dropped. Everything else is kept as is and parsed into the
// ModelProto, so unknown (newer) fields survive as unknown fields.
#pragma once

#include <cstdint>
#include <string>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace onnx {
class ModelProto;
}  // namespace onnx

namespace graphs::onnx_detail {

/// 16 bytes is the widest element (complex128), so raw_data longer than this holds more than
/// kMaxConstElements elements.
inline constexpr int64_t kElideTensorBytes = 16 * kMaxConstElements;

/// Reads the model at `path` into `model`. Messages do not name the file (the caller prefixes
/// it). Errors: kNotFound (no such file), kInvalidArgument (a directory), kIoError (cannot be
/// opened or read), kUnsupported (over 2 GB), kParseError ("not an ONNX model: ..." for an empty
/// file, bytes that are not protobuf, a truncated file).
Status read_model_file(const std::string& path, onnx::ModelProto* model);

}  // namespace graphs::onnx_detail
