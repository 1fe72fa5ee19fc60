// Reports of an Analysis: text for a terminal, Markdown, and JSON for machines.
//
// JSON schema (versioned by "schema_version", currently kAnalysisSchemaVersion; fields carry
// their unit: *_s seconds, *_j joules, *_bytes bytes, *_per_s per second):
// {"schema_version":1, "tool":{"name":"graphs","version":..},
//  "model":{"source","name","format","batch","seq_len","dims":{NAME:N},"precision",
//           "weight_precision","kv_precision"},
//  "totals":{"params","active_params","active_weight_bytes","macs","flops","weight_bytes",
//            "activation_bytes","bytes_read",
//            "bytes_written","arithmetic_intensity","nodes","compute_nodes","fused_kernels"},
//  "op_classes":[{"op_class","nodes","macs","flops","bytes"}],
//  "nodes":[...]            (with per_node)
//  "kernels":[{"id","name","op_class","nodes":[names],"macs","flops","input_bytes",
//              "weight_bytes","output_bytes","arithmetic_intensity"}]   (with per_kernel)
//  "estimates":[{"hardware","hardware_name","precision","mapper","cuda_graphs",
//                "matrix_utilization","notes":[text],"latency_s","throughput_samples_per_s",
//                "energy_j","dynamic_energy_j","static_energy_j","compute_s","memory_s",
//                "overhead_s","compute_bound_kernels","memory_bound_kernels",
//                "ridge_point_flop_per_byte","matrix_peak_flops_per_s",
//                "memory_bandwidth_bytes_per_s","memory":{"weight_bytes",
//                "peak_activation_bytes","workspace_bytes","peak_bytes","capacity_bytes","fits"},
//                "kernels":[{"id","latency_s","compute_s","memory_s","overhead_s","bound",
//                            "energy_j","utilization","thread_blocks","waves","tile":[m,n],
//                            "dram_bytes","l2_bytes"}]}],
//  "llm":{"layers","heads","kv_heads","head_dim","hidden","vocab",            (with --phase)
//         "phases":[{"hardware","phase","batch","prompt_tokens","kv_precision","ttft_s",
//                    "prefill_tokens_per_s","weight_bytes","kv_cache_bytes",
//                    "prefill_activation_bytes","peak_bytes","capacity_bytes","fits",
//                    decode: "tpot_s","decode_graph_s","decode_attention_s",
//                    "decode_tokens_per_s","decode_energy_per_token_j","decode_memory_bound",
//                    "decode_activation_bytes","contexts":[{"context","kv_cache_bytes","tpot_s",
//                    "memory_bytes","fits"}]}]}}
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "graphs/pipeline/pipeline.h"
#include "graphs/common/status.h"

namespace graphs {

inline constexpr int kAnalysisSchemaVersion = 1;

enum class ReportFormat { kText, kJson, kMarkdown };
Result<ReportFormat> parse_report_format(const std::string& name);

struct ReportOptions {
  bool per_kernel = false;  // per fused kernel tables (and per-kernel estimates)
  bool per_node = false;    // per node table
  int top_kernels = 10;     // kernels listed in text/markdown without per_kernel
};

nlohmann::json analysis_to_json(const Analysis& analysis, const ReportOptions& options);
std::string render_analysis(const Analysis& analysis, ReportFormat format,
                            const ReportOptions& options);

}  // namespace graphs
