// Server wiring: listeners, io threads, signals, service endpoints; see server.hpp.
#include "server/server.hpp"

#include "common/log.hpp"
#include "common/version.hpp"
#include "server/http_error.hpp"
#include "server/metrics.hpp"
#include "server/server_state.hpp"
#include "server/session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace furoshiki::server {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

std::string read_token_file(const std::filesystem::path& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.size() < 16) throw std::runtime_error("must hold a token of at least 16 characters");
  return token;
}

std::string endpoint_text(const tcp::endpoint& ep) {
  return ListenAddress{ep.address().to_string(), ep.port()}.to_string();
}

// Accepts connections on one address and hands them to sessions.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, ServerState& state, const ListenAddress& address, bool redirect)
      : ioc_(ioc),
        state_(state),
        acceptor_(net::make_strand(ioc)),
        retry_(acceptor_.get_executor()),
        redirect_(redirect) {
    const tcp::endpoint endpoint(net::ip::make_address(address.host), address.port);
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor_.set_option(net::ip::v6_only(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + address.to_string() + ": " + ec.message());
    bound_ = endpoint_text(acceptor_.local_endpoint());
  }

  const std::string& bound() const { return bound_; }
  bool redirect() const { return redirect_; }

  void start() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->retry_.cancel();
      self->acceptor_.close(ignored);
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Typically EMFILE: back off briefly instead of spinning.
      log::error("accept_failed", {{"address", bound_}, {"reason", ec.message()}});
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    if (state_.draining) {
      boost::system::error_code ignored;
      socket.close(ignored);
      return do_accept();
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (redirect_) {
      start_redirect_session(state_, std::move(socket));
      return do_accept();
    }
    const auto remote = socket.remote_endpoint(ignored);
    const auto admission = state_.connections.admit(remote.address());
    if (admission == ConnectionTracker::Admission::kAdmitted) {
      start_https_session(state_, std::move(socket), true, false);
      return do_accept();
    }
    const std::string_view reason =
        admission == ConnectionTracker::Admission::kTotalLimit ? "max_connections" : "max_connections_per_client";
    log::warn("connection_rejected", {{"reason", reason}, {"client", endpoint_text(remote)}});
    if (state_.refusing.fetch_add(1) < ServerState::kMaxRefusing) {
      start_https_session(state_, std::move(socket), false, true);  // answers 503, then closes
    } else {
      state_.refusing.fetch_sub(1);
      state_.metrics.connection_rejected(reason);
      socket.close(ignored);
    }
    do_accept();
  }

  net::io_context& ioc_;
  ServerState& state_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  const bool redirect_;
  std::string bound_;
};

}  // namespace

std::vector<ConfigError> check_server_material(const Config& config, ossl_lib_ctx_st* tls_libctx) {
  std::vector<ConfigError> errors;
  const std::string file = config.source.string();
  try {
    (void)make_tls_context(config.tls, tls_libctx);
  } catch (const std::exception& e) {
    errors.push_back({"tls", 0, e.what(), file});
  }
  try {
    (void)read_token_file(config.metrics.token_file);
  } catch (const std::exception& e) {
    errors.push_back({"metrics.token_file", 0, e.what(), file});
  }
  return errors;
}

struct Server::Impl {
  Impl(const Config& c, ossl_lib_ctx_st* libctx)
      : config(c),
        tls_libctx(libctx),
        state(c, make_tls_context(c.tls, libctx), read_token_file(c.metrics.token_file)),
        ioc(static_cast<int>(threads())),
        signals(ioc, SIGTERM, SIGINT, SIGHUP),
        grace(ioc) {}

  unsigned threads() const {
    if (config.server.io_threads > 0) return config.server.io_threads;
    return std::max(1u, std::thread::hardware_concurrency());
  }

  void add_service_routes();
  Response readiness(bool with_details);
  void wait_for_signal();
  void begin_shutdown();
  void finish();
  void reload_tls();

  const Config& config;
  ossl_lib_ctx_st* tls_libctx;
  // Declared before ioc: sessions still queued in ioc at destruction refer to it.
  ServerState state;
  std::mutex checks_mutex;
  std::vector<std::pair<std::string, ReadinessCheck>> checks;  // REQUIRES: checks_mutex
  net::io_context ioc;
  net::signal_set signals;
  net::steady_timer grace;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::once_flag shutdown_once;
  std::once_flag finish_once;
};

void Server::Impl::add_service_routes() {
  state.router.add({http::verb::get, "/healthz", AuthPolicy::kPublic, 0,
                    [](const Request&) { return json_response(http::status::ok, R"({"status":"ok"})"); }});
  // Public for load balancers and probes; the details (versions, free space) only for metrics readers.
  state.router.add({http::verb::get, "/readyz", AuthPolicy::kPublic, 0, [this](const Request& request) {
                      return readiness(state.authorizer.authorize(AuthPolicy::kMetricsReader, request) == Errc::kOk);
                    }});
  state.router.add({http::verb::get, "/metrics", AuthPolicy::kMetricsReader, 0, [this](const Request&) {
                      Response res{http::status::ok, 11};
                      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                      res.body() = state.metrics.render();
                      return res;
                    }});
}

Response Server::Impl::readiness(bool with_details) {
  boost::json::object details;
  bool ready = !state.draining;
  if (state.draining) details["server"] = {{"ok", false}, {"detail", "shutting down"}};
  std::lock_guard lock(checks_mutex);
  for (auto& [name, check] : checks) {
    std::string detail;
    bool ok = false;
    try {
      ok = check(detail);
    } catch (const std::exception& e) {
      log::error("readiness_check_failed", {{"check", name}, {"reason", e.what()}});
    }
    ready = ready && ok;
    boost::json::object entry;
    entry["ok"] = ok;
    if (with_details && !detail.empty()) entry["detail"] = detail;
    details[name] = std::move(entry);
  }
  boost::json::object body;
  body["status"] = ready ? "ready" : "not_ready";
  body["checks"] = std::move(details);
  return json_response(ready ? http::status::ok : http::status::service_unavailable, boost::json::serialize(body));
}

void Server::Impl::wait_for_signal() {
  signals.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload_tls();
      return wait_for_signal();
    }
    log::info("signal_received", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    if (state.draining) {
      // A second SIGTERM/SIGINT: the operator does not want to wait for the grace period.
      log::warn("shutdown_forced", {{"open_connections", state.connections.open()}});
      state.connections.abort_all();
      return finish();
    }
    begin_shutdown();
    wait_for_signal();
  });
}

void Server::Impl::reload_tls() {
  try {
    state.tls.set(make_tls_context(config.tls, tls_libctx));
    state.metrics.tls_reloaded(true);
    log::info("tls_reloaded", {{"certificate", config.tls.certificate.string()}});
  } catch (const std::exception& e) {
    state.metrics.tls_reloaded(false);
    log::error("tls_reload_failed", {{"reason", e.what()}, {"action", "keeping the previous certificate"}});
  }
}

void Server::Impl::begin_shutdown() {
  std::call_once(shutdown_once, [this] {
    state.draining = true;
    log::info("shutdown_started", {{"open_connections", state.connections.open()},
                                   {"grace_seconds", config.server.shutdown_grace.count()}});
    for (auto& l : listeners) l->stop();
    state.connections.on_empty([this] { finish(); });
    state.connections.drain_all();
    grace.expires_after(config.server.shutdown_grace);
    grace.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      log::warn("shutdown_grace_expired", {{"open_connections", state.connections.open()}});
      state.connections.abort_all();
      finish();
    });
    if (state.connections.open() == 0) finish();
  });
}

void Server::Impl::finish() {
  std::call_once(finish_once, [this] {
    net::post(ioc, [this] {
      boost::system::error_code ignored;
      signals.cancel(ignored);
      grace.cancel();
      ioc.stop();
    });
  });
}

Server::Server(const Config& config, ossl_lib_ctx_st* tls_libctx) : impl_(std::make_unique<Impl>(config, tls_libctx)) {
  impl_->add_service_routes();
}

Server::~Server() = default;

Router& Server::router() { return impl_->state.router; }

Metrics& Server::metrics() { return impl_->state.metrics; }

void Server::set_authenticator(admin::Authenticator* authenticator) {
  impl_->state.authorizer.set_authenticator(authenticator);
}

void Server::set_operator_authenticator(admin::OperatorAuthenticator* authenticator) {
  impl_->state.authorizer.set_operator_authenticator(authenticator);
}

void Server::add_readiness_check(std::string name, ReadinessCheck check) {
  std::lock_guard lock(impl_->checks_mutex);
  impl_->checks.emplace_back(std::move(name), std::move(check));
}

void Server::start() {
  // The whole route table with each route's policy, once: what this build serves and to whom
  // (tests/integration/route_table_test.cpp holds it against the policies and the API document).
  boost::json::array table;
  for (const auto& r : impl_->state.router.routes()) {
    if (r.policy == AuthPolicy::kUnspecified) {
      log::warn("route_without_policy", {{"route", r.pattern}, {"effect", "unreachable (403)"}});
    }
    table.push_back(boost::json::object{{"method", std::string(http::to_string(r.method))},
                                        {"pattern", r.pattern},
                                        {"policy", std::string(policy_name(r.policy))}});
  }
  log::info("route_table", {{"routes", std::move(table)}});
  for (const auto& address : impl_->config.server.listen) {
    impl_->listeners.push_back(std::make_shared<Listener>(impl_->ioc, impl_->state, address, false));
    log::info("listening", {{"address", impl_->listeners.back()->bound()}, {"scheme", "https"}});
  }
  for (const auto& address : impl_->config.server.redirect_listen) {
    impl_->listeners.push_back(std::make_shared<Listener>(impl_->ioc, impl_->state, address, true));
    log::info("listening", {{"address", impl_->listeners.back()->bound()}, {"scheme", "http"}, {"redirect", true}});
  }
  for (auto& l : impl_->listeners) l->start();
  impl_->wait_for_signal();
}

std::vector<std::string> Server::bound_addresses() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->listeners) {
    if (!l->redirect()) out.push_back(l->bound());
  }
  return out;
}

int Server::run() {
  const unsigned n = impl_->threads();
  log::info("server_started", {{"version", kVersion}, {"io_threads", n}});
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  impl_->state.blocking.join();
  log::info("shutdown_complete", {});
  return 0;
}

void Server::request_shutdown() {
  net::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

}  // namespace furoshiki::server
