// Sweep report as one self-contained HTML page (`graphs sweep ... --format html`, `graphs compare
// ... --format html`): per model the latency vs energy-per-sample scatter with its Pareto front,
// the best throughput per watt per target as bars, and the table of every configuration
// (invalid ones with their reason). Every string from a model or a hardware file is escaped.
#pragma once

#include <string>

#include "graphs/sweep/sweep.h"

namespace graphs {

/// `title` heads the page ("graphs sweep", "graphs compare resnet50").
std::string render_sweep_html(const SweepResult& result, const std::string& title);

}  // namespace graphs
