//===- main.cpp - kiln-inspect: describe a compiled artifact --------------===//
//
// Prints what an artifact contains: producer, target, signature, executables,
// the schedule (regions and dispatches with their bindings), the memory plan
// and the constants, as text or (--json) as one JSON object. The artifact is
// fully verified but its code is never loaded, so artifacts built for other
// CPUs can be inspected too. --verify also checks the code's and the
// weights' checksums, which reads the whole file.
//
//===----------------------------------------------------------------------===//

#include "runtime/ArtifactInfo.h"
#include "runtime/CpuFeatures.h"
#include "runtime/Tensor.h"
#include "tools/StandardOutput.h"
#include "tools/kiln-run/JsonString.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace kiln::rt;

namespace {

const char *const kUsage =
    "usage: kiln-inspect MODEL.kbin [--json] [--verify]\n"
    "\n"
    "Describes a compiled artifact: producer, target, inputs and outputs,\n"
    "executables, regions and dispatches with their bindings, the memory\n"
    "plan and the constants. The metadata is verified (structure and\n"
    "checksum); no code is loaded, so artifacts for other CPUs work too.\n"
    "\n"
    "options:\n"
    "  --json     print one JSON object instead of text\n"
    "  --verify   also check the checksums of the code and of the weights\n"
    "             (reads the whole file); exit 1 if either differs\n"
    "  --help     show this text\n";

std::string formatBytes(uint64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit ? "%.1f %s" : "%.0f %s", value,
                units[unit]);
  return text;
}

template <typename T, typename Fn>
std::string joinList(const std::vector<T> &items, const char *separator,
                     Fn format) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? separator : "") + format(items[i]);
  }
  return out;
}

std::string jsonStrings(const std::vector<std::string> &items) {
  return "[" + joinList(items, ", ", quoteJson) + "]";
}

template <typename T> std::string jsonNumbers(const std::vector<T> &items) {
  return "[" + joinList(items, ", ", [](T v) { return std::to_string(v); }) +
         "]";
}

/// Names the buffer a binding refers to.
std::string bindingTarget(const ArtifactInfo &info, const BindingInfo &b) {
  switch (b.kind) {
  case BindingKind::Input:
    return "input '" + info.inputs[b.index].name + "'";
  case BindingKind::Output:
    return "output '" + info.outputs[b.index].name + "'";
  case BindingKind::Constant:
    return "constant '" + info.constants[b.index].name + "'";
  case BindingKind::Arena:
    return "arena";
  }
  return "?";
}

/// Facts derived from the artifact that both printers show.
struct Summary {
  std::vector<std::string> missingFeatures;
  std::string hostProblem;
  std::vector<int64_t> regionOf;
  uint64_t workgroups = 0, flops = 0, codeBytes = 0, weightBytes = 0;
};

Summary summarize(const ArtifactInfo &info) {
  Summary s;
  Status triple = checkHostTriple(info.target.triple);
  if (!triple.ok()) {
    s.hostProblem = triple.message();
  }
  for (const std::string &feature : info.target.features) {
    if (!CpuFeatures::host().has(feature)) {
      s.missingFeatures.push_back(feature);
    }
  }
  s.regionOf.assign(info.dispatches.size(), -1);
  for (size_t r = 0; r < info.regions.size(); ++r) {
    for (uint32_t d : info.regions[r].dispatches) {
      s.regionOf[d] = static_cast<int64_t>(r);
    }
  }
  for (const DispatchInfo &d : info.dispatches) {
    s.workgroups += d.workgroupCount;
    s.flops += d.flops;
  }
  for (const ExecutableInfo &e : info.executables) {
    s.codeBytes += e.size;
  }
  for (const ConstantInfo &c : info.constants) {
    s.weightBytes += c.size;
  }
  return s;
}

void printText(const std::string &path, const ArtifactInfo &info,
               const Summary &s, bool verified) {
  auto type = [](DType dtype, const std::vector<int64_t> &shape) {
    return formatTensorType(dtype, shape);
  };
  std::printf("artifact     %s (%s; schema %u, kernel ABI %u)\n", path.c_str(),
              formatBytes(info.file.fileSize).c_str(), info.file.schemaVersion,
              info.file.kernelAbiVersion);
  std::printf("checksums    metadata %08x, code %08x, weights %08x (CRC-32C)"
              "%s\n",
              info.file.metadataChecksum, info.file.codeChecksum,
              info.file.weightsChecksum, verified ? ", all verified" : "");
  std::printf("producer     %s\n", info.producer.c_str());
  std::printf("model        %s\n", info.modelName.c_str());
  std::printf("target       %s, cpu %s\n", info.target.triple.c_str(),
              info.target.cpu.empty() ? "generic" : info.target.cpu.c_str());
  std::string features = joinList(info.target.features, " ",
                                  [](const std::string &f) { return f; });
  std::string verdict =
      !s.hostProblem.empty() ? "not runnable here: " + s.hostProblem
      : s.missingFeatures.empty()
          ? "runnable on this host"
          : "missing on this host: " +
                joinList(s.missingFeatures, " ",
                         [](const std::string &f) { return f; });
  std::printf("features     %s (%s)\n",
              features.empty() ? "none" : features.c_str(), verdict.c_str());
  for (auto [title, specs] : {std::make_pair("inputs", &info.inputs),
                              std::make_pair("outputs", &info.outputs)}) {
    std::printf("%s\n", title);
    for (const TensorSpec &spec : *specs) {
      std::printf("  %-20s %s\n", spec.name.c_str(),
                  type(spec.dtype, spec.shape).c_str());
    }
  }
  std::printf("executables\n");
  for (size_t i = 0; i < info.executables.size(); ++i) {
    const ExecutableInfo &e = info.executables[i];
    std::printf("  #%zu %s, %s, exports: %s\n", i, e.format.c_str(),
                formatBytes(e.size).c_str(),
                joinList(e.exports, ", ", [](const std::string &x) {
                  return x;
                }).c_str());
  }
  std::printf("regions and dispatches\n");
  for (size_t r = 0; r < info.regions.size(); ++r) {
    std::printf("  region %zu\n", r);
    for (uint32_t index : info.regions[r].dispatches) {
      const DispatchInfo &d = info.dispatches[index];
      std::printf(
          "    #%u %s: %s, grid [%u,%u,%u], scratch %s, %llu flops\n", index,
          d.name.c_str(),
          info.executables[d.executable].exports[d.exportOrdinal].c_str(),
          d.grid[0], d.grid[1], d.grid[2], formatBytes(d.scratchSize).c_str(),
          static_cast<unsigned long long>(d.flops));
      if (!d.rootOp.empty() || !d.sourceLoc.empty()) {
        std::printf("        root %s at %s\n",
                    d.rootOp.empty() ? "?" : d.rootOp.c_str(),
                    d.sourceLoc.empty() ? "?" : d.sourceLoc.c_str());
      }
      for (size_t b = 0; b < d.bindings.size(); ++b) {
        const BindingInfo &binding = d.bindings[b];
        std::printf("        binding %zu: %s [%llu, +%llu)\n", b,
                    bindingTarget(info, binding).c_str(),
                    static_cast<unsigned long long>(binding.offset),
                    static_cast<unsigned long long>(binding.size));
      }
    }
  }
  std::printf("arena        %s (peak of the memory plan)\n",
              formatBytes(info.arenaSize).c_str());
  std::printf("constants\n");
  for (size_t i = 0; i < info.constants.size(); ++i) {
    const ConstantInfo &c = info.constants[i];
    std::printf("  #%zu %-20s %s, %s%s%s\n", i, c.name.c_str(),
                type(c.dtype, c.shape).c_str(), formatBytes(c.size).c_str(),
                c.layout.empty() ? "" : ", layout ", c.layout.c_str());
  }
  std::printf("totals       %zu dispatches in %zu regions, %llu workgroups, "
              "%llu flops; code %s, weights %s\n",
              info.dispatches.size(), info.regions.size(),
              static_cast<unsigned long long>(s.workgroups),
              static_cast<unsigned long long>(s.flops),
              formatBytes(s.codeBytes).c_str(),
              formatBytes(s.weightBytes).c_str());
}

std::string jsonTensors(const std::vector<TensorSpec> &specs) {
  return "[" +
         joinList(specs, ", ",
                  [](const TensorSpec &t) {
                    return "{\"name\": " + quoteJson(t.name) +
                           ", \"dtype\": \"" + dtypeName(t.dtype) +
                           "\", \"shape\": " + jsonNumbers(t.shape) +
                           ", \"bytes\": " + std::to_string(t.byteSize) + "}";
                  }) +
         "]";
}

void printJson(const std::string &path, const ArtifactInfo &info,
               const Summary &s, bool verified) {
  auto num = [](uint64_t v) { return std::to_string(v); };
  std::string out = "{\n";
  auto field = [&](const char *key, const std::string &value,
                   bool last = false) {
    out += std::string("  \"") + key + "\": " + value + (last ? "\n" : ",\n");
  };
  field("file", quoteJson(path));
  field("file_size", num(info.file.fileSize));
  field("schema_version", num(info.file.schemaVersion));
  field("kernel_abi_version", num(info.file.kernelAbiVersion));
  field("checksums", "{\"metadata\": " + num(info.file.metadataChecksum) +
                         ", \"code\": " + num(info.file.codeChecksum) +
                         ", \"weights\": " + num(info.file.weightsChecksum) +
                         ", \"verified\": " + (verified ? "true" : "false") +
                         "}");
  field("producer", quoteJson(info.producer));
  field("model_name", quoteJson(info.modelName));
  field("target",
        "{\"triple\": " + quoteJson(info.target.triple) +
            ", \"cpu\": " + quoteJson(info.target.cpu) + ", \"features\": " +
            jsonStrings(info.target.features) + ", \"runnable_on_host\": " +
            (s.hostProblem.empty() && s.missingFeatures.empty() ? "true"
                                                                : "false") +
            ", \"missing_features\": " + jsonStrings(s.missingFeatures) + "}");
  field("inputs", jsonTensors(info.inputs));
  field("outputs", jsonTensors(info.outputs));
  field("executables",
        "[" + joinList(info.executables, ", ", [&](const ExecutableInfo &e) {
          return "{\"format\": " + quoteJson(e.format) +
                 ", \"offset\": " + num(e.offset) +
                 ", \"size\": " + num(e.size) +
                 ", \"exports\": " + jsonStrings(e.exports) + "}";
        }) + "]");
  field("regions", "[" + joinList(info.regions, ", ", [](const RegionInfo &r) {
                     return jsonNumbers(r.dispatches);
                   }) + "]");
  std::string dispatches;
  for (size_t i = 0; i < info.dispatches.size(); ++i) {
    const DispatchInfo &d = info.dispatches[i];
    std::string bindings =
        joinList(d.bindings, ", ", [&](const BindingInfo &b) {
          return std::string("{\"kind\": \"") + bindingKindName(b.kind) +
                 "\", \"index\": " + num(b.index) +
                 ", \"offset\": " + num(b.offset) +
                 ", \"size\": " + num(b.size) + "}";
        });
    dispatches +=
        std::string(i ? ",\n" : "\n") + "    {\"name\": " + quoteJson(d.name) +
        ", \"region\": " + std::to_string(s.regionOf[i]) +
        ", \"executable\": " + num(d.executable) + ", \"export\": " +
        quoteJson(info.executables[d.executable].exports[d.exportOrdinal]) +
        ", \"grid\": " +
        jsonNumbers(std::vector<uint32_t>(d.grid.begin(), d.grid.end())) +
        ", \"scratch_size\": " + num(d.scratchSize) +
        ", \"flops\": " + num(d.flops) +
        ", \"root_op\": " + quoteJson(d.rootOp) +
        ", \"source_loc\": " + quoteJson(d.sourceLoc) + ", \"bindings\": [" +
        bindings + "]}";
  }
  field("dispatches", "[" + dispatches + "\n  ]");
  field("arena_size", num(info.arenaSize));
  field("constants",
        "[" + joinList(info.constants, ", ", [&](const ConstantInfo &c) {
          return "{\"name\": " + quoteJson(c.name) + ", \"dtype\": \"" +
                 dtypeName(c.dtype) + "\", \"shape\": " + jsonNumbers(c.shape) +
                 ", \"offset\": " + num(c.offset) +
                 ", \"size\": " + num(c.size) +
                 ", \"layout\": " + quoteJson(c.layout) + "}";
        }) + "]");
  field("totals",
        "{\"dispatches\": " + num(info.dispatches.size()) +
            ", \"regions\": " + num(info.regions.size()) +
            ", \"workgroups\": " + num(s.workgroups) + ", \"flops\": " +
            num(s.flops) + ", \"executable_bytes\": " + num(s.codeBytes) +
            ", \"constant_bytes\": " + num(s.weightBytes) + "}",
        /*last=*/true);
  out += "}\n";
  std::fputs(out.c_str(), stdout);
}

} // namespace

int main(int argc, char **argv) {
  std::string path;
  bool json = false;
  bool verify = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return kiln::tools::finishStandardOutput("kiln-inspect", 0);
    }
    if (arg == "--json") {
      json = true;
    } else if (arg == "--verify") {
      verify = true;
    } else if (arg.rfind("-", 0) == 0 || !path.empty()) {
      std::fprintf(stderr, "kiln-inspect: error: unexpected argument '%s'\n%s",
                   arg.c_str(), kUsage);
      return 2;
    } else {
      path = arg;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "kiln-inspect: error: no model given\n%s", kUsage);
    return 2;
  }
  StatusOr<ArtifactInfo> info = readArtifactInfoFile(path);
  if (!info.ok()) {
    std::fprintf(stderr, "kiln-inspect: error: %s\n",
                 info.status().message().c_str());
    return 1;
  }
  if (verify) {
    Status status = verifyArtifactFile(path);
    if (!status.ok()) {
      std::fprintf(stderr, "kiln-inspect: error: %s\n",
                   status.message().c_str());
      return 1;
    }
  }
  Summary summary = summarize(*info);
  if (json) {
    printJson(path, *info, summary, verify);
  } else {
    printText(path, *info, summary, verify);
  }
  return kiln::tools::finishStandardOutput("kiln-inspect", 0);
}
