/*===- RunWithCApi.c - An installed-package client of the C API -----------===*
 *
 * run-with-c-api MODEL.kbin: the same as RunWithCxxApi.cpp through the C
 * API, on two threads, printing the same lines. Error paths are exercised
 * too: they must come back as status values, never abort.
 *
 *===----------------------------------------------------------------------===*/

#include <kiln/runtime/abi/KernelAbi.h>
#include <kiln/runtime/capi/KilnRuntime.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* FNV-1a over `size` bytes. */
static uint64_t fnv1a(const void *data, uint64_t size) {
  const unsigned char *bytes = (const unsigned char *)data;
  uint64_t hash = 0xcbf29ce484222325ull;
  uint64_t i;
  for (i = 0; i < size; ++i) {
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  }
  return hash;
}

/* Element i of input k: floats in [-1, 1), integers 0 or 1. */
static void fill(void *data, const kiln_tensor_info_t *info, uint64_t k) {
  uint64_t count = info->byte_size / kiln_dtype_size(info->dtype);
  uint64_t i;
  for (i = 0; i < count; ++i) {
    uint64_t v = (i * 2654435761u + k * 40503u) % 1000u;
    if (info->dtype == KILN_DTYPE_F32) {
      ((float *)data)[i] = (float)v / 500.0f - 1.0f;
    } else if (info->dtype == KILN_DTYPE_I32) {
      ((int32_t *)data)[i] = (int32_t)(v % 2);
    } else if (info->dtype == KILN_DTYPE_I64) {
      ((int64_t *)data)[i] = (int64_t)(v % 2);
    }
  }
}

/* Prints and frees a failed status; returns 1. */
static int report(kiln_status_t *status) {
  fprintf(stderr, "error: %s\n", kiln_status_message(status));
  kiln_status_free(status);
  return 1;
}

/* Formats "f32[32,768]". */
static void formatType(const kiln_tensor_info_t *info, char *out, size_t n) {
  size_t used = (size_t)snprintf(out, n, "%s[", kiln_dtype_name(info->dtype));
  size_t d;
  for (d = 0; d < info->rank && used < n; ++d) {
    used += (size_t)snprintf(out + used, n - used, "%s%" PRId64, d ? "," : "",
                             info->shape[d]);
  }
  if (used < n) {
    snprintf(out + used, n - used, "]");
  }
}

int main(int argc, char **argv) {
  kiln_program_t *program = NULL;
  kiln_session_t *session = NULL;
  kiln_status_t *status;
  kiln_tensor_view_t *inputs;
  kiln_mutable_tensor_view_t *outputs;
  size_t inputCount, outputCount, i;
  if (argc != 2) {
    fprintf(stderr, "usage: run-with-c-api MODEL.kbin\n");
    return 2;
  }
  status = kiln_program_load("/nonexistent/model.kbin", &program);
  if (kiln_status_code(status) != KILN_STATUS_IO_ERROR || program) {
    fprintf(stderr, "loading a missing file did not fail as expected\n");
    return 1;
  }
  kiln_status_free(status);

  status = kiln_program_load(argv[1], &program);
  if (status) {
    return report(status);
  }
  status = kiln_session_create(program, 2, 0, &session);
  if (status) {
    return report(status);
  }
  inputCount = kiln_program_input_count(program);
  outputCount = kiln_program_output_count(program);
  inputs = calloc(inputCount + 1, sizeof(*inputs));
  outputs = calloc(outputCount + 1, sizeof(*outputs));
  for (i = 0; i < inputCount; ++i) {
    kiln_tensor_info_t info;
    void *data;
    if ((status = kiln_program_input_info(program, i, &info))) {
      return report(status);
    }
    data = calloc(info.byte_size + 1, 1);
    fill(data, &info, i);
    inputs[i].dtype = info.dtype;
    inputs[i].rank = info.rank;
    inputs[i].shape = info.shape;
    inputs[i].data = data;
  }
  for (i = 0; i < outputCount; ++i) {
    kiln_tensor_info_t info;
    if ((status = kiln_program_output_info(program, i, &info))) {
      return report(status);
    }
    outputs[i].dtype = info.dtype;
    outputs[i].rank = info.rank;
    outputs[i].shape = info.shape;
    outputs[i].data = calloc(info.byte_size + 1, 1);
  }

  /* A wrong count is an error value with a message. */
  status =
      kiln_session_run(session, inputs, inputCount + 1, outputs, outputCount);
  if (kiln_status_code(status) != KILN_STATUS_INVALID_ARGUMENT ||
      !kiln_status_message(status)[0]) {
    fprintf(stderr, "a wrong input count did not fail as expected\n");
    return 1;
  }
  kiln_status_free(status);

  status = kiln_session_run(session, inputs, inputCount, outputs, outputCount);
  if (status) {
    return report(status);
  }
  for (i = 0; i < outputCount; ++i) {
    kiln_tensor_info_t info;
    char type[256];
    kiln_program_output_info(program, i, &info);
    formatType(&info, type, sizeof(type));
    printf("output %s %s fnv1a=%016" PRIx64 "\n", info.name, type,
           fnv1a(outputs[i].data, info.byte_size));
  }

  kiln_session_release(session);
  kiln_program_release(program);
  for (i = 0; i < inputCount; ++i) {
    free((void *)inputs[i].data);
  }
  for (i = 0; i < outputCount; ++i) {
    free(outputs[i].data);
  }
  free(inputs);
  free(outputs);
  return 0;
}
