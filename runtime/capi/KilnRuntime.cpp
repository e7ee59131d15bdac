//===- KilnRuntime.cpp - The C API of the Kiln runtime --------------------===//
//
// Each entry point checks its pointers, converts C descriptions into the C++
// views and calls Program or Session. Nothing may escape as an exception
// across the C boundary: every entry point catches everything and turns it
// into a status, and a status that cannot be allocated is replaced by a
// static out-of-memory status that kiln_status_free leaves alone.
//
//===----------------------------------------------------------------------===//

#include "runtime/capi/KilnRuntime.h"

#include "runtime/Session.h"

#include <exception>
#include <new>

using namespace kiln::rt;

struct kiln_status {
  kiln_status_code_t code;
  std::string message;
};

struct kiln_program {
  std::shared_ptr<const Program> program;
};

struct kiln_session {
  std::unique_ptr<Session> session;
  /// Reused by every run, sized at creation, so runs do not allocate.
  std::vector<TensorView> inputs;
  std::vector<MutableTensorView> outputs;
};

static_assert(KILN_STATUS_INTERNAL == int(StatusCode::Internal) &&
                  KILN_STATUS_INVALID_FORMAT == int(StatusCode::InvalidFormat),
              "C status codes equal kiln::rt::StatusCode");
static_assert(KILN_DTYPE_BOOL == int(DType::Bool) &&
                  KILN_DTYPE_BOOL == kMaxDType,
              "C dtypes equal kiln::rt::DType");

namespace {

/// Returned when a status itself cannot be allocated; never freed.
kiln_status kOutOfMemory = {KILN_STATUS_INTERNAL,
                            "out of memory while reporting an error"};

/// Converts an error into a heap status; null for success.
kiln_status_t *toC(const Status &status) {
  if (status.ok()) {
    return nullptr;
  }
  auto *out = new (std::nothrow)
      kiln_status{static_cast<kiln_status_code_t>(status.getCode()), ""};
  if (!out) {
    return &kOutOfMemory;
  }
  try {
    out->message = status.message();
  } catch (...) {
    delete out;
    return &kOutOfMemory;
  }
  return out;
}

/// An InvalidArgument status; `function` names the entry point.
kiln_status_t *invalidArgument(const char *function, const char *problem) {
  return toC(Status(StatusCode::InvalidArgument,
                    std::string(function) + ": " + problem));
}

/// Runs `body` (which returns a kiln_status_t *), turning any exception
/// into a status.
template <typename Body> kiln_status_t *guarded(Body body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return &kOutOfMemory;
  } catch (const std::exception &e) {
    return toC(Status(StatusCode::Internal, e.what()));
  } catch (...) {
    return toC(Status(StatusCode::Internal, "unknown exception"));
  }
}

/// Fills `out` from a signature entry.
void describe(const TensorSpec &spec, kiln_tensor_info_t *out) {
  out->name = spec.name.c_str();
  out->dtype = static_cast<kiln_dtype_t>(spec.dtype);
  out->rank = spec.shape.size();
  out->shape = spec.shape.data();
  out->byte_size = spec.byteSize;
}

/// Shared body of kiln_program_{input,output}_info.
kiln_status_t *tensorInfo(const char *function, const kiln_program_t *program,
                          bool input, size_t index, kiln_tensor_info_t *out) {
  if (!program || !out) {
    return invalidArgument(function, "program and out_info must not be null");
  }
  const std::vector<TensorSpec> &specs =
      input ? program->program->inputs() : program->program->outputs();
  if (index >= specs.size()) {
    return toC(makeError(StatusCode::InvalidArgument, function, ": ",
                         input ? "input" : "output", " index ", index,
                         " is out of range (", specs.size(), " ",
                         input ? "inputs" : "outputs", ")"));
  }
  describe(specs[index], out);
  return nullptr;
}

/// Shared body of kiln_program_find_{input,output}.
kiln_status_t *findTensor(const char *function, const kiln_program_t *program,
                          bool input, const char *name, size_t *out) {
  if (!program || !name || !out) {
    return invalidArgument(function,
                           "program, name and out_index must not be null");
  }
  const std::vector<TensorSpec> &specs =
      input ? program->program->inputs() : program->program->outputs();
  std::string known;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) {
      *out = i;
      return nullptr;
    }
    known += (i ? ", " : "") + specs[i].name;
  }
  return toC(makeError(StatusCode::InvalidArgument, "the model has no ",
                       input ? "input" : "output", " named '", name, "' (",
                       input ? "inputs" : "outputs", ": ",
                       known.empty() ? "none" : known, ")"));
}

/// Checks the parts of a C view the C++ view cannot represent wrongly: the
/// dtype value and a shape pointer for a non-scalar.
Status checkView(const char *kind, size_t index, kiln_dtype_t dtype,
                 size_t rank, const int64_t *shape) {
  if (static_cast<unsigned>(dtype) > kMaxDType) {
    return makeError(StatusCode::InvalidArgument, kind, " ", index,
                     ": invalid dtype value ", static_cast<int>(dtype));
  }
  if (rank && !shape) {
    return makeError(StatusCode::InvalidArgument, kind, " ", index,
                     ": shape is null but rank is ", rank);
  }
  return Status();
}

} // namespace

extern "C" {

kiln_status_code_t kiln_status_code(const kiln_status_t *status) {
  return status ? status->code : KILN_STATUS_OK;
}

const char *kiln_status_message(const kiln_status_t *status) {
  return status ? status->message.c_str() : "";
}

void kiln_status_free(kiln_status_t *status) {
  if (status != &kOutOfMemory) {
    delete status;
  }
}

const char *kiln_dtype_name(kiln_dtype_t dtype) {
  if (static_cast<unsigned>(dtype) > kMaxDType) {
    return "unknown";
  }
  return dtypeName(static_cast<DType>(dtype));
}

uint64_t kiln_dtype_size(kiln_dtype_t dtype) {
  if (static_cast<unsigned>(dtype) > kMaxDType) {
    return 0;
  }
  return dtypeSize(static_cast<DType>(dtype));
}

kiln_status_t *kiln_program_load(const char *path,
                                 kiln_program_t **out_program) {
  return guarded([&]() -> kiln_status_t * {
    if (!path || !out_program) {
      return invalidArgument("kiln_program_load",
                             "path and out_program must not be null");
    }
    *out_program = nullptr;
    StatusOr<std::shared_ptr<const Program>> program = Program::load(path);
    if (!program.ok()) {
      return toC(program.status());
    }
    *out_program = new kiln_program{std::move(program).value()};
    return nullptr;
  });
}

void kiln_program_release(kiln_program_t *program) { delete program; }

size_t kiln_program_input_count(const kiln_program_t *program) {
  return program ? program->program->inputs().size() : 0;
}

size_t kiln_program_output_count(const kiln_program_t *program) {
  return program ? program->program->outputs().size() : 0;
}

kiln_status_t *kiln_program_input_info(const kiln_program_t *program,
                                       size_t index,
                                       kiln_tensor_info_t *out_info) {
  return guarded([&] {
    return tensorInfo("kiln_program_input_info", program, true, index,
                      out_info);
  });
}

kiln_status_t *kiln_program_output_info(const kiln_program_t *program,
                                        size_t index,
                                        kiln_tensor_info_t *out_info) {
  return guarded([&] {
    return tensorInfo("kiln_program_output_info", program, false, index,
                      out_info);
  });
}

kiln_status_t *kiln_program_find_input(const kiln_program_t *program,
                                       const char *name, size_t *out_index) {
  return guarded([&] {
    return findTensor("kiln_program_find_input", program, true, name,
                      out_index);
  });
}

kiln_status_t *kiln_program_find_output(const kiln_program_t *program,
                                        const char *name, size_t *out_index) {
  return guarded([&] {
    return findTensor("kiln_program_find_output", program, false, name,
                      out_index);
  });
}

kiln_status_t *kiln_session_create(const kiln_program_t *program,
                                   int32_t threads, uint32_t flags,
                                   kiln_session_t **out_session) {
  return guarded([&]() -> kiln_status_t * {
    if (!program || !out_session) {
      return invalidArgument("kiln_session_create",
                             "program and out_session must not be null");
    }
    *out_session = nullptr;
    if (flags & ~KILN_SESSION_INLINE) {
      return toC(makeError(StatusCode::InvalidArgument,
                           "kiln_session_create: unknown flags 0x", std::hex,
                           flags & ~KILN_SESSION_INLINE));
    }
    SessionOptions options;
    options.threads = threads;
    options.inlineExecution = flags & KILN_SESSION_INLINE;
    StatusOr<std::unique_ptr<Session>> session =
        Session::create(program->program, options);
    if (!session.ok()) {
      return toC(session.status());
    }
    auto out = std::make_unique<kiln_session>();
    out->session = std::move(session).value();
    out->inputs.reserve(program->program->inputs().size());
    out->outputs.reserve(program->program->outputs().size());
    *out_session = out.release();
    return nullptr;
  });
}

void kiln_session_release(kiln_session_t *session) { delete session; }

int32_t kiln_session_thread_count(const kiln_session_t *session) {
  return session ? session->session->threadCount() : 0;
}

kiln_status_t *kiln_session_run(kiln_session_t *session,
                                const kiln_tensor_view_t *inputs,
                                size_t input_count,
                                const kiln_mutable_tensor_view_t *outputs,
                                size_t output_count) {
  return guarded([&]() -> kiln_status_t * {
    if (!session || (input_count && !inputs) || (output_count && !outputs)) {
      return invalidArgument("kiln_session_run",
                             "session, and the input and output arrays when "
                             "their counts are non-zero, must not be null");
    }
    // Counts are checked by Session::run; views beyond the signature are
    // never built, so the reserved vectors are never outgrown.
    const Program &program = session->session->program();
    if (input_count != program.inputs().size() ||
        output_count != program.outputs().size()) {
      return toC(makeError(StatusCode::InvalidArgument, "expected ",
                           program.inputs().size(), " inputs and ",
                           program.outputs().size(), " outputs, got ",
                           input_count, " and ", output_count));
    }
    session->inputs.clear();
    for (size_t i = 0; i < input_count; ++i) {
      const kiln_tensor_view_t &in = inputs[i];
      Status status = checkView("input", i, in.dtype, in.rank, in.shape);
      if (!status.ok()) {
        return toC(status);
      }
      session->inputs.push_back(
          {static_cast<DType>(in.dtype), {in.shape, in.rank}, in.data});
    }
    session->outputs.clear();
    for (size_t i = 0; i < output_count; ++i) {
      const kiln_mutable_tensor_view_t &out = outputs[i];
      Status status = checkView("output", i, out.dtype, out.rank, out.shape);
      if (!status.ok()) {
        return toC(status);
      }
      session->outputs.push_back(
          {static_cast<DType>(out.dtype), {out.shape, out.rank}, out.data});
    }
    return toC(session->session->run(session->inputs, session->outputs));
  });
}

} // extern "C"
