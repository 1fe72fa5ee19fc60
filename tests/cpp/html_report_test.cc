// Tests of the HTML reports and their SVG charts: each <svg> is well-formed XML, every
// user-derived string is escaped, the roofline has one point per fused kernel and one ridge point
// per precision group inside its axis ranges, the memory timeline peaks at the estimator's peak,
// and the sweep page has a scatter with a Pareto front per model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "graphs/pipeline/pipeline.h"
#include "graphs/estimate/roofline.h"
#include "graphs/hardware/registry.h"
#include "graphs/report/html_charts.h"
#include "graphs/report/html_report.h"
#include "graphs/sweep/sweep_html.h"
#include "graphs/report/svg.h"
#include "graphs/sweep/sweep.h"

namespace graphs {
namespace {

const HardwareRegistry& registry() {
  static const HardwareRegistry r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return std::move(loaded).value();
  }();
  return r;
}

// A small XML well-formedness check: balanced, properly nested tags; quoted attributes with no
// raw '<' or '&' outside entities; text without raw '<'; only the five XML entities or numeric
// references. Returns "" when well-formed, else what is wrong.
std::string xml_problem(const std::string& x) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  auto check_entity = [&](std::size_t at) -> bool {
    const std::size_t semi = x.find(';', at);
    if (semi == std::string::npos || semi - at > 10) return false;
    const std::string e = x.substr(at + 1, semi - at - 1);
    static const std::regex ok("amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+");
    return std::regex_match(e, ok);
  };
  while (i < x.size()) {
    if (x[i] == '&') {
      if (!check_entity(i)) return "bad entity at " + std::to_string(i) + ": " + x.substr(i, 12);
      ++i;
      continue;
    }
    if (x[i] != '<') {
      if (x[i] == '>') return "raw '>' in text at " + std::to_string(i);
      ++i;
      continue;
    }
    const std::size_t end = x.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = x.substr(i + 1, end - i - 1);
    // '>' inside a quoted attribute would end the tag early: reject raw '<' and odd quotes.
    if (std::count(tag.begin(), tag.end(), '"') % 2) return "odd quotes in <" + tag + ">";
    if (tag.find('<') != std::string::npos) return "raw '<' in tag " + tag;
    if (!tag.empty() && tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        return "closing </" + name + "> does not match <" + (stack.empty() ? "" : stack.back()) + ">";
      }
      stack.pop_back();
    } else {
      const bool self_closing = !tag.empty() && tag.back() == '/';
      const std::string name = tag.substr(0, tag.find_first_of(" /"));
      static const std::regex name_ok("[a-zA-Z][a-zA-Z0-9:-]*");
      if (!std::regex_match(name, name_ok)) return "bad element name '" + name + "'";
      // Attributes: name="value" pairs only.
      static const std::regex attrs_ok(
          R"(^[a-zA-Z][a-zA-Z0-9:-]*(\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"]*")*\s*/?$)");
      if (!std::regex_match(tag, attrs_ok)) return "bad attributes in <" + tag + ">";
      for (std::size_t q = tag.find('&'); q != std::string::npos; q = tag.find('&', q + 1)) {
        if (!check_entity(i + 1 + q)) return "bad entity in attribute of <" + name + ">";
      }
      if (!self_closing) stack.push_back(name);
    }
    i = end + 1;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  return "";
}

std::vector<std::string> svgs_in(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t a = html.find("<svg"); a != std::string::npos; a = html.find("<svg", a + 1)) {
    const std::size_t b = html.find("</svg>", a);
    if (b == std::string::npos) break;
    out.push_back(html.substr(a, b + 6 - a));
  }
  return out;
}

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

Analysis analyze_or_die(const std::string& model, const std::vector<std::string>& hw,
                        const std::string& precision, int64_t batch = 1) {
  AnalyzeRequest req;
  req.model = model;
  req.dims.batch = batch;
  req.precision = precision;
  req.hardware = hw;
  auto a = analyze(req, registry());
  EXPECT_TRUE(a.ok()) << a.error().message();
  return std::move(a).value();
}

TEST(HtmlSvgTest, EscapeCoversMarkupQuotesAndControlBytes) {
  EXPECT_EQ(svg::escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(svg::escape(std::string("a\x01" "b")), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(svg::escape("plain ü"), "plain ü");
}

TEST(HtmlSvgTest, XmlCheckerRejectsBrokenMarkup) {
  EXPECT_EQ(xml_problem("<svg a=\"1\"><g><circle r=\"1\"/></g></svg>"), "");
  EXPECT_NE(xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(xml_problem("<svg a=1></svg>"), "");
  EXPECT_NE(xml_problem("<svg>a < b</svg>"), "");
  EXPECT_NE(xml_problem("<svg>&nbsp;</svg>"), "");
}

TEST(HtmlSvgTest, LogScaleTicksAreDecadesInsideTheRange) {
  const auto [lo, hi] = svg::nice_range({0.03, 0, -1, 250}, true);
  EXPECT_DOUBLE_EQ(lo, 0.01);
  EXPECT_DOUBLE_EQ(hi, 1000);
  const svg::Scale s(lo, hi, 0, 400, true);
  const auto ticks = s.ticks();
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_DOUBLE_EQ(s(0.01), 0);
  EXPECT_DOUBLE_EQ(s(1000), 400);
  EXPECT_NEAR(s(1), 160, 1e-9);
  const svg::Scale lin(0, 7.3, 0, 100, false);
  for (double t : lin.ticks()) EXPECT_LE(t, 7.3 + 1e-9);
}

TEST(HtmlChartTest, RooflineHasOnePointPerKernelAndARidgePerCeiling) {
  const Analysis a = analyze_or_die("resnet18", {"h100-sxm5-80gb"}, "fp16");
  const std::string html = render_analysis_html(a, registry());
  const auto svgs = svgs_in(html);
  ASSERT_EQ(svgs.size(), 3u);  // roofline, op-class bars, memory timeline
  for (const auto& s : svgs) EXPECT_EQ(xml_problem(s), "") << s.substr(0, 300);
  const std::string& roof = svgs[0];
  ASSERT_NE(roof.find("class=\"chart roofline\""), std::string::npos);
  EXPECT_EQ(count(roof, "class=\"kernel"), a.partition.kernels.size());
  // H100: fp32, tf32, fp16/bf16, fp8/int8 matrix ceilings + the fp16 vector ceiling.
  const std::size_t ridges = count(roof, "class=\"ridge\"");
  EXPECT_EQ(ridges, count(roof, "class=\"ceiling\""));
  EXPECT_GE(ridges, 4u);
  EXPECT_EQ(count(roof, "class=\"roof-memory\""), 1u);
  // Bars: one per op class that anchors a kernel.
  std::set<OpClass> classes;
  for (const auto& k : a.partition.kernels) classes.insert(k.op_class);
  EXPECT_EQ(count(svgs[1], "class=\"bar\""), classes.size());
  EXPECT_EQ(count(svgs[2], "class=\"activations\""), 1u);
  EXPECT_EQ(count(svgs[2], "class=\"weights\""), 1u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the xmlns
}

TEST(HtmlChartTest, RooflineRangesCoverEveryPointAndRidge) {
  const Analysis a = analyze_or_die("bert-base", {"a100-sxm4-80gb"}, "fp32", 2);
  const auto& e = a.estimates.at(0);
  html::RooflineChart rc;
  rc.bandwidth_bytes_per_s = e.memory_bandwidth_bytes_per_s * 0.8;
  rc.ceilings = {{"fp32 matrix", e.matrix_peak_flops_per_s * 0.7, true},
                 {"fp16 matrix", e.matrix_peak_flops_per_s * 8, false}};
  for (std::size_t i = 0; i < a.partition.kernels.size(); ++i) {
    const auto& k = a.partition.kernels[i];
    rc.points.push_back({k.name, "x", k.arithmetic_intensity(),
                         k.flops / e.kernels[i].latency_s});
  }
  const auto r = html::roofline_ranges(rc);
  ASSERT_EQ(r.size(), 4u);
  for (const auto& p : rc.points) {
    if (p.arithmetic_intensity > 0) {
      EXPECT_LE(r[0], p.arithmetic_intensity);
      EXPECT_GE(r[1], p.arithmetic_intensity);
    }
    if (p.attained_flops_per_s > 0) {
      EXPECT_LE(r[2], p.attained_flops_per_s);
      EXPECT_GE(r[3], p.attained_flops_per_s);
    }
  }
  for (const auto& c : rc.ceilings) {
    const double ridge = c.flops_per_s / rc.bandwidth_bytes_per_s;
    EXPECT_LE(r[0], ridge);
    EXPECT_GE(r[1], ridge);
    EXPECT_GE(r[3], c.flops_per_s);
  }
  for (double v : r) EXPECT_NEAR(std::log10(v), std::round(std::log10(v)), 1e-9);  // decades
  const std::string svg_text = html::roofline_svg(rc);
  EXPECT_EQ(xml_problem(svg_text), "");
  EXPECT_EQ(count(svg_text, "class=\"kernel"), rc.points.size());
}

TEST(HtmlChartTest, MemoryTimelinePeaksAtTheEstimatorsPeak) {
  for (const std::string model : {"resnet18", "mobilenet_v2", "gpt2", "vit_b_16"}) {
    const Analysis a = analyze_or_die(model, {}, "fp16", 2);
    const auto live = html::live_activation_timeline(a.model.graph, a.characterization,
                                                     a.partition);
    ASSERT_EQ(live.size(), a.partition.kernels.size()) << model;
    const double peak = peak_activation_bytes(a.model.graph, a.characterization, a.partition);
    EXPECT_DOUBLE_EQ(*std::max_element(live.begin(), live.end()), peak) << model;
    for (double v : live) EXPECT_GE(v, 0) << model;
  }
}

TEST(HtmlReportTest, UserStringsAreEscapedEverywhere) {
  SweepResult r;
  r.models = {"<script>alert('m')</script>"};
  r.model_sources = {"x.onnx"};
  r.hardware_ids = {"hw\"><img src=x>", "plain"};
  r.hardware_names = {"A & B", "C"};
  r.precisions = {"fp16"};
  SweepRow a;
  a.hardware = 0;
  a.latency_s = 1e-3;
  a.energy_per_sample_j = 0.5;
  a.throughput_samples_per_s_per_w = 2;
  a.pareto = true;
  SweepRow b = a;
  b.hardware = 1;
  b.latency_s = 2e-3;
  b.energy_per_sample_j = 0.25;
  SweepRow c = a;
  c.valid = false;
  c.pareto = false;
  c.reason = "no <fp16> peak & \"more\"";
  r.rows = {a, b, c};
  const std::string html = render_sweep_html(r, "title <b>");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<fp16>"), std::string::npos);
  EXPECT_EQ(html.find("title <b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("no &lt;fp16&gt; peak &amp; &quot;more&quot;"), std::string::npos);
  for (const auto& s : svgs_in(html)) EXPECT_EQ(xml_problem(s), "") << s.substr(0, 400);
}

TEST(HtmlReportTest, SweepPageHasScatterWithParetoFrontAndBarsPerModel) {
  SweepRequest req;
  req.models = {"resnet18", "bert-base"};
  req.hardware = {"h100-sxm5-80gb", "l4", "jetson-orin-agx-64gb", "i7-12700k"};
  req.batches = {1, 8, 32};
  req.precisions = {"fp32", "fp16", "int8"};
  auto resolved = resolve_sweep(req, registry());
  ASSERT_TRUE(resolved.ok()) << resolved.error().message();
  auto result = run_sweep(*resolved);
  ASSERT_TRUE(result.ok());
  const std::string html = render_sweep_html(*result, "graphs sweep");
  const auto svgs = svgs_in(html);
  ASSERT_EQ(svgs.size(), 4u);  // per model: scatter + bars
  for (const auto& s : svgs) EXPECT_EQ(xml_problem(s), "") << s.substr(0, 300);
  for (std::size_t m = 0; m < 2; ++m) {
    const std::string& scatter = svgs[2 * m];
    std::size_t valid = 0, pareto = 0;
    for (const auto& row : result->rows) {
      if (row.model != static_cast<int>(m)) continue;
      valid += row.valid;
      pareto += row.pareto;
    }
    EXPECT_EQ(count(scatter, "class=\"config"), valid);
    EXPECT_EQ(count(scatter, "class=\"config pareto\""), pareto);
    EXPECT_GE(pareto, 1u);
    EXPECT_EQ(count(scatter, "class=\"pareto-front\""), 1u);
    EXPECT_EQ(count(svgs[2 * m + 1], "class=\"bar\""), 4u);  // one per target
  }
}

}  // namespace
}  // namespace graphs
