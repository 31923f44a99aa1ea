// HTTPS and redirect sessions; see session.hpp.
#include "server/session.hpp"

#include "common/log.hpp"
#include "crypto/random.hpp"
#include "server/client_address.hpp"
#include "server/http_error.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace furoshiki::server {

namespace {
// Every X-Forwarded-For header of the request, joined with ',' in order.
std::string forwarded_for(const boost::beast::http::fields& header) {
  std::string out;
  const auto [first, last] = header.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    if (!out.empty()) out += ',';
    out += std::string_view(it->value());
  }
  return out;
}
}  // namespace

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// Headers every response carries, whatever produced it. A handler may set a stricter
// Content-Security-Policy (a download's "sandbox") and its own Cache-Control.
void add_standard_headers(Response& res, const Config& config, std::string_view request_id) {
  if (res.find("Content-Security-Policy") == res.end()) {
    res.set("Content-Security-Policy", kContentSecurityPolicy);
  }
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("Cross-Origin-Resource-Policy", "same-origin");
  res.set(http::field::strict_transport_security,
          "max-age=" + std::to_string(config.tls.hsts_max_age.count()) + "; includeSubDomains");
  if (res.find(http::field::cache_control) == res.end()) res.set(http::field::cache_control, "no-store");
  if (!request_id.empty()) res.set("X-Request-Id", request_id);
}

std::string_view method_label(http::verb v) {
  switch (v) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::post:
    case http::verb::put:
    case http::verb::patch:
    case http::verb::delete_:
    case http::verb::options: return http::to_string(v);
    default: return "other";
  }
}

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto address = ep.address();
  return address.is_v6() ? "[" + address.to_string() + "]:" + std::to_string(ep.port())
                         : address.to_string() + ":" + std::to_string(ep.port());
}

class HttpsSession final : public Connection, public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(ServerState& state, tcp::socket&& socket, bool admitted, bool refuse)
      : state_(state),
        limits_(state.config.limits),
        tls_ctx_(state.tls.get()),
        stream_(std::move(socket), *tls_ctx_),
        deadline_(stream_.get_executor()),
        admitted_(admitted),
        refuse_(refuse) {
    boost::system::error_code ec;
    const auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
      client_ = remote.address();
      client_text_ = endpoint_text(remote);
    }
    state_.metrics.connection_opened();
  }

  ~HttpsSession() override {
    state_.metrics.connection_closed();
    if (handle_) state_.connections.forget(handle_);
    if (refuse_) state_.refusing.fetch_sub(1);
    if (admitted_) state_.connections.release(client_);
  }

  void start() {
    if (!refuse_) handle_ = state_.connections.track(weak_from_this());
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpsSession::do_handshake, shared_from_this()));
  }

  void drain() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->drain_requested_ = true;
      // Idle connections (no byte of a request yet) close now; a request in flight finishes and
      // its response carries Connection: close.
      if (self->phase_ == Phase::kHandshake || self->phase_ == Phase::kIdle) self->close_socket();
    });
  }

  void abort() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close_socket(); });
  }

 private:
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing };

  // --- deadlines that end in a 408 rather than a dropped connection -------------------------
  // beast::tcp_stream closes the socket when its own timer fires, which is right for idle and
  // write time-outs. For the request header and body we want to answer 408, so those phases
  // use this timer, which only cancels the pending read.
  void arm_deadline(std::chrono::steady_clock::duration d) {
    beast::get_lowest_layer(stream_).expires_never();
    deadline_hit_ = false;
    const std::uint64_t generation = ++deadline_generation_;
    deadline_.expires_after(d);
    deadline_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
      if (ec || generation != self->deadline_generation_) return;
      self->deadline_hit_ = true;
      boost::system::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().cancel(ignored);
    });
  }
  void disarm_deadline() {
    ++deadline_generation_;
    deadline_.cancel();
  }

  void do_handshake() {
    phase_ = Phase::kHandshake;
    beast::get_lowest_layer(stream_).expires_after(limits_.handshake_timeout);
    stream_.async_handshake(net::ssl::stream_base::server,
                            beast::bind_front_handler(&HttpsSession::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      // Scanners, old clients and idle preconnects end here; debug level keeps logs quiet.
      log::debug("tls_handshake_failed", {{"client", client_text_}, {"reason", ec.message()}});
      state_.metrics.connection_rejected("tls_handshake");
      return close_socket();
    }
    do_wait_for_request();
  }

  // Waits for the first byte of the next request with the idle deadline; the header deadline
  // starts when that byte arrives.
  void do_wait_for_request() {
    if (drain_requested_ || state_.draining) return do_close();
    phase_ = Phase::kIdle;
    if (buffer_.size() > 0) return do_read_header();
    // A refused connection only waits the handshake time for its request: it holds a scarce slot.
    beast::get_lowest_layer(stream_).expires_after(refuse_ ? limits_.handshake_timeout : limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&HttpsSession::on_first_byte, shared_from_this()));
  }

  void on_first_byte(beast::error_code ec, std::size_t n) {
    buffer_.commit(n);
    if (ec) return n > 0 ? do_read_header() : close_socket();
    do_read_header();
  }

  void do_read_header() {
    phase_ = Phase::kReading;
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    // The route decides the body limit once the header is known (see route_request()).
    header_parser_->body_limit(boost::none);
    header_parser_->eager(false);
    request_received_ = Clock::now();
    arm_deadline(limits_.header_timeout);
    http::async_read_header(stream_, buffer_, *header_parser_,
                            beast::bind_front_handler(&HttpsSession::on_read_header, shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t n) {
    disarm_deadline();
    state_.metrics.add_bytes_received(n);
    bytes_in_ = n;
    request_id_ = crypto::random_hex(16);
    route_label_ = "rejected";
    method_ = header_parser_->get().method();
    if (deadline_hit_) return reject(Errc::kRequestTimeout, "header_timeout");
    if (ec == http::error::header_limit) return reject(Errc::kHeadersTooLarge, "header_too_large");
    if (ec == http::error::end_of_stream || ec == net::ssl::error::stream_truncated) return close_socket();
    if (ec) {
      if (ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::eof) {
        return close_socket();
      }
      return reject(Errc::kBadRequest, "malformed_header");
    }
    if (refuse_) return reject(Errc::kTooManyConnections, "connection_limit");
    route_request();
  }

  void route_request() {
    phase_ = Phase::kHandling;
    const auto& header = header_parser_->get();
    const std::string_view target = header.target();
    if (target.empty() || target.front() != '/') return reject(Errc::kBadRequest, "bad_target");
    const auto question = target.find('?');
    path_ = std::string(target.substr(0, question));
    query_ = question == std::string_view::npos ? std::string() : std::string(target.substr(question + 1));

    RouteMatch match = state_.router.match(header.method(), path_);
    if (!match.route) {
      route_label_ = "unmatched";
      if (match.path_exists) {
        Response res = error_response(Errc::kMethodNotAllowed);
        res.set(http::field::allow, state_.router.allowed_methods(path_));
        return send(std::move(res), has_body());
      }
      return send(error_response(Errc::kNotFound), has_body());
    }
    route_ = match.route;
    route_label_ = route_->pattern;
    request_.emplace();
    request_->method = header.method();
    request_->path = path_;
    request_->query = query_;
    request_->params = std::move(match.params);
    request_->client = effective_client(client_, forwarded_for(header), state_.trusted_proxies);
    request_->request_id = request_id_;
    request_->headers = &header;

    const Errc access = state_.authorizer.authorize(route_->policy, *request_);
    if (access != Errc::kOk) return send(access_refused(access), has_body());
    if (route_->stream_handler) {
      const auto length = header_parser_->content_length();
      if (length && *length > route_->body_limit) return reject(Errc::kTooLarge, "body_too_large");
      return start_stream();
    }
    if (has_body()) {
      const auto length = header_parser_->content_length();
      if (route_->body_limit == 0 || (length && *length > route_->body_limit)) {
        return reject(Errc::kTooLarge, "body_too_large");
      }
      body_parser_.emplace(std::move(*header_parser_));
      body_parser_->body_limit(route_->body_limit);
      request_->headers = &body_parser_->get().base();
      window_start_ = Clock::now();
      window_bytes_ = 0;
      phase_ = Phase::kReading;
      return do_read_body();
    }
    invoke_handler();
  }

  bool has_body() const {
    const auto& parser = body_parser_     ? static_cast<const http::basic_parser<true>&>(*body_parser_)
                         : stream_parser_ ? static_cast<const http::basic_parser<true>&>(*stream_parser_)
                                          : static_cast<const http::basic_parser<true>&>(*header_parser_);
    return parser.chunked() || parser.content_length().value_or(0) > 0;
  }

  void do_read_body() {
    arm_deadline(limits_.body_progress_interval);
    http::async_read_some(stream_, buffer_, *body_parser_,
                          beast::bind_front_handler(&HttpsSession::on_read_body, shared_from_this()));
  }

  // After each body read, whole or streamed: metrics, the deadline, read errors, and the minimum
  // rate (limits.body_min_bytes_per_interval per body_progress_interval). False when the
  // connection has been answered or closed instead.
  bool body_progress(beast::error_code ec, std::size_t n) {
    disarm_deadline();
    state_.metrics.add_bytes_received(n);
    if (deadline_hit_) {
      reject(Errc::kRequestTimeout, "body_too_slow");
      return false;
    }
    if (ec == http::error::body_limit) {
      reject(Errc::kTooLarge, "body_too_large");
      return false;
    }
    if (ec) {
      if (ec == http::error::end_of_stream) {
        close_socket();
      } else {
        reject(Errc::kBadRequest, "malformed_body");
      }
      return false;
    }
    window_bytes_ += n;
    bytes_in_ += n;
    const auto now = Clock::now();
    if (now - window_start_ >= limits_.body_progress_interval) {
      if (window_bytes_ < limits_.body_min_bytes_per_interval) {
        reject(Errc::kRequestTimeout, "body_too_slow");
        return false;
      }
      window_start_ = now;
      window_bytes_ = 0;
    }
    return true;
  }

  void on_read_body(beast::error_code ec, std::size_t n) {
    if (!body_progress(ec, n)) return;
    if (body_parser_->is_done()) {
      request_->body = std::move(body_parser_->get().body());
      return invoke_handler();
    }
    do_read_body();
  }

  // --- streaming bodies (Route::stream_handler) ------------------------------------------------
  // The stream handler runs on the blocking pool (identity first); with its reader accepted, each
  // piece is read into stream_piece_, handed to the reader on the blocking pool, and only when
  // that returns is the next piece read: one piece of memory per connection, and a slow disk
  // slows the client down instead of filling memory.

  void start_stream() {
    phase_ = Phase::kHandling;
    net::post(state_.blocking, [self = shared_from_this(), work = net::make_work_guard(stream_.get_executor())] {
      BodyStart start;
      try {
        const Errc access = needs_identity(self->route_->policy)
                                ? self->state_.authorizer.authorize_identity(*self->route_, *self->request_)
                                : Errc::kOk;
        if (access != Errc::kOk) {
          start.answer = self->access_refused(access);
        } else {
          start = self->route_->stream_handler(*self->request_);
        }
      } catch (const std::exception& e) {
        log::error("handler_failed",
                   {{"request_id", self->request_id_}, {"route", self->route_->pattern}, {"reason", e.what()}});
        start = BodyStart{.answer = self->error_response(Errc::kInternal), .reader = nullptr, .body_limit = 0};
      }
      if (!start.answer && !start.reader) start.answer = self->error_response(Errc::kInternal);
      net::post(self->stream_.get_executor(),
                [self, start = std::move(start)]() mutable { self->on_stream_start(std::move(start)); });
    });
  }

  void on_stream_start(BodyStart start) {
    if (start.answer) return send(std::move(*start.answer), has_body());
    reader_ = std::move(start.reader);
    const std::uint64_t limit = std::min<std::uint64_t>(start.body_limit, route_->body_limit);
    const auto length = header_parser_->content_length();
    if (length && *length > limit) return reject(Errc::kTooLarge, "body_too_large");
    const bool expects_continue = beast::iequals(header_parser_->get()[http::field::expect], "100-continue");
    stream_parser_.emplace(std::move(*header_parser_));
    stream_parser_->body_limit(limit);
    request_->headers = &stream_parser_->get().base();
    window_start_ = Clock::now();
    window_bytes_ = 0;
    phase_ = Phase::kReading;
    if (stream_parser_->is_done()) return complete_stream();
    if (!expects_continue) return do_read_stream();
    // RFC 9110 section 10.1.1: the client waits for this before sending the body.
    beast::get_lowest_layer(stream_).expires_after(limits_.write_timeout);
    net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close_socket();
      self->do_read_stream();
    });
  }

  void do_read_stream() {
    if (!reader_) return close_socket();  // aborted while a piece was being handled
    if (stream_parser_->is_done()) return complete_stream();
    if (!stream_piece_) stream_piece_ = std::make_unique<std::uint8_t[]>(kStreamPiece);
    stream_parser_->get().body().data = stream_piece_.get();
    stream_parser_->get().body().size = kStreamPiece;
    arm_deadline(limits_.body_progress_interval);
    http::async_read_some(stream_, buffer_, *stream_parser_,
                          beast::bind_front_handler(&HttpsSession::on_read_stream, shared_from_this()));
  }

  void on_read_stream(beast::error_code ec, std::size_t n) {
    if (ec == http::error::need_buffer) ec = {};  // the piece is full: hand it on
    if (!body_progress(ec, n)) return;
    const std::size_t piece = kStreamPiece - stream_parser_->get().body().size;
    if (piece == 0) return do_read_stream();
    phase_ = Phase::kHandling;
    net::post(state_.blocking, [self = shared_from_this(), reader = reader_, piece,
                                work = net::make_work_guard(stream_.get_executor())] {
      std::optional<Response> answer;
      try {
        answer = reader->on_body(std::span<const std::uint8_t>(self->stream_piece_.get(), piece));
      } catch (const std::exception& e) {
        log::error("handler_failed",
                   {{"request_id", self->request_id_}, {"route", self->route_->pattern}, {"reason", e.what()}});
        answer = self->error_response(Errc::kInternal);
      }
      net::post(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable {
        if (answer) {
          self->release_reader();
          return self->send(std::move(*answer), true);
        }
        self->phase_ = Phase::kReading;
        self->do_read_stream();
      });
    });
  }

  void complete_stream() {
    phase_ = Phase::kHandling;
    net::post(state_.blocking, [self = shared_from_this(), reader = reader_,
                                work = net::make_work_guard(stream_.get_executor())]() mutable {
      auto answer = [self, work](Response res) {
        net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
          self->release_reader();
          self->send(std::move(res), false);
        });
      };
      try {
        reader->on_complete(answer);
      } catch (const std::exception& e) {
        // A reader that throws has not answered (BodyReader's contract).
        log::error("handler_failed",
                   {{"request_id", self->request_id_}, {"route", self->route_->pattern}, {"reason", e.what()}});
        answer(self->error_response(Errc::kInternal));
      }
    });
  }

  // Drops the session's hold on the reader on the blocking pool: its destructor may do disk work
  // (removing a staged upload), which has no place on a network thread.
  void release_reader() {
    if (!reader_) return;
    net::post(state_.blocking, [reader = std::move(reader_)]() mutable { reader.reset(); });
    reader_.reset();
  }

  Response access_refused(Errc access) const {
    Response res = error_response(access);
    if (access == Errc::kUnauthenticated) res.set(http::field::www_authenticate, "Bearer");
    return res;
  }

  void invoke_handler() {
    phase_ = Phase::kHandling;
    if (route_->source_handler) return start_source();
    if (route_->blocking || needs_identity(route_->policy)) {
      // Off the network thread; the response comes back to this connection's executor. The
      // session stays alive through the shared pointer the task holds.
      // The work guard keeps the io_context running (a drain waits for this response) while no
      // operation of this connection is pending on it.
      net::post(state_.blocking, [self = shared_from_this(), work = net::make_work_guard(stream_.get_executor())] {
        Response res = self->run_handler(true);
        net::post(self->stream_.get_executor(),
                  [self, res = std::move(res)]() mutable { self->send(std::move(res), false); });
      });
      return;
    }
    send(run_handler(false), false);
  }

  // The identity check (identity routes) and the handler; never throws.
  Response run_handler(bool off_network_thread) {
    try {
      if (off_network_thread && needs_identity(route_->policy)) {
        if (const Errc access = state_.authorizer.authorize_identity(*route_, *request_); access != Errc::kOk) {
          return access_refused(access);
        }
      }
      return route_->handler(*request_);
    } catch (const std::exception& e) {
      log::error("handler_failed", {{"request_id", request_id_}, {"route", route_->pattern}, {"reason", e.what()}});
      return error_response(Errc::kInternal);
    }
  }

  Response error_response(Errc e) const { return json_response(to_http(e).status, error_body(e)); }

  // --- streamed response bodies (Route::source_handler) ---------------------------------------
  // The source handler runs on the blocking pool (identity first). With a body source, the
  // header is written, then each piece is produced on the blocking pool into source_piece_ and
  // written here; the next piece is produced only when the write completed (Beast's buffer_body
  // relay pattern, example/doc/http_examples.hpp). One piece of memory per connection, and a slow
  // client slows the source down instead of filling memory.

  void start_source() {
    net::post(state_.blocking, [self = shared_from_this(), work = net::make_work_guard(stream_.get_executor())] {
      SourcedResponse answer;
      try {
        const Errc access = needs_identity(self->route_->policy)
                                ? self->state_.authorizer.authorize_identity(*self->route_, *self->request_)
                                : Errc::kOk;
        if (access != Errc::kOk) {
          answer.header = self->access_refused(access);
        } else {
          answer = self->route_->source_handler(*self->request_);
        }
      } catch (const std::exception& e) {
        log::error("handler_failed",
                   {{"request_id", self->request_id_}, {"route", self->route_->pattern}, {"reason", e.what()}});
        answer =
            SourcedResponse{.header = self->error_response(Errc::kInternal), .source = nullptr, .content_length = 0};
      }
      net::post(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable {
        if (!answer.source) return self->send(std::move(answer.header), false);
        self->send_sourced(std::move(answer));
      });
    });
  }

  void send_sourced(SourcedResponse answer) {
    phase_ = Phase::kWriting;
    const bool close = drain_requested_ || state_.draining || refuse_ || !keep_alive_requested();
    Response& res = answer.header;
    add_standard_headers(res, state_.config, request_id_);
    res.version(11);
    res.keep_alive(!close);
    res.body().clear();
    res.content_length(answer.content_length);
    close_after_write_ = close;
    source_ = std::move(answer.source);
    body_length_ = answer.content_length;
    body_sent_ = 0;
    bytes_out_ = 0;
    sourced_.emplace(std::move(res.base()));
    sourced_->body().data = nullptr;
    sourced_->body().size = 0;
    sourced_->body().more = true;
    sourced_serializer_.emplace(*sourced_);
    beast::get_lowest_layer(stream_).expires_after(limits_.write_timeout);
    http::async_write_header(stream_, *sourced_serializer_,
                             beast::bind_front_handler(&HttpsSession::on_sourced_header, shared_from_this()));
  }

  void on_sourced_header(beast::error_code ec, std::size_t n) {
    bytes_out_ += n;
    state_.metrics.add_bytes_sent(n);
    if (ec) return end_sourced(false);
    // HEAD: the header only, Content-Length that of the GET body (RFC 9110 section 9.3.2).
    if (method_ == http::verb::head || body_length_ == 0) return end_sourced(true);
    produce_piece();
  }

  void produce_piece() {
    if (!source_piece_) source_piece_ = std::make_unique<std::uint8_t[]>(kSourcePiece);
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kSourcePiece, body_length_ - body_sent_));
    net::post(state_.blocking, [self = shared_from_this(), source = source_, want,
                                work = net::make_work_guard(stream_.get_executor())] {
      boost::system::result<std::size_t> got = make_error_code(Errc::kInternal);
      try {
        got = source->next(std::span<std::uint8_t>(self->source_piece_.get(), want));
      } catch (const std::exception& e) {
        log::error("handler_failed",
                   {{"request_id", self->request_id_}, {"route", self->route_->pattern}, {"reason", e.what()}});
      }
      if (got && (*got == 0 || *got > want)) got = make_error_code(Errc::kInternal);
      net::post(self->stream_.get_executor(), [self, got] { self->on_piece(got); });
    });
  }

  void on_piece(boost::system::result<std::size_t> got) {
    // A failed piece ends the body here: nothing of it is sent and the connection is closed, so
    // the client sees a short body, never a wrong byte.
    if (!got) return end_sourced(false);
    piece_size_ = *got;
    auto& body = sourced_->body();
    body.data = source_piece_.get();
    body.size = piece_size_;
    body.more = body_sent_ + piece_size_ < body_length_;
    beast::get_lowest_layer(stream_).expires_after(limits_.write_timeout);
    http::async_write(stream_, *sourced_serializer_,
                      beast::bind_front_handler(&HttpsSession::on_piece_written, shared_from_this()));
  }

  void on_piece_written(beast::error_code ec, std::size_t n) {
    if (ec == http::error::need_buffer) ec = {};  // the piece went out; more follow
    bytes_out_ += n;
    state_.metrics.add_bytes_sent(n);
    if (ec) return end_sourced(false);
    body_sent_ += piece_size_;
    if (body_sent_ >= body_length_) return end_sourced(true);
    produce_piece();
  }

  // The body ended (complete or cut): the access log, the source's hook and its release on the
  // blocking pool (it may do database work), then the next request or the close.
  void end_sourced(bool complete) {
    const unsigned status = sourced_ ? sourced_->result_int() : 0;
    log_access(status, bytes_out_);
    net::post(state_.blocking, [source = std::move(source_), sent = body_sent_, complete, id = request_id_]() mutable {
      try {
        source->on_finished(sent, complete);
      } catch (const std::exception& e) {
        log::error("handler_failed", {{"request_id", id}, {"reason", e.what()}});
      }
      source.reset();
    });
    source_.reset();
    sourced_serializer_.reset();
    sourced_.reset();
    reset_exchange();
    if (!complete) return close_socket();
    if (close_after_write_) return do_close();
    do_wait_for_request();
  }

  // A request over a limit or malformed: answer, log the reason, close.
  void reject(Errc e, std::string_view reason) {
    log::warn("request_rejected", {{"request_id", request_id_},
                                   {"reason", reason},
                                   {"status", static_cast<unsigned>(to_http(e).status)},
                                   {"client", client_text_}});
    state_.metrics.connection_rejected(reason);
    Response res = error_response(e);
    if (e == Errc::kTooManyConnections) res.set(http::field::retry_after, "5");
    send(std::move(res), true);
  }

  void send(Response res, bool close) {
    phase_ = Phase::kWriting;
    const bool head = method_ == http::verb::head;
    close = close || drain_requested_ || state_.draining || refuse_ || !keep_alive_requested();
    add_standard_headers(res, state_.config, request_id_);
    res.version(11);
    res.keep_alive(!close);
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length stays that of the GET body (RFC 9110 §9.3.2)
    response_ = std::move(res);
    close_after_write_ = close;
    beast::get_lowest_layer(stream_).expires_after(limits_.write_timeout);
    serializer_.emplace(*response_);
    http::async_write(stream_, *serializer_, beast::bind_front_handler(&HttpsSession::on_write, shared_from_this()));
  }

  bool keep_alive_requested() const {
    if (body_parser_) return body_parser_->get().keep_alive();
    if (stream_parser_) return stream_parser_->get().keep_alive();
    if (header_parser_ && header_parser_->is_header_done()) return header_parser_->get().keep_alive();
    return false;
  }

  void on_write(beast::error_code ec, std::size_t n) {
    state_.metrics.add_bytes_sent(n);
    log_access(response_->result_int(), n);
    serializer_.reset();
    response_.reset();
    reset_exchange();
    if (ec) return close_socket();
    if (close_after_write_) return do_close();
    do_wait_for_request();
  }

  void log_access(unsigned status, std::size_t bytes_out) {
    const auto duration = Clock::now() - request_received_;
    state_.metrics.record_request(method_label(method_), route_label_, status, duration);
    log::info("access", {{"request_id", request_id_},
                         {"method", method_label(method_)},
                         {"route", route_label_},
                         {"status", status},
                         {"bytes_in", bytes_in_},
                         {"bytes_out", bytes_out},
                         {"duration_us", std::chrono::duration_cast<std::chrono::microseconds>(duration).count()},
                         {"client", client_text_}});
  }

  // Forgets the request just answered.
  void reset_exchange() {
    request_.reset();
    body_parser_.reset();
    stream_parser_.reset();
    release_reader();
    header_parser_.reset();
    route_ = nullptr;
    method_ = http::verb::unknown;
    request_id_.clear();
  }

  // Sends close_notify, waits briefly for the peer's, then closes the socket.
  void do_close() {
    if (phase_ == Phase::kClosing) return;
    phase_ = Phase::kClosing;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown(beast::bind_front_handler(&HttpsSession::on_shutdown, shared_from_this()));
  }

  void on_shutdown(beast::error_code) { close_socket(); }

  void close_socket() {
    phase_ = Phase::kClosing;
    release_reader();
    disarm_deadline();
    boost::system::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  static constexpr std::size_t kReadChunk = 4096;
  // One piece of a streamed body: the most a streaming connection holds of it at a time.
  static constexpr std::size_t kStreamPiece = std::size_t{128} * 1024;
  // One piece of a streamed response body: the most a downloading connection holds of it.
  static constexpr std::size_t kSourcePiece = std::size_t{128} * 1024;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

  ServerState& state_;
  const LimitsConfig& limits_;
  std::shared_ptr<net::ssl::context> tls_ctx_;  // keeps the context this connection began with
  beast::ssl_stream<beast::tcp_stream> stream_;
  net::steady_timer deadline_;
  bool deadline_hit_ = false;
  std::uint64_t deadline_generation_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;
  std::shared_ptr<BodyReader> reader_;            // the streaming route's reader, while its body is read
  std::unique_ptr<std::uint8_t[]> stream_piece_;  // kStreamPiece bytes, made on first use
  std::optional<Request> request_;
  std::optional<Response> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  // A streamed response (Route::source_handler) while its body is sent.
  std::shared_ptr<BodySource> source_;
  std::unique_ptr<std::uint8_t[]> source_piece_;  // kSourcePiece bytes, made on first use
  std::optional<http::response<http::buffer_body>> sourced_;
  std::optional<http::response_serializer<http::buffer_body>> sourced_serializer_;
  std::uint64_t body_length_ = 0;  // the declared Content-Length
  std::uint64_t body_sent_ = 0;    // body bytes written so far (whole pieces)
  std::size_t piece_size_ = 0;     // the piece being written
  std::size_t bytes_out_ = 0;      // header and body bytes written so far
  const Route* route_ = nullptr;
  std::string route_label_;
  std::string path_, query_;
  std::string request_id_;
  http::verb method_ = http::verb::unknown;
  Clock::time_point request_received_;
  Clock::time_point window_start_;
  std::size_t window_bytes_ = 0;
  std::size_t bytes_in_ = 0;
  Phase phase_ = Phase::kHandshake;
  bool close_after_write_ = false;
  bool drain_requested_ = false;
  boost::asio::ip::address client_;
  std::string client_text_;
  std::uint64_t handle_ = 0;
  const bool admitted_;
  const bool refuse_;
};

// Plain HTTP: every request is answered with 308 to the same path under server.public_url.
// The target host comes from configuration, never from the request's Host header (no open redirect).
class RedirectSession final : public std::enable_shared_from_this<RedirectSession> {
 public:
  RedirectSession(ServerState& state, tcp::socket&& socket) : state_(state), stream_(std::move(socket)) {}

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&RedirectSession::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_.config.limits.max_header_bytes));
    stream_.expires_after(state_.config.limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&RedirectSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return close();
    std::string_view target = parser_->get().target();
    if (target.empty() || target.front() != '/' || target.starts_with("//")) target = "/";
    std::string base = state_.config.server.public_url;
    if (base.ends_with('/')) base.pop_back();
    response_.emplace(http::status::permanent_redirect, 11);
    response_->set(http::field::location, base + std::string(target));
    response_->set(http::field::content_type, "text/plain; charset=utf-8");
    response_->body() = "This service is only available over HTTPS.\n";
    response_->keep_alive(false);
    response_->prepare_payload();
    stream_.expires_after(state_.config.limits.write_timeout);
    http::async_write(stream_, *response_, beast::bind_front_handler(&RedirectSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code, std::size_t) { close(); }

  void close() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  ServerState& state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

void start_https_session(ServerState& state, tcp::socket socket, bool admitted, bool refuse) {
  std::make_shared<HttpsSession>(state, std::move(socket), admitted, refuse)->start();
}

void start_redirect_session(ServerState& state, tcp::socket socket) {
  std::make_shared<RedirectSession>(state, std::move(socket))->start();
}

}  // namespace furoshiki::server
