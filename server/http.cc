// http.cc - HTTP/1.1 over Boost.Asio: accept, frame requests (Content-Length, chunked,
// Expect: 100-continue, keep-alive, pipelining), enforce limits and deadlines, write answers.
// One io_context per thread; each connection lives on the loop that accepted it.
#include "server/http.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <utility>  // before asio: its awaitable.hpp uses std::exchange
#include <boost/asio.hpp>
#include <charconv>
#include <cstring>
#include <optional>
#include <unordered_set>
#include <utility>

namespace rtml::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// How often the deadline sweep runs: deadlines are enforced to this granularity. A timer per
// connection re-armed per request costs more than one store of a time point.
constexpr auto kSweepPeriod = std::chrono::milliseconds(50);
constexpr size_t kInitialBuffer = 8 * 1024;
// How long an early error answer (413, 431) waits for the client to stop sending.
constexpr auto kLingerTime = std::chrono::seconds(2);

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
static bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}
static bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}
static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const HttpHeader& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

static const char* reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

struct Conn;

struct HttpServer::Loop {
  // conns is declared before io: destroying io destroys pending handlers, hence connections,
  // which unregister themselves from conns.
  HttpServer* srv = nullptr;
  bool draining = false;
  bool dying = false;
  std::unordered_set<Conn*> conns;
  asio::io_context io{1};
  std::optional<tcp::acceptor> acceptor;
  asio::steady_timer sweep{io};
  ~Loop() { dying = true; }
  void accept();
  void arm_sweep();
  void maybe_finish();
};

struct Conn : std::enable_shared_from_this<Conn> {
  enum State { Idle, Reading, Processing, Writing, Lingering, Closed };
  tcp::socket sock;
  HttpServer::Loop& loop;
  HttpServer& srv;
  const HttpLimits& lim;
  std::vector<char> buf;
  size_t have = 0;        // bytes in buf
  size_t scanned = 0;     // header end search resumes here
  bool sent_continue = false;
  State st = Idle;
  Clock::time_point deadline;
  std::vector<HttpHeader> hdrs;
  HttpResponse resp;
  std::string head;
  size_t req_end = 0;     // raw bytes of the request being answered
  bool keep_alive = true;
  bool linger = false;    // an error answered before the request was read: drain it first
  bool head_only = false;  // HEAD: the answer's headers without its body
  size_t ck_pos = 0, ck_wr = 0;  // chunked body: raw scan position, end of the decoded bytes

  Conn(tcp::socket s, HttpServer::Loop& l)
      : sock(std::move(s)), loop(l), srv(*l.srv), lim(l.srv->limits_), buf(kInitialBuffer) {
    hdrs.reserve(lim.max_headers);
    loop.conns.insert(this);
    srv.open_.fetch_add(1, std::memory_order_relaxed);
  }
  ~Conn() {
    loop.conns.erase(this);
    srv.open_.fetch_sub(1, std::memory_order_relaxed);
    loop.maybe_finish();
  }

  void close() {
    if (st == Closed) return;
    st = Closed;
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

  void begin() {
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    sock.non_blocking(true, ec);
    st = Idle;
    deadline = Clock::now() + std::chrono::milliseconds(lim.idle_timeout_ms);
    read();
  }

  // Makes room for `need` bytes plus the padding; false if that exceeds what a request may use.
  bool reserve(size_t need) {
    size_t cap_limit = lim.max_header_bytes + lim.max_body_bytes + lim.max_body_bytes / 8 + 4096 + kBodyPadding;
    if (need + kBodyPadding > cap_limit) return false;
    if (need + kBodyPadding <= buf.size()) return true;
    size_t n = buf.size();
    while (n < need + kBodyPadding) n *= 2;
    buf.resize(std::min(n, cap_limit));
    return true;
  }

  // Waits for readability, then reads without blocking: one epoll wakeup and one recv per
  // request (asio's speculative async read would first fail a recv with EAGAIN every time).
  void read() {
    if (st == Closed) return;
    if (have + kBodyPadding >= buf.size() && !reserve(have + 4096)) return fail(413, "request too large");
    auto self = shared_from_this();
    sock.async_wait(tcp::socket::wait_read, [this, self](boost::system::error_code ec) {
      if (ec || st == Closed) return close();
      size_t n = sock.read_some(asio::buffer(buf.data() + have, buf.size() - kBodyPadding - have), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return read();
      if (ec || st == Closed) return close();
      if (st == Idle) {
        st = Reading;
        deadline = Clock::now() + std::chrono::milliseconds(lim.read_timeout_ms);
      }
      have += n;
      parse();
    });
  }

  // An error the transport answers itself; the connection closes afterwards.
  void fail(int status, const char* msg) {
    resp.reset();
    resp.status = status;
    resp.body = "{\"error\":\"";
    resp.body += msg;
    resp.body += "\"}";
    resp.close = true;
    linger = true;
    req_end = have;
    write();
  }

  // After an early error answer, the client may still be sending: closing now would reset the
  // connection and lose the answer. Stop sending, read and drop what comes, up to a deadline.
  void linger_close() {
    st = Lingering;
    deadline = Clock::now() + kLingerTime;
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    drop_input();
  }
  void drop_input() {
    auto self = shared_from_this();
    sock.async_read_some(asio::buffer(buf.data(), buf.size()), [this, self](boost::system::error_code ec, size_t) {
      if (ec || st == Closed) return close();
      drop_input();
    });
  }

  void parse() {
    if (st == Closed) return;
    if (have == 0) {
      st = Idle;
      deadline = Clock::now() + std::chrono::milliseconds(lim.idle_timeout_ms);
      if (loop.draining) return close();
      return read();
    }
    std::string_view data(buf.data(), have);
    size_t from = scanned > 3 ? scanned - 3 : 0;
    size_t hend = data.find("\r\n\r\n", from);
    if (hend == std::string_view::npos) {
      scanned = have;
      if (have > lim.max_header_bytes) return fail(431, "request headers too large");
      return read();
    }
    if (hend + 4 > lim.max_header_bytes) return fail(431, "request headers too large");
    // Request line.
    std::string_view hv = data.substr(0, hend + 2);
    size_t le = hv.find("\r\n");
    std::string_view line = hv.substr(0, le);
    size_t s1 = line.find(' ');
    size_t s2 = line.rfind(' ');
    if (s1 == std::string_view::npos || s2 == s1) return fail(400, "malformed request line");
    HttpRequest rq;
    rq.method = line.substr(0, s1);
    rq.target = line.substr(s1 + 1, s2 - s1 - 1);
    std::string_view ver = line.substr(s2 + 1);
    if (ver == "HTTP/1.1") rq.minor_version = 1;
    else if (ver == "HTTP/1.0") rq.minor_version = 0;
    else return fail(400, "unsupported HTTP version");
    if (rq.target.empty() || rq.target[0] != '/') return fail(400, "malformed request target");
    size_t q = rq.target.find('?');
    rq.path = rq.target.substr(0, q);
    if (q != std::string_view::npos) rq.query = rq.target.substr(q + 1);
    // Headers.
    hdrs.clear();
    size_t pos = le + 2;
    while (pos < hv.size()) {
      size_t e = hv.find("\r\n", pos);
      std::string_view h = hv.substr(pos, e - pos);
      pos = e + 2;
      size_t c = h.find(':');
      if (c == std::string_view::npos || c == 0) return fail(400, "malformed header");
      if (static_cast<int>(hdrs.size()) >= lim.max_headers) return fail(431, "too many request headers");
      hdrs.push_back({h.substr(0, c), trim(h.substr(c + 1))});
    }
    rq.headers = hdrs;
    std::string_view conn_h = rq.header("connection");
    keep_alive = rq.minor_version == 1 ? !icontains(conn_h, "close") : icontains(conn_h, "keep-alive");
    size_t body_start = hend + 4;
    size_t body_len = 0;
    std::string_view te = rq.header("transfer-encoding");
    std::string_view cl = rq.header("content-length");
    if (!te.empty()) {
      if (!icontains(te, "chunked")) return fail(501, "unsupported transfer encoding");
      int r = chunked(body_start, &body_len);
      if (r < 0) return;
      if (r == 0) return need_more(rq, SIZE_MAX);
    } else if (!cl.empty()) {
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
      if (ec != std::errc() || p != cl.data() + cl.size()) return fail(400, "malformed Content-Length");
      if (n > lim.max_body_bytes) return fail(413, "request body too large");
      body_len = n;
      if (have < body_start + body_len) return need_more(rq, body_start + body_len);
      req_end = body_start + body_len;
    } else {
      req_end = body_start;
    }
    rq.body = std::string_view(buf.data() + body_start, body_len);
    rq.received = Clock::now();
    dispatch(rq);
  }

  void need_more(const HttpRequest& rq, size_t total) {
    if (total != SIZE_MAX && !reserve(total)) return fail(413, "request body too large");
    if (!sent_continue && rq.minor_version == 1 && iequals(rq.header("expect"), "100-continue")) {
      sent_continue = true;
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      auto self = shared_from_this();
      asio::async_write(sock, asio::buffer(kContinue, sizeof(kContinue) - 1),
                        [this, self](boost::system::error_code ec, size_t) {
                          if (ec) return close();
                          read();
                        });
      return;
    }
    read();
  }

  // Chunked body starting at `start`, decoded in place as chunks complete: decoded bytes are
  // [start, ck_wr), raw bytes not yet decoded are [ck_pos, have) and are moved down to ck_wr, so
  // the buffer holds the body plus at most one partial chunk whatever the chunk sizes.
  // 1 complete (req_end set), 0 need more, -1 failed (answer already under way).
  int chunked(size_t start, size_t* body_len) {
    if (ck_pos < start) ck_pos = ck_wr = start;
    for (;;) {
      size_t e = std::string_view(buf.data(), have).find("\r\n", ck_pos);
      if (e == std::string_view::npos) {
        if (have - ck_pos > 1024) { fail(400, "malformed chunk"); return -1; }
        break;
      }
      std::string_view line(buf.data() + ck_pos, e - ck_pos);
      size_t semi = line.find(';');
      if (semi != std::string_view::npos) line = line.substr(0, semi);
      line = trim(line);
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), n, 16);
      if (line.empty() || ec != std::errc() || p != line.data() + line.size()) { fail(400, "malformed chunk"); return -1; }
      if (n > lim.max_body_bytes || ck_wr - start + n > lim.max_body_bytes) { fail(413, "request body too large"); return -1; }
      size_t data = e + 2;
      if (n == 0) {
        size_t pos = data;  // trailers until an empty line
        for (;;) {
          size_t t = std::string_view(buf.data(), have).find("\r\n", pos);
          if (t == std::string_view::npos) {
            if (have - pos > lim.max_header_bytes) { fail(431, "trailers too large"); return -1; }
            return 0;
          }
          bool empty = t == pos;
          pos = t + 2;
          if (empty) break;
        }
        *body_len = ck_wr - start;
        req_end = pos;
        return 1;
      }
      if (have < data + n + 2) {
        if (!reserve(ck_wr + (data - ck_pos) + n + 2)) { fail(413, "request body too large"); return -1; }
        break;
      }
      if (buf[data + n] != '\r' || buf[data + n + 1] != '\n') { fail(400, "malformed chunk"); return -1; }
      std::memmove(buf.data() + ck_wr, buf.data() + data, n);
      ck_wr += n;
      ck_pos = data + n + 2;
    }
    if (ck_pos > ck_wr) {  // reclaim the consumed chunk framing
      std::memmove(buf.data() + ck_wr, buf.data() + ck_pos, have - ck_pos);
      have -= ck_pos - ck_wr;
      ck_pos = ck_wr;
    }
    return 0;
  }

  void dispatch(const HttpRequest& rq) {
    st = Processing;
    resp.reset();
    resp.conn_ = this;
    head_only = rq.method == "HEAD";
    srv.handler_.handle(rq, resp);
    if (resp.deferred_) return;  // DeferredConn::finish() continues on this loop
    respond();
  }

  void respond() {
    if (st == Closed) return;
    if (!keep_alive || loop.draining) resp.close = true;
    write();
  }

  void write() {
    st = Writing;
    deadline = Clock::now() + std::chrono::milliseconds(lim.write_timeout_ms);
    head.clear();
    char num[32];
    head += "HTTP/1.1 ";
    head.append(num, std::to_chars(num, num + 32, resp.status).ptr);
    head += ' ';
    head += reason(resp.status);
    head += "\r\nContent-Type: ";
    head += resp.content_type;
    head += "\r\nContent-Length: ";
    head.append(num, std::to_chars(num, num + 32, resp.body.size()).ptr);
    if (resp.inference_header_length >= 0) {
      head += "\r\nInference-Header-Content-Length: ";
      head.append(num, std::to_chars(num, num + 32, resp.inference_header_length).ptr);
    }
    if (resp.close) head += "\r\nConnection: close";
    head += "\r\n\r\n";
    // Most answers fit the socket buffer: write now, without a trip through the reactor.
    if (head_only) {
      resp.body.clear();
      head_only = false;
    }
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(resp.body)};
    boost::system::error_code ec;
    size_t total = head.size() + resp.body.size();
    size_t done = sock.write_some(bufs, ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return close();
    if (ec) done = 0;
    if (done == total) return written(true);
    // The rest when the socket drains.
    size_t off_head = std::min(done, head.size());
    size_t off_body = done - off_head;
    std::array<asio::const_buffer, 2> rest{asio::buffer(head.data() + off_head, head.size() - off_head),
                                           asio::buffer(resp.body.data() + off_body, resp.body.size() - off_body)};
    auto self = shared_from_this();
    asio::async_write(sock, rest, [this, self](boost::system::error_code ec2, size_t) {
      if (ec2 || st == Closed) return close();
      written(false);
    });
  }

  // The answer is out: next request (pipelined bytes first).
  void written(bool inline_call) {
    if (resp.close) return linger ? linger_close() : close();
    size_t rest = have - req_end;
    if (rest) std::memmove(buf.data(), buf.data() + req_end, rest);
    have = rest;
    scanned = 0;
    ck_pos = ck_wr = 0;
    sent_continue = false;
    if (buf.size() > 1024 * 1024 && have < kInitialBuffer) {  // give back a huge body's buffer
      buf.resize(kInitialBuffer);
      buf.shrink_to_fit();
    }
    st = have ? Reading : Idle;
    deadline = Clock::now() + std::chrono::milliseconds(have ? lim.read_timeout_ms : lim.idle_timeout_ms);
    if (have && inline_call) {
      // Pipelined requests: continue from the loop, not by recursion.
      auto self = shared_from_this();
      asio::post(loop.io, [this, self] { parse(); });
      return;
    }
    parse();
  }
};

struct DeferredConn : Deferred {
  std::shared_ptr<Conn> c;
  explicit DeferredConn(std::shared_ptr<Conn> conn) : c(std::move(conn)) {}
  HttpResponse& response() override { return c->resp; }
  // The connection reference moves into the posted handler: it must be released on the loop's
  // thread (a connection is destroyed on its own loop, never on the batcher's thread).
  void finish() override {
    HttpServer::Loop& loop = c->loop;
    asio::post(loop.io, [conn = std::move(c)] { conn->respond(); });
  }
};

std::shared_ptr<Deferred> HttpResponse::defer() {
  deferred_ = true;
  return std::make_shared<DeferredConn>(static_cast<Conn*>(conn_)->shared_from_this());
}

void HttpServer::Loop::accept() {
  acceptor->async_accept(io, [this](boost::system::error_code ec, tcp::socket s) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      return accept();  // e.g. EMFILE: keep accepting later connections
    }
    if (srv->open_.load(std::memory_order_relaxed) >= srv->limits_.max_connections) {
      static const char k503[] =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
          "33\r\nConnection: close\r\n\r\n{\"error\":\"too many connections\"}\n";
      ::send(s.native_handle(), k503, sizeof(k503) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
      boost::system::error_code ig;
      s.close(ig);
    } else {
      std::make_shared<Conn>(std::move(s), *this)->begin();
    }
    accept();
  });
}

void HttpServer::Loop::arm_sweep() {
  sweep.expires_after(kSweepPeriod);
  sweep.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    auto now = Clock::now();
    std::vector<Conn*> expired;
    for (Conn* c : conns) {
      if (c->st == Conn::Processing || c->st == Conn::Closed) continue;
      if (now > c->deadline || (draining && c->st == Conn::Idle)) expired.push_back(c);
    }
    for (Conn* c : expired) c->close();
    if (draining && conns.empty()) return io.stop();
    arm_sweep();
  });
}

void HttpServer::Loop::maybe_finish() {
  if (draining && !dying && conns.empty()) io.stop();
}

HttpServer::HttpServer(HttpHandler& handler, HttpLimits limits, int threads)
    : handler_(handler), limits_(limits) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) {
    loops_.push_back(std::make_unique<Loop>());
    loops_.back()->srv = this;
  }
}

HttpServer::~HttpServer() {
  stop();
}

bool HttpServer::listen(const std::string& host, int port, std::string* error) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    *error = "bad host address '" + host + "'";
    return false;
  }
  // SO_REUSEPORT (one listener per loop) would also let a second server bind a port this one
  // uses, splitting the traffic silently: first take the port alone, then let the loops share it.
  {
    asio::io_context probe_io;
    tcp::acceptor probe(probe_io);
    tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    probe.open(ep.protocol(), ec);
    if (!ec) probe.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) probe.bind(ep, ec);
    if (ec) {
      *error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
      return false;
    }
    port = probe.local_endpoint().port();
  }
  for (auto& l : loops_) {
    tcp::endpoint ep(addr, static_cast<unsigned short>(port_ ? port_ : port));
    tcp::acceptor a(l->io);
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        ec = boost::system::error_code(errno, boost::system::system_category());
    }
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(1024, ec);
    if (ec) {
      *error = "cannot listen on " + host + ":" + std::to_string(port_ ? port_ : port) + ": " + ec.message();
      return false;
    }
    port_ = a.local_endpoint().port();
    l->acceptor.emplace(std::move(a));
  }
  return true;
}

void HttpServer::start() {
  for (auto& l : loops_) {
    Loop* lp = l.get();
    lp->accept();
    lp->arm_sweep();
    running_.fetch_add(1);
    threads_.emplace_back([this, lp] {
      lp->io.run();
      running_.fetch_sub(1);
    });
  }
}

void HttpServer::drain() {
  for (auto& l : loops_) {
    Loop* lp = l.get();
    asio::post(lp->io, [lp] {
      lp->draining = true;
      boost::system::error_code ec;
      if (lp->acceptor) lp->acceptor->close(ec);
      std::vector<Conn*> idle;
      for (Conn* c : lp->conns)
        if (c->st == Conn::Idle) idle.push_back(c);
      for (Conn* c : idle) c->close();
      lp->maybe_finish();
    });
  }
}

bool HttpServer::wait(std::chrono::steady_clock::time_point deadline) {
  while (running_.load() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  bool clean = running_.load() == 0;
  stop();
  return clean;
}

void HttpServer::stop() {
  for (auto& l : loops_) l->io.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace rtml::server
