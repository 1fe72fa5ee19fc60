// Self-contained HTML reports: one file, inline CSS and inline SVG charts (graphs/report/
// html_charts.h), no scripts, no network. Every string that comes from a model, a file or a
// hardware description is escaped.
//
// Analysis report (`graphs analyze MODEL --hardware ID --format html`): model totals, an estimate
// table, and per target the roofline (each fused kernel a point, each precision the target runs
// a ceiling with its ridge point), latency by op class, and the memory timeline (live activation
// bytes over kernel execution order on a band of weights).
// The sweep report lives with the sweep (sweep/sweep_html.h), on the same page frame
// (report/html_page.h).
#pragma once

#include <string>

#include "graphs/pipeline/pipeline.h"
#include "graphs/hardware/registry.h"

namespace graphs {

/// `registry` supplies each estimate's target (ceilings at every precision it runs); a target
/// missing from it gets the ceiling of the analysed precision only.
std::string render_analysis_html(const Analysis& analysis, const HardwareRegistry& registry);

}  // namespace graphs
