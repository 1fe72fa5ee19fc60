#include "graphs/onnx/onnx_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>

namespace graphs::onnx_detail {
namespace {

namespace pbio = google::protobuf::io;

// The messages whose fields the walker looks into; every other field is copied verbatim.
enum class Kind { kOpaque, kModel, kGraph, kNode, kAttribute, kTensor, kSparseTensor, kFunction };

// Field numbers from onnx.proto (ONNX 1.17; newer fields are harmless here).
Kind child_kind(Kind parent, uint32_t field) {
  switch (parent) {
    case Kind::kModel:
      if (field == 7) return Kind::kGraph;      // graph
      if (field == 25) return Kind::kFunction;  // functions
      break;
    case Kind::kGraph:
      if (field == 1) return Kind::kNode;          // node
      if (field == 5) return Kind::kTensor;        // initializer
      if (field == 15) return Kind::kSparseTensor; // sparse_initializer
      break;
    case Kind::kNode:
      if (field == 5) return Kind::kAttribute;  // attribute
      break;
    case Kind::kAttribute:
      if (field == 5 || field == 10) return Kind::kTensor;        // t, tensors
      if (field == 6 || field == 11) return Kind::kGraph;         // g, graphs
      if (field == 22 || field == 23) return Kind::kSparseTensor; // sparse_tensor(s)
      break;
    case Kind::kFunction:
      if (field == 7) return Kind::kNode;        // node
      if (field == 11) return Kind::kAttribute;  // attribute_proto (defaults)
      break;
    case Kind::kSparseTensor:
      if (field == 1 || field == 2) return Kind::kTensor;  // values, indices
      break;
    case Kind::kTensor:
    case Kind::kOpaque:
      break;
  }
  return Kind::kOpaque;
}

// For a TensorProto data field, the most bytes it can take while holding at most
// kMaxConstElements elements: float_data (4) packs 4-byte floats, double_data (10) 8-byte doubles,
// int32_data (5), int64_data (7) and uint64_data (11) varints of at most 10 bytes, raw_data (9)
// elements of at most 16 bytes (complex128). -1 for any other field.
int64_t max_small_payload_bytes(uint32_t field) {
  switch (field) {
    case 4: return 4 * kMaxConstElements;
    case 10: return 8 * kMaxConstElements;
    case 5: case 7: case 11: return 10 * kMaxConstElements;
    case 9: return kElideTensorBytes;
    default: return -1;
  }
}

constexpr uint32_t kModelTrainingInfo = 20;
constexpr int kMaxDepth = 64;

void append_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void append_fixed(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Walker {
 public:
  Walker(pbio::CodedInputStream* in, int64_t file_size) : in_(in), file_size_(file_size) {}

  // Copies the fields of a message of `kind` up to the current limit (or the end of the file)
  // into `out`, descending into known sub-messages and leaving out large tensor payloads.
  Status copy(Kind kind, std::string* out, int depth) {
    if (depth > kMaxDepth) return not_onnx("messages nested more than 64 deep");
    while (remaining() > 0) {
      const int64_t at = in_->CurrentPosition();
      const uint32_t tag = in_->ReadTag();
      const uint32_t field = tag >> 3;
      if (tag == 0 || field == 0) return not_onnx("invalid field tag at byte ", at);
      switch (tag & 7) {
        case 0: {  // varint
          uint64_t v = 0;
          if (!in_->ReadVarint64(&v)) return truncated(at);
          append_varint(out, tag);
          append_varint(out, v);
          break;
        }
        case 1: {  // fixed64
          uint64_t v = 0;
          if (!in_->ReadLittleEndian64(&v)) return truncated(at);
          append_varint(out, tag);
          append_fixed(out, v, 8);
          break;
        }
        case 5: {  // fixed32
          uint32_t v = 0;
          if (!in_->ReadLittleEndian32(&v)) return truncated(at);
          append_varint(out, tag);
          append_fixed(out, v, 4);
          break;
        }
        case 2: {  // length-delimited
          uint64_t len = 0;
          if (!in_->ReadVarint64(&len)) return truncated(at);
          if (len > static_cast<uint64_t>(remaining())) return truncated(at);
          const int size = static_cast<int>(len);
          const bool drop = (kind == Kind::kModel && field == kModelTrainingInfo) ||
                            (kind == Kind::kTensor && max_small_payload_bytes(field) >= 0 &&
                             static_cast<int64_t>(len) > max_small_payload_bytes(field));
          if (drop) {
            if (!in_->Skip(size)) return truncated(at);
            break;
          }
          const Kind child = child_kind(kind, field);
          std::string payload;
          if (child == Kind::kOpaque) {
            if (!in_->ReadString(&payload, size)) return truncated(at);
          } else {
            const auto limit = in_->PushLimit(size);
            GRAPHS_RETURN_IF_ERROR(copy(child, &payload, depth + 1));
            in_->PopLimit(limit);
          }
          append_varint(out, tag);
          append_varint(out, payload.size());
          out->append(payload);
          break;
        }
        default:
          return not_onnx("unsupported wire type ", tag & 7, " at byte ", at);
      }
    }
    return ok_status();
  }

 private:
  int64_t remaining() const {
    const int limit = in_->BytesUntilLimit();
    return limit >= 0 ? limit : file_size_ - in_->CurrentPosition();
  }

  template <typename... Args>
  static Error not_onnx(Args&&... parts) {
    return make_error(ErrorCode::kParseError, "not an ONNX model: ", std::forward<Args>(parts)...);
  }
  Error truncated(int64_t at) const {
    return not_onnx("truncated or corrupt field at byte ", at, " of ", file_size_);
  }

  pbio::CodedInputStream* in_;
  int64_t file_size_;
};

// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Status read_model_file(const std::string& path, onnx::ModelProto* model) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    return make_error(ErrorCode::kNotFound, "no such file");
  }
  if (ec) return make_error(ErrorCode::kIoError, "cannot access file: ", ec.message());
  if (status.type() == fs::file_type::directory) {
    return make_error(ErrorCode::kInvalidArgument, "is a directory, not an ONNX file");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::kIoError, "cannot open file: ", std::strerror(errno));
  }
  FdCloser closer{fd};
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
    return make_error(ErrorCode::kIoError, "cannot read file: ", std::strerror(errno));
  }
  if (size == 0) return make_error(ErrorCode::kParseError, "not an ONNX model: the file is empty");
  if (size > INT_MAX) {
    return make_error(ErrorCode::kUnsupported, "file is ", static_cast<int64_t>(size),
                      " bytes; protobuf cannot read more than 2 GB (store weights as external "
                      "data)");
  }

  std::string filtered;
  {
    pbio::FileInputStream file(fd);
    pbio::CodedInputStream in(&file);
    in.SetTotalBytesLimit(static_cast<int>(size));
    Walker walker(&in, static_cast<int64_t>(size));
    Status walked = walker.copy(Kind::kModel, &filtered, 0);
    if (file.GetErrno() != 0) {
      return make_error(ErrorCode::kIoError, "cannot read file: ", std::strerror(file.GetErrno()));
    }
    GRAPHS_RETURN_IF_ERROR(std::move(walked));
  }
  if (!model->ParseFromString(filtered)) {
    return make_error(ErrorCode::kParseError, "not an ONNX model: protobuf decoding failed");
  }
  return ok_status();
}

}  // namespace graphs::onnx_detail
