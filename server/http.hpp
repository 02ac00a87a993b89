// http.hpp - the HTTP/1.1 transport of `rtml serve`: one Boost.Asio event loop per thread, each
// with its own SO_REUSEPORT listening socket, non-blocking sockets, per-connection deadlines and
// hard limits. It knows nothing about models: it hands each complete request to an HttpHandler.
//
//   struct Hello : HttpHandler {
//     void handle(const HttpRequest& rq, HttpResponse& rs) override { rs.body = "{}"; }
//   } h;
//   HttpServer srv(h, HttpLimits{}, 2);
//   std::string err;
//   if (!srv.listen("127.0.0.1", 0, &err)) ...;   // port 0: the OS picks one, srv.port() says it
//   srv.start();                                   // threads run the loops
//   ... srv.drain(); srv.wait(deadline);           // stop accepting, finish requests, stop
//
// Why not cpp-httplib / evhttp: measured floor on this machine (bench/results/server.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace rtml::server {

// Readable bytes guaranteed after the end of HttpRequest::body (simdjson parses in place).
constexpr size_t kBodyPadding = 64;

struct HttpHeader {
  std::string_view name, value;
};

struct HttpRequest {
  std::string_view method, target, path, query;
  std::span<const HttpHeader> headers;
  std::string_view body;  // kBodyPadding readable bytes follow it
  int minor_version = 1;
  std::chrono::steady_clock::time_point received;  // when the last byte arrived
  std::string_view header(std::string_view name) const;  // case-insensitive; "" if absent
};

// An answer finished later, from any thread (micro-batching): fill response(), then finish().
class Deferred {
 public:
  virtual ~Deferred() = default;
  virtual struct HttpResponse& response() = 0;
  virtual void finish() = 0;  // hands the answer back to the connection's loop to be written
};

struct HttpResponse {
  int status = 200;
  const char* content_type = "application/json";
  std::string body;                       // reused across requests on a connection
  int64_t inference_header_length = -1;   // >= 0: Inference-Header-Content-Length
  bool close = false;                     // close the connection after this answer
  // Called by a handler that answers later; the handler must then not touch `this` again except
  // through the returned object.
  std::shared_ptr<Deferred> defer();
  void* conn_ = nullptr;                  // the transport's connection (for defer)
  bool deferred_ = false;
  void reset() {
    deferred_ = false;
    status = 200;
    content_type = "application/json";
    body.clear();
    inference_header_length = -1;
    close = false;
  }
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on a loop thread; must not block for long. Fill `rs` (status, body).
  virtual void handle(const HttpRequest& rq, HttpResponse& rs) = 0;
};

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;   // request line + headers: 431 above
  int max_headers = 64;                  // header count: 431 above
  size_t max_body_bytes = 64u << 20;     // 413 above (Content-Length or chunked total)
  int read_timeout_ms = 30000;           // a whole request, first byte to last
  int write_timeout_ms = 30000;          // a whole answer
  int idle_timeout_ms = 60000;           // keep-alive with nothing to read
  int max_connections = 4096;            // beyond: answered 503 and closed
};

class HttpServer {
 public:
  HttpServer(HttpHandler& handler, HttpLimits limits, int threads);
  ~HttpServer();
  bool listen(const std::string& host, int port, std::string* error);
  int port() const { return port_; }
  void start();
  // Stop accepting; close idle connections; answers in progress finish with Connection: close.
  void drain();
  // Wait until every loop has stopped (after drain) or the deadline passes (then force stop).
  // True if everything finished in time.
  bool wait(std::chrono::steady_clock::time_point deadline);
  void stop();  // immediate
  int64_t connections() const { return open_.load(); }
  int threads() const { return static_cast<int>(loops_.size()); }

  struct Loop;

 private:
  HttpHandler& handler_;
  HttpLimits limits_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> open_{0};
  std::atomic<int> running_{0};
  int port_ = 0;
  friend struct Conn;
};

}  // namespace rtml::server
