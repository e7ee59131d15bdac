//===- WriteTestArtifact.cpp - Write a test artifact for other tests ------===//
//
// kiln-write-test-artifact OUT.kbin writes the add/scale test model (1024
// elements, four workgroups per grid unit) with the freestanding test
// kernels, so that tests which run without the compiler (the install test of
// a runtime-only build) still have a real artifact to run.
//
//===----------------------------------------------------------------------===//

#include "TestArtifact.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kiln-write-test-artifact OUT.kbin\n");
    return 2;
  }
  kiln::rt::Status status =
      kiln::rt::test::addScaleModel(1024, 4).write(argv[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "kiln-write-test-artifact: error: %s\n",
                 status.message().c_str());
    return 1;
  }
  return 0;
}
