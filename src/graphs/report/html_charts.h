// The charts of the HTML reports, each an inline <svg> string built from plain data (no model or
// estimator types here, so each chart can be tested on its own). Every label is escaped.
//
// Element classes the tests and the Chromium check rely on:
//   roofline:        circle.kernel (one per kernel), line.roof-memory, line.ceiling (one per
//                    precision group), circle.ridge (one per precision group)
//   bar chart:       rect.bar (one per bar)
//   memory timeline: polygon.activations, rect.weights, line.peak
//   Pareto scatter:  circle.config (one per point), polyline.pareto-front
#pragma once

#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/ir/graph.h"

namespace graphs::html {

// ---- roofline -------------------------------------------------------------------------------

struct RooflinePoint {
  std::string label;             // kernel name (tooltip)
  std::string op_class;          // colour group
  double arithmetic_intensity = 0;   // FLOP/byte; ≤ 0 drawn at the left edge, hollow
  double attained_flops_per_s = 0;   // FLOPs / predicted latency; ≤ 0 drawn at the bottom edge
};

/// A horizontal compute ceiling and its ridge point (where the memory roof meets it).
struct RooflineCeiling {
  std::string label;                  // "fp16/bf16 matrix"
  double flops_per_s = 0;             // effective peak (peak × efficiency)
  bool highlighted = false;           // the precision of the analysis
};

struct RooflineChart {
  std::string title;
  double bandwidth_bytes_per_s = 0;   // effective DRAM bandwidth (peak × efficiency)
  std::vector<RooflineCeiling> ceilings;
  std::vector<RooflinePoint> points;
};

/// Log-log: x arithmetic intensity (FLOP/B), y attained FLOP/s. Ridge of ceiling c at
/// c.flops_per_s / bandwidth_bytes_per_s.
std::string roofline_svg(const RooflineChart& chart);

/// The axis ranges roofline_svg uses: {x_lo, x_hi, y_lo, y_hi}, whole decades covering every
/// point with positive coordinates, every ridge point and every ceiling.
std::vector<double> roofline_ranges(const RooflineChart& chart);

// ---- bars -----------------------------------------------------------------------------------

struct Bar {
  std::string label;
  double value = 0;
  std::string value_label;   // shown at the bar's end, with its unit ("1.23 ms")
  std::string tooltip;
};

/// Horizontal bars in the given order, linear x from 0; tick labels carry `unit` after an SI
/// prefix ("50.0 us" for unit "s").
std::string bar_chart_svg(const std::string& title, const std::string& x_label,
                          const std::string& unit, const std::vector<Bar>& bars);

// ---- memory timeline ------------------------------------------------------------------------

/// Live activation bytes at each kernel of `partition`'s execution order (index = kernel id),
/// by the liveness rule of estimate/roofline.h: a tensor lives from its producing kernel to its
/// last consuming kernel, views share their source's storage, graph inputs live from the start
/// and graph outputs to the end. Its maximum is peak_activation_bytes(graph, ch, partition).
std::vector<double> live_activation_timeline(const Graph& graph, const Characterization& ch,
                                             const Partition& partition);

struct MemoryTimeline {
  std::string title;
  std::vector<double> live_activation_bytes;  // per kernel step
  double weight_bytes = 0;                    // drawn as a constant band under the activations
  double capacity_bytes = 0;                  // device memory; 0 = unknown (callers say so in the title)
};

/// x: kernel execution order, y: bytes (linear).
std::string memory_timeline_svg(const MemoryTimeline& timeline);

// ---- Pareto scatter -------------------------------------------------------------------------

struct ScatterPoint {
  std::string label;    // tooltip ("h100-sxm5-80gb, batch 8, fp16")
  std::string group;    // colour group (hardware ID)
  double latency_s = 0;
  double energy_per_sample_j = 0;
  bool pareto = false;
};

/// Log-log: x latency (s), y energy per sample (J); Pareto points outlined and joined by a
/// staircase. Points with non-positive figures are skipped (callers pass valid rows only).
std::string pareto_scatter_svg(const std::string& title, const std::vector<ScatterPoint>& points);

}  // namespace graphs::html
