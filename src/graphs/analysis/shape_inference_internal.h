// Internal to analysis/: the state of one model's shape inference, shared by the driver
// (shape_inference.cc), control flow (control_flow.cc: If, Loop, Scan) and the rules for
// data-dependent shapes (data_dependent.cc). Clients use shape_inference.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graphs/analysis/shape_inference.h"
#include "graphs/ir/graph.h"
#include "graphs/ops/op_registry.h"

namespace graphs::detail {

/// One model's shape inference: the user's bindings, the data-dependent dims named so far and
/// the notes for the report. Graphs are inferred recursively (control-flow bodies inside their
/// node's inference); symbols are numbered across the whole model.
class InferSession {
 public:
  explicit InferSession(const DimBindings& bindings) : bindings_(bindings) {}

  const DimBindings& bindings() const { return bindings_; }

  /// Infers every node of `graph` in topological order. `outer` is the enclosing graph of a
  /// control-flow body (its kOuterScope values take their types and contents from there), or
  /// nullptr for the main graph.
  Status infer_graph(Graph& graph, const Graph* outer);

  /// A fresh symbol for a data-dependent dim of an `op_type` node: "nonzero_0", "nonzero_1", ….
  std::string new_symbol(const std::string& op_type);
  /// The size the user bound `symbol` to with --dim, if any.
  std::optional<int64_t> user_size(const std::string& symbol) const;
  /// Settles a data-dependent dim: the user's binding, else `upper_bound` ("upper bound"), else
  /// `assumed` ("assumed (no bound)"). Records it (with `dim.size` and `dim.source` filled in)
  /// and returns the size.
  int64_t resolve(DataDependentDim dim, std::optional<int64_t> upper_bound, int64_t assumed);
  /// Records a dim whose size the caller settled (e.g. the one Reshape dim left to the element
  /// count) under `source`.
  void record(DataDependentDim dim);

  void note(const std::string& line) { notes_.push_back(where() + line); }

  /// Entered while a body is inferred: notes and data-dependent dims of its nodes name the
  /// enclosing node and attribute ("Loop node 'rnn', body: If node 'step': ...").
  void enter(const std::string& scope) { scopes_.push_back(scope); }
  void leave() { scopes_.pop_back(); }
  /// The current scope as a prefix: "" in the main graph, else "Loop node 'rnn', body: ".
  std::string where() const;

  /// What inference found, for Graph::data_dependent_dims and Graph::notes.
  const std::vector<DataDependentDim>& dims() const { return dims_; }
  const std::vector<std::string>& notes() const { return notes_; }

  /// Rolls back symbols, dims and notes to an earlier point (a branch whose inference failed).
  struct Mark {
    std::size_t dims = 0;
    std::size_t notes = 0;
    std::map<std::string, int> next_index;
  };
  Mark mark() const { return {dims_.size(), notes_.size(), next_index_}; }
  void rollback(const Mark& m);

 private:
  const DimBindings& bindings_;
  std::vector<DataDependentDim> dims_;
  std::vector<std::string> notes_;
  std::map<std::string, int> next_index_;  // per lowercase op_type
  std::vector<std::string> scopes_;
};

/// Whether `name` has the form of a data-dependent symbol ("nonzero_0": a lowercase op name, an
/// underscore and a number) of an op that can produce one.
bool is_data_dependent_symbol(const std::string& name);

/// Whether an op rule's error says that contents unknown at analysis time decide the output
/// shape ("... is not known at analysis time", "output shape depends on tensor contents", "...
/// has no known contents", the phrases the op rules use): only then may a data-dependent rule
/// take over.
bool is_contents_error(const Error& error);

/// Whether data_dependent.cc has a rule for the op whose lowercase name is `lowercase_op`
/// ("nonzero", "reducesum", ...).
bool has_data_dependent_rule(const std::string& lowercase_op);

/// Control flow (If, Loop, Scan; control_flow.cc): infers the node's bodies with their formal
/// inputs typed from the node's inputs, resolves each Subgraph's `runs` and returns the node's
/// output types. Errors name the node and the body.
Result<std::vector<InferredOutput>> infer_control_flow(InferSession& session, Graph& graph,
                                                       NodeId node);

/// Data-dependent shapes (data_dependent.cc): when `ctx`'s op has such a rule and the contents
/// deciding its output shape are unknown, the outputs with each undecidable dim named and
/// settled through `session.resolve`. nullopt when the op has no such rule or its deciding
/// inputs are known (the op's own rule's error then stands).
/// `graph` holds the node (its output names go into the records).
std::optional<Result<std::vector<InferredOutput>>> infer_data_dependent(InferSession& session,
                                                                        const Graph& graph,
                                                                        const InferContext& ctx);

}  // namespace graphs::detail
