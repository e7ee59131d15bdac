//===- ExecutableLoader.cpp - Loading kernel code objects -----------------===//
//
// Before dlopen sees an image, its ELF structure is checked as far as the
// dynamic loader trusts it: header, machine, program header table and the
// file ranges of the mapped segments. The loader is not hardened against
// hostile images, but with these checks a damaged one (truncated, wrong
// architecture, linked against libc) is refused with a message.
//
//===----------------------------------------------------------------------===//

#include "runtime/ExecutableLoader.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace kiln::rt {

namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#else
constexpr uint16_t kHostMachine = EM_NONE;
#endif

/// Whether [offset, offset + size) lies inside an image of `total` bytes.
bool fits(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

/// Reads a T at `offset` of `image`; the caller has checked the bounds.
template <typename T> T readAt(Span<const uint8_t> image, uint64_t offset) {
  T value;
  std::memcpy(&value, image.data() + offset, sizeof(T));
  return value;
}

/// Checks the dynamic section: well formed, and no DT_NEEDED, since kernels
/// are freestanding and must not pull libraries into the process.
Status checkDynamic(Span<const uint8_t> image, const Elf64_Phdr &dynamic,
                    const std::vector<Elf64_Phdr> &loads) {
  uint64_t count = dynamic.p_filesz / sizeof(Elf64_Dyn);
  uint64_t strtab = 0, strsz = 0;
  std::vector<uint64_t> needed;
  for (uint64_t i = 0; i < count; ++i) {
    auto entry =
        readAt<Elf64_Dyn>(image, dynamic.p_offset + i * sizeof(Elf64_Dyn));
    if (entry.d_tag == DT_NULL) {
      break;
    }
    if (entry.d_tag == DT_NEEDED) {
      needed.push_back(entry.d_un.d_val);
    } else if (entry.d_tag == DT_STRTAB) {
      strtab = entry.d_un.d_ptr;
    } else if (entry.d_tag == DT_STRSZ) {
      strsz = entry.d_un.d_val;
    }
  }
  if (needed.empty()) {
    return Status();
  }
  // Name the first dependency if the string table can be found.
  std::string name = "?";
  for (const Elf64_Phdr &load : loads) {
    if (strtab >= load.p_vaddr && strtab - load.p_vaddr < load.p_filesz) {
      uint64_t offset = load.p_offset + (strtab - load.p_vaddr) + needed[0];
      uint64_t end = load.p_offset + load.p_filesz;
      if (needed[0] < strsz && offset < end) {
        const char *text = reinterpret_cast<const char *>(image.data());
        name.assign(text + offset, strnlen(text + offset, end - offset));
      }
    }
  }
  return makeError(StatusCode::InvalidFormat,
                   "image depends on shared library '", name,
                   "' (DT_NEEDED), but kernels must be freestanding");
}

/// Checks the ELF structure that dlopen trusts: the header, and that every
/// segment the loader maps lies inside the image (a truncated image would
/// otherwise fault with SIGBUS inside dlopen).
Status checkElfImage(Span<const uint8_t> image) {
  Elf64_Ehdr header;
  if (image.size() < sizeof(header)) {
    return Status(StatusCode::InvalidFormat,
                  "image is too small to be an ELF file");
  }
  header = readAt<Elf64_Ehdr>(image, 0);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return Status(StatusCode::InvalidFormat, "image is not an ELF file");
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_machine != kHostMachine) {
    return Status(StatusCode::Unsupported,
                  "image is an ELF file for another machine");
  }
  if (header.e_type != ET_DYN) {
    return Status(StatusCode::InvalidFormat,
                  "image is not an ELF shared object");
  }
  if (header.e_phentsize != sizeof(Elf64_Phdr) ||
      !fits(header.e_phoff, uint64_t(header.e_phnum) * sizeof(Elf64_Phdr),
            image.size())) {
    return Status(StatusCode::InvalidFormat,
                  "image has a malformed ELF program header table");
  }
  std::vector<Elf64_Phdr> loads;
  const Elf64_Phdr *dynamic = nullptr;
  std::vector<Elf64_Phdr> headers;
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    headers.push_back(
        readAt<Elf64_Phdr>(image, header.e_phoff + i * sizeof(Elf64_Phdr)));
  }
  for (const Elf64_Phdr &phdr : headers) {
    if ((phdr.p_type == PT_LOAD || phdr.p_type == PT_DYNAMIC) &&
        !fits(phdr.p_offset, phdr.p_filesz, image.size())) {
      return makeError(StatusCode::InvalidFormat,
                       "image is truncated: a "
                       "segment ends at byte ",
                       phdr.p_offset + phdr.p_filesz, " of ", image.size());
    }
    if (phdr.p_type == PT_LOAD) {
      loads.push_back(phdr);
    } else if (phdr.p_type == PT_DYNAMIC) {
      dynamic = &phdr;
    }
  }
  if (loads.empty()) {
    return Status(StatusCode::InvalidFormat, "image has no loadable segment");
  }
  return dynamic ? checkDynamic(image, *dynamic, loads) : Status();
}

/// The text of the last dlerror, or a fallback.
std::string lastDlError() {
  const char *text = ::dlerror();
  return text ? text : "unknown dynamic loader error";
}

} // namespace

StatusOr<std::unique_ptr<LoadedExecutable>>
LoadedExecutable::load(Span<const uint8_t> image,
                       const std::vector<std::string> &exports,
                       const std::string &what) {
  Status status = checkElfImage(image);
  if (!status.ok()) {
    return status.withContext(what);
  }
  std::unique_ptr<LoadedExecutable> exe(new LoadedExecutable());
  exe->fd = ::memfd_create(what.c_str(), MFD_CLOEXEC);
  if (exe->fd < 0) {
    return makeError(StatusCode::IoError, what,
                     ": memfd_create failed: ", std::strerror(errno));
  }
  const uint8_t *bytes = image.data();
  uint64_t left = image.size();
  while (left > 0) {
    ssize_t put = ::write(exe->fd, bytes, left);
    if (put < 0 && errno == EINTR) {
      continue;
    }
    if (put <= 0) {
      return makeError(
          StatusCode::IoError, what,
          ": cannot write the image to a memfd: ", std::strerror(errno));
    }
    bytes += put;
    left -= static_cast<uint64_t>(put);
  }
  // The memfd stays open until dlclose (see the header), so the path names
  // this image alone for as long as it is loaded.
  std::string procPath = "/proc/self/fd/" + std::to_string(exe->fd);
  exe->handle = ::dlopen(procPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!exe->handle) {
    return makeError(StatusCode::InvalidFormat, what,
                     ": dlopen failed: ", lastDlError());
  }
  for (const std::string &name : exports) {
    ::dlerror(); // Clear any stale error so the one reported is ours.
    void *symbol = ::dlsym(exe->handle, name.c_str());
    if (!symbol) {
      return makeError(StatusCode::InvalidFormat, what, ": export '", name,
                       "' not found: ", lastDlError());
    }
    exe->functions.push_back(reinterpret_cast<kiln_dispatch_fn_t>(symbol));
  }
  return exe;
}

/// Unloads the code before closing the memfd that backs its name.
LoadedExecutable::~LoadedExecutable() {
  if (handle) {
    ::dlclose(handle);
  }
  if (fd >= 0) {
    ::close(fd);
  }
}

} // namespace kiln::rt
