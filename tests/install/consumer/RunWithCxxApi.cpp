//===- RunWithCxxApi.cpp - An installed-package client of the C++ API -----===//
//
// run-with-cxx-api MODEL.kbin: loads the artifact, fills every input with
// the pattern RunWithCApi.c uses, runs it inline and prints one line per
// output: name, type and an FNV-1a hash of its bytes. A missing file must
// come back as an error value.
//
//===----------------------------------------------------------------------===//

#include <kiln/runtime/Session.h>

// Every other installed header must compile on its own as well.
#include <kiln/runtime/ArtifactFormat.h>
#include <kiln/runtime/CpuFeatures.h>
#include <kiln/runtime/Npy.h>
#include <kiln/runtime/abi/KernelAbi.h>
#include <kiln/runtime/capi/KilnRuntime.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

using namespace kiln::rt;

namespace {

/// FNV-1a over `size` bytes.
uint64_t fnv1a(const void *data, uint64_t size) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; ++i) {
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  }
  return hash;
}

/// Element i of input k: floats in [-1, 1), integers 0 or 1.
void fill(Tensor &tensor, uint64_t k) {
  for (uint64_t i = 0; i < tensor.numElements(); ++i) {
    uint64_t v = (i * 2654435761u + k * 40503u) % 1000u;
    switch (tensor.dtype()) {
    case DType::F32:
      tensor.dataAs<float>()[i] = static_cast<float>(v) / 500.0f - 1.0f;
      break;
    case DType::I32:
      tensor.dataAs<int32_t>()[i] = static_cast<int32_t>(v % 2);
      break;
    case DType::I64:
      tensor.dataAs<int64_t>()[i] = static_cast<int64_t>(v % 2);
      break;
    default:
      break; // Other dtypes stay zero.
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: run-with-cxx-api MODEL.kbin\n");
    return 2;
  }
  StatusOr<std::shared_ptr<const Program>> missing =
      Program::load("/nonexistent/model.kbin");
  if (missing.ok() || missing.status().getCode() != StatusCode::IoError) {
    std::fprintf(stderr, "loading a missing file did not fail as expected\n");
    return 1;
  }
  StatusOr<std::shared_ptr<const Program>> program = Program::load(argv[1]);
  if (!program.ok()) {
    std::fprintf(stderr, "error: %s\n", program.status().message().c_str());
    return 1;
  }
  std::vector<Tensor> inputs;
  std::vector<TensorView> inputViews;
  for (const TensorSpec &spec : (*program)->inputs()) {
    inputs.push_back(std::move(Tensor::create(spec.dtype, spec.shape)).value());
    fill(inputs.back(), inputs.size() - 1);
  }
  for (const Tensor &tensor : inputs) {
    inputViews.push_back(tensor.view());
  }
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(*program, {1, /*inlineExecution=*/true});
  if (!session.ok()) {
    std::fprintf(stderr, "error: %s\n", session.status().message().c_str());
    return 1;
  }
  std::vector<Tensor> outputs =
      std::move((*session)->allocateOutputs()).value();
  std::vector<MutableTensorView> outputViews;
  for (Tensor &tensor : outputs) {
    outputViews.push_back(tensor.mutableView());
  }
  Status status = (*session)->run(inputViews, outputViews);
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::printf(
        "output %s %s fnv1a=%016" PRIx64 "\n",
        (*program)->outputs()[i].name.c_str(),
        formatTensorType(outputs[i].dtype(), outputs[i].shape()).c_str(),
        fnv1a(outputs[i].data(), outputs[i].byteSize()));
  }
  return 0;
}
