// test_alloc.cc - the protocol's hot path allocates nothing once warm: 1000 v2 inferences through
// Service::handle (routing, parse, validation, Session::run, encode, metrics) and through the
// codec alone, counted with a replaced global operator new.
#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/server/server_fixture.hpp"

static std::atomic<long> g_allocs{0};
static std::atomic<bool> g_counting{false};

void* operator new(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, std::align_val_t a) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  size_t al = static_cast<size_t>(a);
  if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace rtml::test {
namespace {

TEST(ServerAlloc, InferPathAllocatesNothingOnceWarm) {
  std::string dir = temp_dir();
  write_file(dir + "/m.onnx", passthrough_model({{"x", DType::F32}, {"s", DType::String}}));
  server::Repository repo("", 1, true);
  repo.add_file("m", dir + "/m.onnx");
  ASSERT_TRUE(repo.load("m").ok());
  server::Service svc(repo, {});
  svc.set_ready(true);
  std::string body =
      R"({"id":"r1","inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1.5,2,3,4]},)"
      R"({"name":"s","shape":[1,4],"datatype":"BYTES","data":["a","b","c","d"]}],"outputs":[{"name":"x"}]})";
  body.reserve(body.size() + server::kBodyPadding);
  server::HttpHeader hdrs[] = {{"Content-Type", "application/json"}, {"Host", "x"}};
  server::HttpRequest rq;
  rq.method = "POST";
  rq.target = rq.path = "/v2/models/m/infer";
  rq.headers = hdrs;
  rq.body = body;
  server::HttpResponse rs;
  for (int i = 0; i < 10; ++i) {  // warm: parser capacity, sessions, buffers
    rs.reset();
    rq.received = std::chrono::steady_clock::now();
    svc.handle(rq, rs);
    ASSERT_EQ(rs.status, 200) << rs.body;
  }
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 1000; ++i) {
    rs.reset();
    rq.received = std::chrono::steady_clock::now();
    svc.handle(rq, rs);
  }
  g_counting = false;
  EXPECT_EQ(rs.status, 200);
  EXPECT_NE(rs.body.find("\"data\":[1.5,2,3,4]"), std::string::npos) << rs.body;
  EXPECT_EQ(g_allocs.load(), 0) << "allocations in 1000 warm inferences";
  // The counter works: an unknown model's error message is a fresh std::string.
  rq.path = rq.target = "/v2/models/unknown/infer";
  g_allocs = 0;
  g_counting = true;
  rs.reset();
  svc.handle(rq, rs);
  g_counting = false;
  EXPECT_EQ(rs.status, 404);
  EXPECT_GT(g_allocs.load(), 0);
  // Health and readiness too.
  rq.method = "GET";
  rq.path = rq.target = "/v2/health/ready";
  rq.body = {};
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 100; ++i) {
    rs.reset();
    svc.handle(rq, rs);
  }
  g_counting = false;
  EXPECT_EQ(g_allocs.load(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rtml::test
