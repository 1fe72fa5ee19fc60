// Self-contained HTML reports: one file, inline CSS and inline SVG charts (graphs/report/
// html_charts.h), no scripts, no network. Every string that comes from a model, a file or a
// hardware description is escaped.
//
// Analysis report (`graphs analyze MODEL --hardware ID --format html`): model totals, an estimate
// table, and per target the roofline (each fused kernel a point, each precision the target runs
// a ceiling with its ridge point), latency by op class, and the memory timeline (live activation
// bytes over kernel execution order on a band of weights).
// Sweep report (`graphs sweep ... --format html`, `graphs compare ... --format html`): per model
// the latency vs energy-per-sample scatter with its Pareto front, the best throughput per watt per
// target as bars, and the table of every configuration (invalid ones with their reason).
#pragma once

#include <string>

#include "graphs/analysis/pipeline.h"
#include "graphs/hardware/registry.h"
#include "graphs/sweep/sweep.h"

namespace graphs {

/// `registry` supplies each estimate's target (ceilings at every precision it runs); a target
/// missing from it gets the ceiling of the analysed precision only.
std::string render_analysis_html(const Analysis& analysis, const HardwareRegistry& registry);

/// `title` heads the page ("graphs sweep", "graphs compare resnet50").
std::string render_sweep_html(const SweepResult& result, const std::string& title);

}  // namespace graphs
