// bigmem.cc - see bigmem.hpp.
#include "engine/bigmem.hpp"

#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace rtml::mem {

namespace {
constexpr size_t kHuge = size_t(2) << 20;
constexpr size_t kMin = size_t(4) << 20;  // below this the faults saved do not matter
}  // namespace

void advise_huge(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (!p || bytes < kMin) return;
  const uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (e > a) ::madvise(reinterpret_cast<void*>(a), e - a, MADV_HUGEPAGE);  // advice only: errors ignored
#else
  (void)p, (void)bytes;
#endif
}

void* huge_alloc(size_t bytes) {
#if defined(__linux__)
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  advise_huge(p, bytes);
  return p;
#else
  return ::operator new(bytes, std::nothrow);
#endif
}

void huge_free(void* p, size_t bytes) {
  if (!p) return;
#if defined(__linux__)
  ::munmap(p, bytes);
#else
  (void)bytes;
  ::operator delete(p);
#endif
}

}  // namespace rtml::mem
