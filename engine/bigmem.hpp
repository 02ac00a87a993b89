// bigmem.hpp - memory for the big buffers of a model load (the file, the protobuf arena, a large
// forest's arrays) with transparent huge pages requested.
//
// Why: loading a 1.5-million-node forest touches a few hundred MB once; at 4 KB a page that is
// ~100k page faults, which cost more than the parsing on a virtual machine (measured: 2.2 s with
// 4 KB pages, 0.8-1.2 s with huge pages for the same load). Linux's default THP mode is often
// "madvise", so the request has to be made per region.
#pragma once

#include <cstddef>

namespace rtml::mem {

// Requests huge pages for the 2 MB-aligned interior of [p, p + bytes) (nothing for small
// regions or where the system does not support it). Call before the memory is first written.
void advise_huge(void* p, size_t bytes);

// Page-aligned anonymous memory with huge pages requested; nullptr on failure. Free with
// huge_free(p, bytes) (same bytes).
void* huge_alloc(size_t bytes);
void huge_free(void* p, size_t bytes);

// v.reserve(n), then huge pages requested for the reserved storage.
template <class V>
void reserve_huge(V& v, size_t n) {
  v.reserve(n);
  advise_huge(static_cast<void*>(v.data()), n * sizeof(*v.data()));
}

}  // namespace rtml::mem
