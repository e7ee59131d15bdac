//===- GraphvizExport.cpp - A model's graphs in Graphviz DOT --------------===//
//
// Node names are generated (in0, p0, op0, d0, out0) and every label and name
// is written as an escaped quoted string, so any model name, parameter name
// or file path gives valid DOT. Nodes are written in program order, which
// keeps the output stable for tests and diffs.
//
//===----------------------------------------------------------------------===//

#include "compiler/GraphvizExport.h"
#include "compiler/DispatchSummary.h"
#include "dialects/Exec/IR/ExecOps.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "dialects/Kiln/IR/ModelFunction.h"
#include "passes/StorageRoots.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"

#include <map>
#include <set>

using namespace mlir;

namespace kiln {
namespace {

/// `text` as a DOT quoted string; a '\n' in it becomes a line break.
std::string quote(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// A tensor type as the model language writes it, e.g. "f32[1,8,64]".
std::string formatType(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    os << tensor.getElementType() << "[";
    llvm::interleave(tensor.getShape(), os, ",");
    os << "]";
  } else {
    os << type;
  }
  return text;
}

std::string formatTypes(TypeRange types) {
  return llvm::join(llvm::map_range(types, formatType), ", ");
}

/// A model's name for its argument or result `i`, or `fallback` + i.
std::string ioName(DictionaryAttr attrs, StringRef fallback, unsigned i) {
  auto name = attrs ? attrs.getAs<StringAttr>("kiln.name") : nullptr;
  return name ? name.getValue().str() : (fallback + Twine(i)).str();
}

/// Writes nodes and edges of one graph, shared by both views; the graph is
/// closed when it goes out of scope.
class DotGraph {
public:
  DotGraph(raw_ostream &os, StringRef title) : os(os) {
    os << "digraph " << quote(title) << " {\n"
       << "  node [fontname=\"Helvetica\", fontsize=10];\n"
       << "  edge [color=\"#555555\"];\n";
  }
  ~DotGraph() { os << "}\n"; }

  /// Writes node `id` with `label` and extra DOT `attrs`, indented by
  /// `indent`.
  void node(StringRef id, StringRef label, StringRef attrs,
            StringRef indent = "  ") {
    os << indent << id << " [label=" << quote(label) << ", " << attrs << "];\n";
  }

  /// Writes an edge once however often it is asked for.
  void edge(StringRef from, StringRef to) {
    if (edges.insert({from.str(), to.str()}).second) {
      os << "  " << from << " -> " << to << ";\n";
    }
  }

  /// Writes one node per model input; they are the sources of the
  /// arguments.
  void inputs(func::FuncOp model, DenseMap<Value, std::string> &sources) {
    for (BlockArgument arg : model.getArguments()) {
      unsigned i = arg.getArgNumber();
      std::string id = "in" + std::to_string(i);
      node(id,
           "input " + ioName(model.getArgAttrDict(i), "input", i) + "\n" +
               formatType(arg.getType()),
           "shape=invhouse, style=filled, fillcolor=\"#d6eaff\"");
      sources[arg] = id;
    }
  }

  /// Writes a parameter node.
  void param(StringRef id, ParamOp param) {
    node(
        id,
        ("param " + param.getName() + "\n" + formatType(param.getType())).str(),
        "shape=note, style=filled, fillcolor=\"#f0f0f0\", fontsize=9");
  }

  /// Writes one node per model output, with an edge from the source of the
  /// value returned (`sourceOf`).
  void outputs(func::FuncOp model,
               llvm::function_ref<std::string(Value)> sourceOf) {
    auto ret = cast<func::ReturnOp>(model.getBody().front().getTerminator());
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      std::string id = "out" + std::to_string(i);
      node(id,
           "output " + ioName(model.getResultAttrDict(i), "output", i) + "\n" +
               formatType(value.getType()),
           "shape=house, style=filled, fillcolor=\"#d9f2d9\"");
      edge(sourceOf(value), id);
    }
  }

private:
  raw_ostream &os;
  std::set<std::pair<std::string, std::string>> edges;
};

} // namespace

LogicalResult writeDataflowGraph(ModuleOp module, raw_ostream &os) {
  FailureOr<func::FuncOp> model = findModelFunction(module);
  if (failed(model)) {
    return failure();
  }
  DotGraph graph(os, model->getSymName());
  DenseMap<Value, std::string> sources;
  graph.inputs(*model, sources);
  size_t params = 0, ops = 0;
  for (Operation &op : model->getBody().front().without_terminator()) {
    if (auto param = dyn_cast<ParamOp>(op)) {
      std::string id = "p" + std::to_string(params++);
      graph.param(id, param);
      sources[param.getResult()] = id;
      continue;
    }
    std::string id = "op" + std::to_string(ops++);
    std::string label = op.getName().getStringRef().str();
    if (op.getNumResults()) {
      label += "\n" + formatTypes(op.getResultTypes());
    }
    std::string location = describeLocation(op.getLoc());
    if (!location.empty()) {
      label += "\n" + location;
    }
    graph.node(id, label, "shape=box");
    for (Value operand : op.getOperands()) {
      // Operands are defined above: by an input, a parameter or an op.
      if (std::string source = sources.lookup(operand); !source.empty()) {
        graph.edge(source, id);
      }
    }
    for (Value result : op.getResults()) {
      sources[result] = id;
    }
  }
  graph.outputs(*model, [&](Value value) { return sources.lookup(value); });
  return success();
}

LogicalResult writeScheduleGraph(ModuleOp module, raw_ostream &os) {
  FailureOr<func::FuncOp> model = findModelFunction(module);
  if (failed(model)) {
    return failure();
  }
  DotGraph graph(os, (model->getSymName() + " schedule").str());
  DenseMap<Value, std::string> sources;
  graph.inputs(*model, sources);
  // Dispatches and any op left between them (only views, after the whole
  // pipeline) are nodes; a parameter becomes one when a dispatch reads it.
  std::vector<DispatchSummary> dispatches = summarizeDispatches(module);
  for (DispatchSummary &d : dispatches) {
    for (Value result : d.op.getResults()) {
      sources[result] = "d" + std::to_string(d.index);
    }
  }
  size_t params = 0, others = 0;
  auto sourceOf = [&](Value value) -> std::string {
    Value root = storageRoot(value);
    std::string &id = sources[root];
    if (!id.empty()) {
      return id;
    }
    Operation *op = root.getDefiningOp();
    if (auto param = dyn_cast<ParamOp>(op)) {
      id = "p" + std::to_string(params++);
      graph.param(id, param);
    } else {
      id = "op" + std::to_string(others++);
      graph.node(id, op->getName().getStringRef(), "shape=box, style=dashed");
    }
    return id;
  };

  // Clusters first: a node written before its cluster would not join it.
  std::map<int64_t, std::vector<DispatchSummary *>> regions;
  for (DispatchSummary &d : dispatches) {
    regions[d.region].push_back(&d);
  }
  for (auto &[region, members] : regions) {
    StringRef indent = region < 0 ? "  " : "    ";
    if (region >= 0) {
      os << "  subgraph cluster_region" << region << " {\n"
         << "    label=" << quote("region " + std::to_string(region))
         << ";\n    style=rounded;\n    color=\"#999999\";\n";
    }
    for (DispatchSummary *d : members) {
      std::string label = "#" + std::to_string(d->index) + " " + d->root +
                          "\n@" + d->executable + "\ngrid " +
                          formatSizes(d->grid) + ", " +
                          formatTypes(d->op.getResultTypes());
      if (!d->location.empty()) {
        label += "\n" + d->location;
      }
      graph.node("d" + std::to_string(d->index), label,
                 "shape=box, style=filled, fillcolor=\"#fff2cc\"", indent);
    }
    if (region >= 0) {
      os << "  }\n";
    }
  }
  for (DispatchSummary &d : dispatches) {
    std::string id = "d" + std::to_string(d.index);
    for (Value arg : d.op.getArgs()) {
      graph.edge(sourceOf(arg), id);
    }
  }
  graph.outputs(*model, sourceOf);
  return success();
}

} // namespace kiln
