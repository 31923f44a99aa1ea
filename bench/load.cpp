// HTTPS load generation for furoshiki_bench; see load.hpp.
#include "load.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace furoshiki::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string_view scenario_name(Scenario scenario) {
  return scenario == Scenario::kHandshake ? "handshake" : "keep-alive";
}

namespace {

// Every network operation of a client has this deadline, so a stuck server cannot hang the bench.
constexpr auto kOperationTimeout = std::chrono::seconds(10);
// A client that keeps failing (server gone) stops after this many errors instead of spinning.
constexpr std::uint64_t kMaxErrorsPerClient = 1000;
constexpr auto kRetryDelay = std::chrono::milliseconds(10);

// State shared by all clients of one run. Fields above `mutex` are written before the clients
// start measuring and only read afterwards.
struct Run {
  Scenario scenario = Scenario::kKeepAlive;
  tcp::endpoint endpoint;
  std::string server_name;
  std::string request;  // the serialized request, identical for every request
  Clock::time_point deadline;
  std::atomic<bool> stopping{false};

  std::mutex mutex;
  std::condition_variable changed;
  unsigned opened = 0;                  // REQUIRES: mutex. Clients done with their first (untimed) connect.
  unsigned finished = 0;                // REQUIRES: mutex. Clients that stopped for good.
  std::string tls_version, tls_cipher;  // REQUIRES: mutex. From the first handshake.

  void count(unsigned Run::*counter) {
    {
      std::lock_guard lock(mutex);
      ++(this->*counter);
    }
    changed.notify_all();
  }
};

// One simulated client: a loop of requests, each on a new connection (kHandshake) or all on
// one connection (kKeepAlive). All its handlers run on its strand.
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(net::io_context& ioc, net::ssl::context& tls, Run& run)
      : strand_(net::make_strand(ioc)), tls_(tls), run_(run), retry_(strand_) {}

  // Keep-alive only: connects and handshakes before the clock starts, then reports to the run.
  void open() {
    net::post(strand_, [self = shared_from_this()] { self->do_connect(); });
  }

  // Starts the measured loop.
  void begin() {
    net::post(strand_, [self = shared_from_this()] {
      self->measuring_ = true;
      if (self->stream_ && beast::get_lowest_layer(*self->stream_).socket().is_open()) return self->do_request();
      self->do_connect();
    });
  }

  // Read only after the run's threads have been joined.
  const std::vector<std::uint64_t>& latencies_ns() const { return latencies_ns_; }
  std::uint64_t errors() const { return errors_; }
  std::uint64_t reconnects() const { return reconnects_; }

 private:
  void do_connect() {
    buffer_.clear();
    stream_.emplace(strand_, tls_);
    set_server_name(stream_->native_handle(), run_.server_name);
    connect_started_ = Clock::now();
    beast::get_lowest_layer(*stream_).expires_after(kOperationTimeout);
    beast::get_lowest_layer(*stream_).async_connect(run_.endpoint,
                                                    beast::bind_front_handler(&Client::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail();
    beast::get_lowest_layer(*stream_).expires_after(kOperationTimeout);
    stream_->async_handshake(net::ssl::stream_base::client,
                             beast::bind_front_handler(&Client::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail();
    if (!reported_tls_) {
      reported_tls_ = true;
      SSL* ssl = stream_->native_handle();
      std::lock_guard lock(run_.mutex);
      if (run_.tls_version.empty()) {
        run_.tls_version = SSL_get_version(ssl);
        run_.tls_cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
      }
    }
    if (!measuring_) return report_opened();
    do_request();
  }

  void report_opened() {
    if (reported_open_) return;
    reported_open_ = true;
    run_.count(&Run::opened);
  }

  void do_request() {
    if (run_.stopping) return finish();
    // A new connection's request includes its connect and handshake: that is what a client waits for.
    request_started_ = run_.scenario == Scenario::kHandshake ? connect_started_ : Clock::now();
    beast::get_lowest_layer(*stream_).expires_after(kOperationTimeout);
    net::async_write(*stream_, net::buffer(run_.request),
                     beast::bind_front_handler(&Client::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return fail();
    parser_.emplace();
    parser_->body_limit(1 << 20);
    beast::get_lowest_layer(*stream_).expires_after(kOperationTimeout);
    http::async_read(*stream_, buffer_, *parser_, beast::bind_front_handler(&Client::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return fail();
    const auto done = Clock::now();
    const auto& response = parser_->get();
    if (response.result() != http::status::ok) {
      if (!run_.stopping) ++errors_;
    } else if (done <= run_.deadline) {
      latencies_ns_.push_back(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - request_started_).count()));
    }
    const bool keep_alive = response.keep_alive();
    parser_.reset();
    if (run_.scenario == Scenario::kKeepAlive && keep_alive) return do_request();
    if (run_.scenario == Scenario::kKeepAlive) ++reconnects_;  // e.g. nginx's keepalive_requests
    close_socket();
    if (run_.stopping) return finish();
    do_connect();
  }

  // Counts the error (unless the run is over), then reconnects after a short pause.
  void fail() {
    close_socket();
    if (!measuring_) {
      ++errors_;
      return report_opened();  // begin() connects again
    }
    if (run_.stopping) return finish();
    if (++errors_ >= kMaxErrorsPerClient) return finish();
    retry_.expires_after(kRetryDelay);
    retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (wait_ec || self->run_.stopping) return self->finish();
      self->do_connect();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    close_socket();
    run_.count(&Run::finished);
  }

  // Closes without close_notify, like most clients after a "Connection: close" response.
  void close_socket() {
    if (!stream_) return;
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(*stream_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  net::strand<net::io_context::executor_type> strand_;
  net::ssl::context& tls_;
  Run& run_;
  net::steady_timer retry_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Clock::time_point connect_started_;
  Clock::time_point request_started_;
  std::vector<std::uint64_t> latencies_ns_;
  std::uint64_t errors_ = 0;
  std::uint64_t reconnects_ = 0;
  bool measuring_ = false;
  bool reported_open_ = false;
  bool reported_tls_ = false;
  bool finished_ = false;
};

// The q-quantile (0 < q ≤ 1) of sorted values, nearest-rank method, in milliseconds.
double quantile_ms(const std::vector<std::uint64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

}  // namespace

std::unique_ptr<net::ssl::context> client_tls_context() {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  // The servers use self-signed certificates; verifying them would only add client CPU time.
  ctx->set_verify_mode(net::ssl::verify_none);
  // Every handshake is a full one: no session cache, no tickets offered back.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (SSL_CTX_set_alpn_protos(native, kAlpn, sizeof kAlpn) != 0) throw std::runtime_error("cannot set ALPN");
  return ctx;
}

void set_server_name(SSL* ssl, const std::string& name) {
  // SSL_set_tlsext_host_name() expands to an old-style cast; this is the call it makes.
  SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
}

LoadResult run_load(const Target& target, const LoadSpec& spec, const std::atomic<bool>& stop) {
  const unsigned thread_count = std::max(1u, spec.client_threads);
  net::io_context ioc(static_cast<int>(thread_count));
  auto tls = client_tls_context();

  Run run;
  run.scenario = spec.scenario;
  run.endpoint = tcp::endpoint(net::ip::make_address(target.host), target.port);
  run.server_name = target.server_name;
  run.request = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.server_name +
                "\r\nUser-Agent: furoshiki_bench\r\nAccept: */*\r\n" +
                (spec.scenario == Scenario::kHandshake ? "Connection: close\r\n" : "") + "\r\n";

  std::vector<std::shared_ptr<Client>> clients;
  for (unsigned i = 0; i < spec.connections; ++i) clients.push_back(std::make_shared<Client>(ioc, *tls, run));

  auto work = net::make_work_guard(ioc);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < thread_count; ++i) threads.emplace_back([&ioc] { ioc.run(); });

  const auto wait_for = [&](unsigned Run::*counter, Clock::duration limit) {
    std::unique_lock lock(run.mutex);
    return run.changed.wait_for(lock, limit, [&] { return run.*counter == clients.size() || stop; });
  };

  // Keep-alive connections are opened before the clock starts: only requests are measured.
  if (spec.scenario == Scenario::kKeepAlive) {
    for (auto& c : clients) c->open();
    wait_for(&Run::opened, std::chrono::seconds(30));
  }

  const auto start = Clock::now();
  run.deadline = start + spec.duration;
  for (auto& c : clients) c->begin();
  while (Clock::now() < run.deadline && !stop) {
    std::this_thread::sleep_for(std::min<Clock::duration>(run.deadline - Clock::now(), std::chrono::milliseconds(50)));
  }
  const auto end = std::min(Clock::now(), run.deadline);
  run.stopping = true;
  // Requests in flight finish (or time out after kOperationTimeout); then the threads end.
  const bool all_finished = wait_for(&Run::finished, kOperationTimeout + std::chrono::seconds(5));
  work.reset();
  if (!all_finished) ioc.stop();
  for (auto& t : threads) t.join();

  LoadResult result;
  result.scenario = spec.scenario;
  result.connections = spec.connections;
  std::vector<std::uint64_t> all;
  for (const auto& c : clients) {
    all.insert(all.end(), c->latencies_ns().begin(), c->latencies_ns().end());
    result.errors += c->errors();
    result.reconnects += c->reconnects();
  }
  std::sort(all.begin(), all.end());
  result.requests = all.size();
  result.seconds = std::chrono::duration<double>(end - start).count();
  result.requests_per_second = result.seconds > 0 ? static_cast<double>(result.requests) / result.seconds : 0;
  result.p50_ms = quantile_ms(all, 0.50);
  result.p90_ms = quantile_ms(all, 0.90);
  result.p99_ms = quantile_ms(all, 0.99);
  result.max_ms = all.empty() ? 0 : static_cast<double>(all.back()) / 1e6;
  std::lock_guard lock(run.mutex);
  result.tls_version = run.tls_version;
  result.tls_cipher = run.tls_cipher;
  return result;
}

}  // namespace furoshiki::bench
