//===- Span.h - A non-owning view of contiguous elements --------*- C++ -*-===//
//
// C++17 has no std::span; this is the small subset the runtime's API needs,
// in the spirit of llvm::ArrayRef. A Span never owns what it points to: the
// caller keeps the elements alive for as long as the Span is used.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SPAN_H
#define KILN_RUNTIME_SPAN_H

#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <vector>

namespace kiln::rt {

/// A pointer and a count of elements of type T (T may be const).
template <typename T> class Span {
public:
  using value_type = std::remove_cv_t<T>;

  /// An empty span.
  constexpr Span() = default;
  /// The `size` elements starting at `data`.
  constexpr Span(T *data, size_t size) : ptr(data), count(size) {}
  /// Every element of a C array.
  template <size_t N> constexpr Span(T (&array)[N]) : ptr(array), count(N) {}
  /// Every element of a vector (a const vector only for a Span of const).
  template <typename Alloc>
  Span(std::vector<value_type, Alloc> &vec)
      : ptr(vec.data()), count(vec.size()) {}
  template <typename Alloc, typename U = T,
            typename = std::enable_if_t<std::is_const_v<U>>>
  Span(const std::vector<value_type, Alloc> &vec)
      : ptr(vec.data()), count(vec.size()) {}
  /// The elements of a braced list; only valid for the full expression, so
  /// use it for arguments, never to initialise a variable.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  template <typename U = T, typename = std::enable_if_t<std::is_const_v<U>>>
  Span(std::initializer_list<value_type> list)
      : ptr(list.begin()), count(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  constexpr T *data() const { return ptr; }
  constexpr size_t size() const { return count; }
  constexpr bool empty() const { return count == 0; }
  constexpr T *begin() const { return ptr; }
  constexpr T *end() const { return ptr + count; }
  constexpr T &operator[](size_t i) const { return ptr[i]; }

private:
  T *ptr = nullptr;
  size_t count = 0;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_SPAN_H
