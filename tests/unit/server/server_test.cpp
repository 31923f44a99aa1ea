// The server in-process, with routes of the test's own: request bodies (limits, progress
// time-out), handler failures and deny-by-default, through real TLS connections on 127.0.0.1.
#include "server/server.hpp"

#include "common/config.hpp"
#include "crypto/certificate.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>

#include <poll.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace furoshiki::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/furoshiki-server-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const auto material = crypto::make_self_signed_certificate({"localhost"}, std::chrono::days(1));
    std::ofstream(dir_ / "cert.pem") << material.certificate_pem;
    std::ofstream(dir_ / "key.pem") << material.private_key_pem;
    ::chmod((dir_ / "key.pem").c_str(), 0600);

    config_.server.listen = {{"127.0.0.1", 0}};
    config_.server.io_threads = 2;
    config_.server.shutdown_grace = std::chrono::seconds(5);
    config_.tls.certificate = dir_ / "cert.pem";
    config_.tls.private_key = dir_ / "key.pem";
    config_.limits.body_progress_interval = std::chrono::seconds(1);
    config_.limits.body_min_bytes_per_interval = 64;
    config_.limits.header_timeout = std::chrono::seconds(5);

    server_ = std::make_unique<Server>(config_);
    server_->router().add({http::verb::post, "/echo", AuthPolicy::kPublic, 1024,
                           [](const Request& r) { return json_response(http::status::ok, r.body); }});
    server_->router().add({http::verb::get, "/boom", AuthPolicy::kPublic, 0,
                           [](const Request&) -> Response { throw std::runtime_error("secret internal detail"); }});
    server_->router().add({http::verb::get, "/forgotten", AuthPolicy::kUnspecified, 0,
                           [](const Request&) { return json_response(http::status::ok, R"({"leaked":true})"); }});
    server_->router().add({http::verb::get, "/items/{id}", AuthPolicy::kPublic, 0, [](const Request& r) {
                             return json_response(http::status::ok, "\"" + r.params.at("id") + "\"");
                           }});
    server_->start();
    const std::string bound = server_->bound_addresses().at(0);
    port_ = static_cast<std::uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1)));
    runner_ = std::thread([this] { exit_code_ = server_->run(); });
  }

  void TearDown() override {
    server_->request_shutdown();
    runner_.join();
    EXPECT_EQ(exit_code_, 0);
    server_.reset();
    fs::remove_all(dir_);
  }

  // A TLS client connection with every operation bounded by 10 s.
  struct Client {
    explicit Client(std::uint16_t port) : ctx(net::ssl::context::tls_client), stream(ioc, ctx) {
      ctx.set_verify_mode(net::ssl::verify_none);
      stream.next_layer().expires_after(std::chrono::seconds(10));
      stream.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
      stream.handshake(net::ssl::stream_base::client);
    }
    void send(std::string_view bytes) {
      stream.next_layer().expires_after(std::chrono::seconds(10));
      net::write(stream, net::buffer(bytes));
    }
    http::response<http::string_body> receive() {
      stream.next_layer().expires_after(std::chrono::seconds(10));
      http::response<http::string_body> res;
      http::read(stream, buffer, res);
      return res;
    }
    net::io_context ioc;
    net::ssl::context ctx;
    beast::ssl_stream<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
  };

  static std::string code_of(const http::response<http::string_body>& res) {
    return std::string(boost::json::parse(res.body()).at("error").at("code").as_string());
  }

  fs::path dir_;
  Config config_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  std::thread runner_;
  int exit_code_ = -1;
};

TEST_F(ServerTest, EchoesABodyWithinTheLimit) {
  Client c(port_);
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\":\"b\"} ");
  const auto res = c.receive();
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "{\"a\":\"b\"} ");
}

TEST_F(ServerTest, DeclaredBodyOverTheLimitIs413BeforeAnyBodyByte) {
  Client c(port_);
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
  const auto res = c.receive();
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_EQ(code_of(res), "too_large");
  EXPECT_FALSE(res.keep_alive());
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  Client c(port_);
  std::string chunk(800, 'x');
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk + "\r\n320\r\n" + chunk +
         "\r\n0\r\n\r\n");
  const auto res = c.receive();
  EXPECT_EQ(res.result(), http::status::payload_too_large);
}

TEST_F(ServerTest, BodyOnARouteThatTakesNoneIs413) {
  Client c(port_);
  c.send("GET /items/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(c.receive().result(), http::status::payload_too_large);
}

TEST_F(ServerTest, BodyTricklingBelowTheMinimumRateIs408) {
  Client c(port_);
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
  const auto start = Clock::now();
  // One byte every 200 ms, far below 64 bytes per 1 s interval, until the server answers.
  // Bounded: at most 40 bytes (8 s).
  pollfd pfd{c.stream.next_layer().socket().native_handle(), POLLIN, 0};
  for (int i = 0; i < 40; ++i) {
    if (::poll(&pfd, 1, 200) > 0) break;
    c.send("x");
  }
  const auto res = c.receive();
  EXPECT_EQ(res.result(), http::status::request_timeout);
  EXPECT_EQ(code_of(res), "request_timeout");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(8));
}

TEST_F(ServerTest, HandlerExceptionIs500WithoutDetails) {
  Client c(port_);
  c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto res = c.receive();
  EXPECT_EQ(res.result(), http::status::internal_server_error);
  EXPECT_EQ(code_of(res), "internal_error");
  EXPECT_EQ(res.body().find("secret"), std::string::npos);
}

TEST_F(ServerTest, RouteWithoutPolicyIsUnreachable) {
  Client c(port_);
  c.send("GET /forgotten HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto res = c.receive();
  EXPECT_EQ(res.result(), http::status::forbidden);
  EXPECT_EQ(code_of(res), "forbidden");
  EXPECT_EQ(res.body().find("leaked"), std::string::npos);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Client c(port_);
  for (int i = 0; i < 3; ++i) {
    c.send("GET /items/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto res = c.receive();
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body(), "\"" + std::to_string(i) + "\"");
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Client c(port_);
  c.send("GET /items/a HTTP/1.1\r\nHost: x\r\n\r\nGET /items/b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.receive().body(), "\"a\"");
  EXPECT_EQ(c.receive().body(), "\"b\"");
}

TEST_F(ServerTest, HeadHasLengthButNoBody) {
  Client c(port_);
  c.send("HEAD /items/abc HTTP/1.1\r\nHost: x\r\n\r\nGET /items/z HTTP/1.1\r\nHost: x\r\n\r\n");
  http::response_parser<http::string_body> parser;
  parser.skip(true);  // a HEAD response: the next message starts right after the header
  c.stream.next_layer().expires_after(std::chrono::seconds(10));
  http::read(c.stream, c.buffer, parser);
  EXPECT_EQ(parser.get().result(), http::status::ok);
  EXPECT_EQ(parser.get()[http::field::content_length], "5");
  EXPECT_EQ(c.receive().body(), "\"z\"");  // proves no body bytes followed the HEAD response
}

TEST_F(ServerTest, MalformedRequestIs400) {
  Client c(port_);
  c.send("GET /items/1 HTTP/1.1\r\nHost x\r\n\r\n");
  const auto res = c.receive();
  EXPECT_EQ(res.result(), http::status::bad_request);
  EXPECT_EQ(code_of(res), "bad_request");
}

TEST_F(ServerTest, AbsoluteFormTargetIs400) {
  Client c(port_);
  c.send("GET http://evil.test/items/1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.receive().result(), http::status::bad_request);
}

}  // namespace
}  // namespace furoshiki::server
