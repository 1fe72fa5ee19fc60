#include "graphs/estimate/kernel_work.h"

#include <algorithm>
#include <map>
#include <string>

namespace graphs {
namespace {

double value_bytes(const Value& v, const PrecisionMap& p) {
  const auto n = v.type.numel();
  return n ? static_cast<double>(*n) * dtype_bits(p.map(v)) / 8.0 : 0;
}

const Value* input_value(const Graph& g, const Node& n, std::size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue) return nullptr;
  const Value& v = g.value(n.inputs[i]);
  return v.type.is_static() ? &v : nullptr;
}

const Value* output_value(const Graph& g, const Node& n) {
  if (n.outputs.empty() || n.outputs[0] == kNoValue) return nullptr;
  const Value& v = g.value(n.outputs[0]);
  return v.type.is_static() ? &v : nullptr;
}

double product(const std::vector<int64_t>& d, std::size_t from, std::size_t to) {
  double p = 1;
  for (std::size_t i = from; i < to && i < d.size(); ++i) p *= static_cast<double>(d[i]);
  return p;
}

// MatMul-like: output [.., M, N]; A's last dim is K (index a, weight index b).
std::optional<GemmShape> matmul_like(const Graph& g, const Node& n, std::size_t a, std::size_t b,
                                     const PrecisionMap& p) {
  const Value* av = input_value(g, n, a);
  const Value* bv = input_value(g, n, b);
  const Value* out = output_value(g, n);
  if (!av || !bv || !out) return std::nullopt;
  const auto ad = av->type.dims();
  const auto od = out->type.dims();
  if (ad.empty() || od.empty()) return std::nullopt;
  GemmShape s;
  s.k = static_cast<double>(ad.back());
  if (od.size() == 1) {
    s.n = static_cast<double>(od[0]);
    s.m = ad.size() >= 2 ? static_cast<double>(ad[ad.size() - 2]) : 1;
  } else {
    s.n = static_cast<double>(od.back());
    s.m = static_cast<double>(od[od.size() - 2]);
    s.batch = product(od, 0, od.size() - 2);
    // A Linear: activation [.., M, K] × a 2-D weight (or one broadcast over every batch dim).
    // cuBLAS/CUTLASS run it as one GEMM with the leading dims folded into M (torch.nn.functional.
    // linear reshapes its input to [∏ leading, K]), not as `batch` separate GEMMs.
    const auto bd = bv->type.dims();
    if (n.op_type == "MatMulNBits" || bd.size() <= 2 || product(bd, 0, bd.size() - 2) == 1) {
      s.m *= s.batch;
      s.batch = 1;
    }
  }
  if (n.op_type == "MatMulNBits") s.k = static_cast<double>(n.attrs.get_int("K", ad.back()));
  s.a_bytes = value_bytes(*av, p);
  s.b_bytes = value_bytes(*bv, p);
  return s;
}

std::optional<GemmShape> gemm_op(const Graph& g, const Node& n, const PrecisionMap& p) {
  const Value* av = input_value(g, n, 0);
  const Value* bv = input_value(g, n, 1);
  const Value* out = output_value(g, n);
  if (!av || !bv || !out) return std::nullopt;
  const auto ad = av->type.dims();
  const auto od = out->type.dims();
  if (ad.size() != 2 || od.size() != 2) return std::nullopt;
  GemmShape s;
  s.m = static_cast<double>(od[0]);
  s.n = static_cast<double>(od[1]);
  s.k = static_cast<double>(n.attrs.get_int("transA", 0) ? ad[0] : ad[1]);
  s.a_bytes = value_bytes(*av, p);
  s.b_bytes = value_bytes(*bv, p);
  return s;
}

std::optional<GemmShape> conv_like(const Graph& g, const Node& n, std::size_t x, std::size_t w,
                                   const PrecisionMap& p) {
  const Value* xv = input_value(g, n, x);
  const Value* wv = input_value(g, n, w);
  const Value* out = output_value(g, n);
  if (!xv || !wv || !out) return std::nullopt;
  const auto wd = wv->type.dims();
  const auto od = out->type.dims();
  if (wd.size() < 3 || od.size() < 3) return std::nullopt;
  const double groups = static_cast<double>(n.attrs.get_int("group", 1));
  GemmShape s;
  s.batch = groups;
  s.m = static_cast<double>(od[0]) * product(od, 2, od.size());
  s.n = static_cast<double>(wd[0]) / groups;
  s.k = product(wd, 1, wd.size());
  s.kernel_elems = product(wd, 2, wd.size());
  if (s.n < kMinGemmN) return std::nullopt;
  // The implicit im2col matrix [M, K] the tiles read (each input element up to ∏kernel times).
  s.a_bytes = s.batch * s.m * s.k * dtype_bits(p.map(*xv)) / 8.0;
  s.b_bytes = value_bytes(*wv, p);
  return s;
}

}  // namespace

std::optional<GemmShape> gemm_shape(const Graph& g, const Node& n, const PrecisionMap& p) {
  if (!n.domain.empty() && n.domain != "ai.onnx" && n.domain != "com.microsoft") {
    return std::nullopt;
  }
  const std::string& op = n.op_type;
  if (op == "MatMul" || op == "MatMulInteger" || op == "MatMulNBits") return matmul_like(g, n, 0, 1, p);
  if (op == "QLinearMatMul") return matmul_like(g, n, 0, 3, p);
  if (op == "Gemm") return gemm_op(g, n, p);
  if (op == "Conv" || op == "ConvInteger") return conv_like(g, n, 0, 1, p);
  if (op == "QLinearConv") return conv_like(g, n, 0, 3, p);
  return std::nullopt;
}

std::vector<KernelWork> kernel_work(const Graph& g, const Characterization& ch,
                                    const Partition& part) {
  std::vector<KernelWork> out;
  out.reserve(part.kernels.size());
  for (const auto& k : part.kernels) {
    KernelWork w;
    w.kernel = k.id;
    w.op_class = k.op_class;
    w.attention = k.attention;
    if (!k.nodes.empty()) w.anchor_op = g.node(k.nodes[static_cast<std::size_t>(k.anchor_index)]).op_type;
    w.flops = k.flops;
    w.macs = k.macs;
    w.input_bytes = k.input_bytes;
    w.weight_bytes = k.weight_bytes;
    w.output_bytes = k.output_bytes;
    if (k.op_class == OpClass::kConv || k.op_class == OpClass::kMatMul) {
      const Node& anchor = g.node(k.nodes[static_cast<std::size_t>(k.anchor_index)]);
      w.gemm = gemm_shape(g, anchor, ch.precision);
      // A conv that is no GEMM (depthwise) runs on the vector units; a matmul without a GEMM
      // view (Einsum) still runs on the matrix units, at full tile utilization.
      w.matrix = k.op_class == OpClass::kMatMul || w.gemm.has_value();
    }
    out.push_back(std::move(w));
  }
  return out;
}

void mark_cache_resident_inputs(const Graph& g, const Characterization& ch,
                                const Partition& part, double capacity_bytes,
                                std::vector<KernelWork>& work) {
  if (capacity_bytes <= 0) return;
  // The storage a value lives in: follow free (view) nodes back to a kernel output.
  auto root = [&](ValueId v) {
    for (int guard = 0; guard < 64; ++guard) {
      const Value& val = g.value(v);
      if (val.kind != ValueKind::kActivation || val.producer == kNoNode) return v;
      if (part.kernel_of_node[static_cast<std::size_t>(val.producer)] >= 0) return v;
      ValueId next = kNoValue;
      for (ValueId in : g.node(val.producer).inputs) {
        if (in != kNoValue && !g.value(in).data) {
          next = in;
          break;
        }
      }
      if (next == kNoValue) return v;
      v = next;
    }
    return v;
  };
  std::map<ValueId, double> written_at;  // kernel output → cumulative bytes written before it
  double written = 0;
  for (std::size_t i = 0; i < part.kernels.size() && i < work.size(); ++i) {
    const auto& k = part.kernels[i];
    double resident = 0;
    for (ValueId v : k.inputs) {
      const Value& val = g.value(v);
      if (is_parameter(val) || val.kind != ValueKind::kActivation) continue;
      const auto it = written_at.find(root(v));
      if (it == written_at.end()) continue;
      const double size = value_bytes(g.value(it->first), ch.precision);
      if (written - it->second + size <= capacity_bytes) {
        resident += std::min(size, value_bytes(val, ch.precision));
      }
    }
    work[i].cache_resident_input_bytes = std::min(resident, work[i].input_bytes);
    for (ValueId v : k.outputs) {
      written += value_bytes(g.value(v), ch.precision);
      written_at[v] = written;  // bytes written up to and including this value
    }
  }
}

}  // namespace graphs
