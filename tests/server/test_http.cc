// test_http.cc - the transport through raw sockets and curl: chunked bodies, Expect:
// 100-continue, pipelining, HTTP/1.0, header limits (431), chunked oversize (413), deadlines,
// trickling clients not starving health checks, the connection limit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "tests/server/server_fixture.hpp"

namespace rtml::test {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kInfer = R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]})";

int dial(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Reads until `count` occurrences of `until` have arrived, the peer closes, or the time is up.
std::string recv_until(int fd, const std::string& until, int count = 1, int timeout_ms = 2000, bool* closed = nullptr) {
  std::string out;
  char b[8192];
  auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (closed) *closed = false;
  auto seen = [&] {
    int c = 0;
    for (size_t p = out.find(until); p != std::string::npos; p = out.find(until, p + 1)) ++c;
    return c >= count;
  };
  while (Clock::now() < end && (until.empty() || !seen())) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    ssize_t n = recv(fd, b, sizeof b, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    out.append(b, static_cast<size_t>(n));
  }
  return out;
}

std::string post_head(size_t len, const std::string& extra = "") {
  return "POST /v2/models/m/infer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(len) + "\r\n" + extra + "\r\n";
}

struct ServerHttp : ::testing::Test {
  std::string dir = temp_dir();
  std::unique_ptr<TestServer> srv;
  server::ServeOptions opts() {
    write_file(dir + "/m.onnx", passthrough_model({{"x", DType::F32}}));
    server::ServeOptions o;
    o.model_path = dir + "/m.onnx";
    o.model_name = "m";
    o.http.max_body_bytes = 64 * 1024;
    o.http.max_headers = 20;
    o.http.max_header_bytes = 4096;
    return o;
  }
  void start(server::ServeOptions o) { srv = std::make_unique<TestServer>(o); }
  void TearDown() override {
    srv.reset();
    std::filesystem::remove_all(dir);
  }
};

TEST_F(ServerHttp, ChunkedContinuePipelinedHttp10) {
  start(opts());
  int fd = dial(srv->port);
  // Chunked body in three chunks, with a chunk extension and a trailer.
  std::string chunked = "POST /v2/models/m/infer HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  chunked += "10;ext=1\r\n" + kInfer.substr(0, 16) + "\r\n";
  std::string rest = kInfer.substr(16);
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", rest.size());
  chunked += std::string(hex) + "\r\n" + rest + "\r\n0\r\nX-Trailer: 1\r\n\r\n";
  send_all(fd, chunked);
  std::string r = recv_until(fd, "]}]}");
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_NE(r.find("\"data\":[1,2,3,4]"), std::string::npos) << r;
  // Expect: 100-continue.
  send_all(fd, post_head(kInfer.size(), "Expect: 100-continue\r\n"));
  r = recv_until(fd, "\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 100 Continue", 0), 0u) << r;
  send_all(fd, kInfer);
  r = recv_until(fd, "]}]}");
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  // Three pipelined requests in one write: three answers in order.
  std::string three = post_head(kInfer.size()) + kInfer + "GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n" +
                      post_head(kInfer.size()) + kInfer;
  send_all(fd, three);
  r = recv_until(fd, "HTTP/1.1 200", 3);
  size_t a = r.find("\"outputs\""), b = r.find("{\"live\":true}"), c = r.rfind("\"outputs\"");
  EXPECT_TRUE(a < b && b < c && c != std::string::npos) << r;
  // HEAD: headers only, and the connection stays usable.
  send_all(fd, "HEAD /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\nGET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n");
  r = recv_until(fd, "{\"live\":true}");
  EXPECT_EQ(r.find("{\"live\":true}"), r.rfind("{\"live\":true}")) << r;  // one body, for the GET
  EXPECT_NE(r.find("Content-Length: 13"), std::string::npos) << r;
  EXPECT_NE(r.find("{\"live\":true}"), std::string::npos) << r;
  close(fd);
  // HTTP/1.0 without keep-alive: answered, then closed.
  fd = dial(srv->port);
  send_all(fd, "GET /v2/health/live HTTP/1.0\r\n\r\n");
  bool closed = false;
  r = recv_until(fd, "", 1, 2000, &closed);
  EXPECT_NE(r.find("200 OK"), std::string::npos);
  EXPECT_TRUE(closed);
  close(fd);
}

TEST_F(ServerHttp, ChunkedBodyInManySmallWrites) {
  start(opts());
  int fd = dial(srv->port);
  send_all(fd, "POST /v2/models/m/infer HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  // One chunk per byte of JSON, padded with spaces to ~20 KB, each sent on its own.
  std::string body = kInfer + std::string(20000, ' ');
  std::string wire;
  for (char ch : body) wire += std::string("1\r\n") + ch + "\r\n";
  wire += "0\r\n\r\n";
  for (size_t off = 0; off < wire.size(); off += 997) {
    send_all(fd, wire.substr(off, 997));
    if (off % (997 * 40) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string r = recv_until(fd, "]}]}", 1, 5000);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r.substr(0, 300);
  EXPECT_NE(r.find("\"data\":[1,2,3,4]"), std::string::npos);
  close(fd);
}

TEST_F(ServerHttp, HeaderAndBodyLimits) {
  start(opts());
  auto status_of = [&](const std::string& req) {
    int fd = dial(srv->port);
    send_all(fd, req);
    std::string r = recv_until(fd, "\r\n\r\n");
    close(fd);
    return r.substr(0, 12);
  };
  std::string many = "GET /v2/health/live HTTP/1.1\r\n";
  for (int i = 0; i < 30; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(status_of(many + "\r\n"), "HTTP/1.1 431");
  EXPECT_EQ(status_of("GET /v2/health/live HTTP/1.1\r\nX-Long: " + std::string(8000, 'a') + "\r\n\r\n"), "HTTP/1.1 431");
  EXPECT_EQ(status_of("GET /v2/health/live HTTP/1.1\r\nX-Long: " + std::string(8000, 'a')), "HTTP/1.1 431");
  EXPECT_EQ(status_of(post_head(1 << 20)), "HTTP/1.1 413");
  std::string big_chunks = "POST /v2/models/m/infer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) big_chunks += "4000\r\n" + std::string(0x4000, ' ') + "\r\n";
  EXPECT_EQ(status_of(big_chunks), "HTTP/1.1 413");
  EXPECT_EQ(status_of("POST /v2/models/m/infer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), "HTTP/1.1 400");
  EXPECT_EQ(status_of("GARBAGE\r\n\r\n"), "HTTP/1.1 400");
  EXPECT_EQ(status_of("GET /x HTTP/2.0\r\n\r\n"), "HTTP/1.1 400");
  EXPECT_EQ(status_of("POST /v2/models/m/infer HTTP/1.1\r\nContent-Length: 12x\r\n\r\n"), "HTTP/1.1 400");
}

TEST_F(ServerHttp, TricklingClientsDoNotStarveHealth) {
  auto o = opts();
  o.threads = 1;
  o.http.read_timeout_ms = 1000;
  start(o);
  std::vector<int> slow;
  for (int i = 0; i < 50; ++i) {
    int fd = dial(srv->port);
    send_all(fd, "POST /v2/models/m/infer HTTP/1.1\r\nHost: t\r\n");
    slow.push_back(fd);
  }
  auto c = srv->client();
  for (int i = 0; i < 20; ++i) {
    auto t0 = Clock::now();
    auto r = c.Get("/v2/health/ready");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(500));  // not waiting on the tricklers
    for (int fd : slow) send_all(fd, "X");  // one byte each
  }
  // The read deadline (1 s for a whole request) closes every trickler.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int closed_count = 0;
  for (int fd : slow) {
    bool closed = false;
    recv_until(fd, "", 1, 50, &closed);
    closed_count += closed;
    close(fd);
  }
  EXPECT_EQ(closed_count, 50);
  EXPECT_EQ(c.Get("/v2/health/live")->status, 200);
}

TEST_F(ServerHttp, IdleTimeoutAndConnectionLimit) {
  auto o = opts();
  o.http.idle_timeout_ms = 200;
  o.http.max_connections = 4;
  start(o);
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) fds.push_back(dial(srv->port));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int extra = dial(srv->port);
  std::string r = recv_until(extra, "}");
  EXPECT_NE(r.find("503"), std::string::npos) << r;
  close(extra);
  // The idle ones are closed by the idle deadline; then connections are accepted again.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  for (int fd : fds) {
    bool closed = false;
    recv_until(fd, "", 1, 50, &closed);
    EXPECT_TRUE(closed);
    close(fd);
  }
  EXPECT_EQ(srv->client().Get("/v2/health/live")->status, 200);
}

TEST_F(ServerHttp, Curl) {
  start(opts());
  std::string url = "http://127.0.0.1:" + std::to_string(srv->port);
  std::string cmd = "curl -s --max-time 5 -X POST " + url + "/v2/models/m/infer -H 'Content-Type: application/json' -d '" +
                    kInfer + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char b[4096];
  std::string out;
  while (size_t n = fread(b, 1, sizeof b, p)) out.append(b, n);
  int rc = pclose(p);
  if (rc != 0 && out.empty()) GTEST_SKIP() << "curl is not installed";
  EXPECT_NE(out.find("\"data\":[1,2,3,4]"), std::string::npos) << out;
  // A 2 MB body through curl (it sends Expect: 100-continue): 413, not a hang.
  write_file(dir + "/big.json", std::string(2 << 20, ' '));
  cmd = "curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST " + url + "/v2/models/m/infer --data-binary @" + dir +
        "/big.json";
  p = popen(cmd.c_str(), "r");
  out.clear();
  while (size_t n = fread(b, 1, sizeof b, p)) out.append(b, n);
  pclose(p);
  EXPECT_EQ(out, "413");
}

}  // namespace
}  // namespace rtml::test
