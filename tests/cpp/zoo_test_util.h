// Shared by the zoo tests: build a zoo model, bind its dims and infer shapes.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "graphs/analysis/shape_inference.h"
#include "graphs/zoo/zoo.h"

namespace graphs::testing_util {

/// Builds `name`, validates it, binds dims and infers shapes; an AssertionFailure names the step.
inline ::testing::AssertionResult prepare_zoo_model(const std::string& name, Graph* graph,
                                                    DimBindings bindings = {}) {
  auto built = build_zoo_model(name);
  if (!built.ok()) return ::testing::AssertionFailure() << built.error().message();
  *graph = std::move(built).value();
  if (auto s = graph->validate(); !s.ok()) {
    return ::testing::AssertionFailure() << s.error().message();
  }
  if (auto s = bind_dims(*graph, bindings); !s.ok()) {
    return ::testing::AssertionFailure() << "bind_dims: " << s.error().message();
  }
  if (auto s = infer_shapes(*graph); !s.ok()) {
    return ::testing::AssertionFailure() << "infer_shapes: " << s.error().message();
  }
  return ::testing::AssertionSuccess();
}

/// Product of dims as a double.
inline double numel(const std::vector<int64_t>& dims) {
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(d);
  return n;
}

}  // namespace graphs::testing_util
