// A std::allocator replacement for the columnar engine's big vectors: blocks
// of 4 MiB and more are mapped directly, 2 MiB-aligned, and marked for
// transparent huge pages (MADV_HUGEPAGE).
//
// Why: a million-line table is ~130 MB of columns. In 4 KiB pages that is
// 30,000+ page faults each time a column is built (on a virtual machine a
// fault costs microseconds) and a TLB miss every few rows of a scan; in
// 2 MiB pages it is a few dozen of each. Freed blocks go straight back to
// the system, so the process's RSS follows the table's size. Smaller blocks
// use the ordinary heap.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace analytics::columnar {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
inline constexpr std::size_t kMapDirectlyFrom = std::size_t{4} << 20;

inline std::size_t RoundToHugePage(std::size_t bytes) {
  return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
}

// Maps `bytes` (a multiple of kHugePageBytes) at a 2 MiB boundary; throws
// std::bad_alloc like operator new when the system refuses.
inline void* MapHugeAligned(std::size_t bytes) {
  const std::size_t padded = bytes + kHugePageBytes;
  void* raw = mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  // Give back the unaligned head and the unused tail.
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t end = start + padded;
  if (end > aligned + bytes)
    munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

template <typename T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocator rebinding

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMapDirectlyFrom) return static_cast<T*>(::operator new(bytes));
    return static_cast<T*>(MapHugeAligned(RoundToHugePage(bytes)));
  }

  void deallocate(T* p, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMapDirectlyFrom) {
      ::operator delete(p);
    } else {
      munmap(p, RoundToHugePage(bytes));
    }
  }

  // resize() default-initialises instead of zeroing: columns are always
  // written right after they grow, so zeroing them first would double the
  // memory traffic of building a table.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

template <typename T>
using BigVector = std::vector<T, HugePageAllocator<T>>;

// For short-lived big answers (a scored customer list): blocks of 1 MiB and
// more are mapped with MAP_POPULATE, in 4 KiB pages. Faulting them in page
// by page is a fault per 4 KiB, and asking for huge pages on every answer
// can stall a call while the kernel compacts memory to find them;
// populating maps and zeroes the pages in one call.
template <typename T>
struct PopulatedAllocator {
  using value_type = T;
  static constexpr std::size_t kMapFrom = std::size_t{1} << 20;

  PopulatedAllocator() = default;
  template <typename U>
  PopulatedAllocator(const PopulatedAllocator<U>&) {}  // NOLINT: allocator rebinding

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMapFrom) return static_cast<T*>(::operator new(bytes));
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }

  void deallocate(T* p, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMapFrom) {
      ::operator delete(p);
    } else {
      munmap(p, bytes);
    }
  }

  // resize() leaves new elements unwritten: the answer's builder assigns
  // every one right after, so writing them twice would double the traffic.
  // Only for plain records that need no construction before assignment.
  template <typename U>
  void construct(U*) noexcept {
    static_assert(std::is_trivially_copyable_v<U> && std::is_trivially_destructible_v<U>);
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const PopulatedAllocator<U>&) const {
    return true;
  }
};

}  // namespace analytics::columnar
