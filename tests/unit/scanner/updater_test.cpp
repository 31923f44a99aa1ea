// Automatic definition updates end to end: a DefinitionUpdater starts the real update child
// (libfreshclam), which downloads a custom .ndb from a small HTTP server on 127.0.0.1; the running
// Scanner then detects what it missed before, without being recreated. Broken downloads,
// unreachable and hung servers must leave the old engine serving and be reported.
#include "scanner/updater.hpp"
#include "common/log.hpp"
#include "scanner/scanner.hpp"
#include "scanner_fixture.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <ctime>
#include <mutex>
#include <thread>

namespace furoshiki::scanner::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

std::string hex(std::string_view text) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string http_date(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::time_t parse_http_date(const std::string& text) {
  std::tm tm{};
  if (::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return 0;
  return ::timegm(&tm);
}

// A one-file HTTP server on 127.0.0.1:<ephemeral>, answering every path with the current behaviour.
// It honours If-Modified-Since with the Last-Modified of the current content, as a web server
// serving a file would; libfreshclam relies on that for custom URLs.
class DatabaseServer {
 public:
  enum class Mode { kServe, kNotFound, kTruncated, kHang };

  DatabaseServer() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~DatabaseServer() {
    io_.stop();
    thread_.join();
  }

  std::string url(const std::string& name) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/" + name;
  }
  // New content, last modified now (HTTP dates have one-second resolution).
  void serve(std::string body) { set(Mode::kServe, std::move(body)); }
  void set(Mode mode, std::string body = {}) {
    std::lock_guard lock(mutex_);
    mode_ = mode;
    body_ = std::move(body);
    last_modified_ = std::time(nullptr);
  }
  int connections() const { return connections_.load(); }
  int full_downloads() const { return full_downloads_.load(); }

 private:
  struct Session {
    explicit Session(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::empty_body> request;
    http::response<http::string_body> response;
    std::string raw;
  };

  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++connections_;
      Mode mode;
      {
        std::lock_guard lock(mutex_);
        mode = mode_;
      }
      if (mode == Mode::kHang) {
        hung_.push_back(std::move(socket));  // accepted, never answered; closed with the server
      } else {
        handle(std::make_shared<Session>(std::move(socket)));
      }
      accept();
    });
  }

  void handle(std::shared_ptr<Session> s) {
    s->stream.expires_after(10s);
    http::async_read(s->stream, s->buffer, s->request, [this, s](beast::error_code ec, std::size_t) {
      if (ec) return;
      respond(s);
    });
  }

  void respond(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(mutex_);
    if (mode_ == Mode::kTruncated) {
      // Promises more than it sends, then closes: a download cut off mid-way.
      s->raw = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\nConnection: close\r\n\r\nFuroshiki.Test.Cut:0:*:6162";
      asio::async_write(s->stream, asio::buffer(s->raw), [s](beast::error_code, std::size_t) {
        beast::error_code ignored;
        s->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
      return;
    }
    auto& res = s->response;
    res.version(11);
    res.keep_alive(false);
    if (mode_ == Mode::kNotFound) {
      res.result(http::status::not_found);
    } else {
      const auto ims = s->request.find(http::field::if_modified_since);
      if (ims != s->request.end() && last_modified_ <= parse_http_date(std::string(ims->value()))) {
        res.result(http::status::not_modified);
      } else {
        res.result(http::status::ok);
        res.body() = body_;
        ++full_downloads_;
      }
      res.set(http::field::last_modified, http_date(last_modified_));
    }
    res.prepare_payload();
    http::async_write(s->stream, res, [s](beast::error_code, std::size_t) {
      beast::error_code ignored;
      s->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<tcp::socket> hung_;  // touched only on the io thread
  std::thread thread_;
  std::atomic<int> connections_{0}, full_downloads_{0};
  std::mutex mutex_;
  Mode mode_ = Mode::kNotFound;    // REQUIRES: mutex_
  std::string body_;               // REQUIRES: mutex_
  std::time_t last_modified_ = 0;  // REQUIRES: mutex_
};

// A port on 127.0.0.1 that nothing listens on: bound, then released.
unsigned short closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// Waits for `condition` until `limit` has passed; the state it checks is set by another thread.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

constexpr const char* kMarker = "furoshiki updater test: this text becomes malware after the update";

class UpdaterTest : public ScannerTestBase {
 protected:
  void SetUp() override {
    ScannerTestBase::SetUp();
    scanner_ = std::make_unique<Scanner>(scanner_options());
    ASSERT_EQ(scanner_->start(), "");
  }
  void TearDown() override {
    scanner_.reset();
    ScannerTestBase::TearDown();
  }

  ScannerUpdatesConfig config(std::chrono::seconds timeout = 20s) const {
    ScannerUpdatesConfig c;
    c.enabled = true;
    c.interval = 3600s;
    c.timeout = timeout;
    c.mirrors.clear();
    c.custom_urls = {url_};
    return c;
  }
  std::vector<std::string> child(const std::string& url, int child_timeout_seconds = 20) const {
    return {FUROSHIKI_DEFINITIONS_UPDATE_CHILD,
            "--signatures",
            signatures().string(),
            "--work",
            (root_ / "updates").string(),
            "--timeout",
            std::to_string(child_timeout_seconds),
            "--url",
            url};
  }
  std::unique_ptr<DefinitionUpdater> updater(std::chrono::seconds timeout = 20s, int child_timeout = 20) {
    auto c = config(timeout);
    return std::make_unique<DefinitionUpdater>(*scanner_, c, child(url_, child_timeout));
  }

  ScanVerdict scan_text(std::string_view text) {
    test_support::MemoryObject object(tenant_, text);
    return scanner_->scan(object.opener());
  }
  void expect_old_engine_serving(std::uint64_t generation) {
    EXPECT_EQ(scanner_->status().engine_generation, generation);
    EXPECT_EQ(scan_text(eicar_test_file()).kind, ScanVerdict::Kind::kInfected);
    EXPECT_TRUE(scan_text(marker_object_).is_clean());
  }

  static std::string matching_ndb() { return "Furoshiki.Test.Updater:0:*:" + hex(kMarker) + "\n"; }
  static std::string other_ndb() {
    return "Furoshiki.Test.Other:0:*:" + hex("nothing in this test contains it") + "\n";
  }

  DatabaseServer server_;
  std::string url_ = server_.url("furoshiki-custom.ndb");
  std::string marker_object_ = std::string("some harmless text before ") + kMarker + " and after";
  std::unique_ptr<Scanner> scanner_;
};

TEST_F(UpdaterTest, DetectsObjectAfterUpdateWithoutNewScanner) {
  std::vector<std::string> events;
  std::mutex events_mutex;
  log::set_sink([&](std::string_view line) {
    std::lock_guard lock(events_mutex);
    if (line.find("\"definitions_update") != std::string_view::npos) events.emplace_back(line);
  });
  auto u = updater();
  ASSERT_TRUE(scan_text(marker_object_).is_clean());

  // A first custom database that does not match: installed, the object is still clean.
  server_.serve(other_ndb());
  auto first = u->run_once();
  EXPECT_TRUE(first.ok) << first.error << first.stderr_tail;
  EXPECT_EQ(first.updated, 1u);
  EXPECT_EQ(first.databases, std::vector<std::string>{"furoshiki-custom.ndb"});
  EXPECT_EQ(scanner_->status().engine_generation, 2u);
  EXPECT_TRUE(scan_text(marker_object_).is_clean());

  // The server publishes a new version within the same second: it must still be picked up.
  server_.serve(matching_ndb());
  auto second = u->run_once();
  EXPECT_TRUE(second.ok) << second.error << second.stderr_tail;
  EXPECT_EQ(second.updated, 1u);
  EXPECT_EQ(scanner_->status().engine_generation, 3u);
  const ScanVerdict verdict = scan_text(marker_object_);
  EXPECT_EQ(verdict.kind, ScanVerdict::Kind::kInfected) << verdict.to_string();
  EXPECT_NE(verdict.signature.find("Furoshiki.Test.Updater"), std::string::npos) << verdict.signature;
  EXPECT_EQ(scan_text(eicar_test_file()).kind, ScanVerdict::Kind::kInfected);

  const UpdateStatus status = u->status();
  EXPECT_TRUE(status.enabled);
  EXPECT_EQ(status.attempts, 2u);
  EXPECT_EQ(status.failures, 0u);
  EXPECT_GT(status.last_success, 0);
  EXPECT_EQ(status.last_success, status.last_attempt);
  EXPECT_GT(status.last_updated, 0);
  EXPECT_EQ(status.last_error, "");
  log::set_sink(nullptr);
  std::lock_guard lock(events_mutex);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[1].find("\"event\":\"definitions_update\""), std::string::npos) << events[1];
  EXPECT_NE(events[1].find("\"updated\":1"), std::string::npos) << events[1];
}

TEST_F(UpdaterTest, UnchangedDatabaseIsNotReinstalled) {
  auto u = updater();
  server_.serve(matching_ndb());
  ASSERT_EQ(u->run_once().updated, 1u);
  const auto generation = scanner_->status().engine_generation;
  const auto before = list_database_files(signatures());

  // Whether the server answers 304 or sends the same bytes again, nothing is replaced.
  auto again = u->run_once();
  EXPECT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.updated, 0u);
  EXPECT_EQ(scanner_->status().engine_generation, generation);
  const auto after = list_database_files(signatures());
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].modified, before[i].modified) << after[i].name;
}

TEST_F(UpdaterTest, InvalidDatabaseLeavesOldEngineServing) {
  auto u = updater();
  server_.serve("this line is not a signature\n");
  auto attempt = u->run_once();
  EXPECT_FALSE(attempt.ok);
  EXPECT_EQ(attempt.updated, 0u);
  EXPECT_NE(attempt.error.find("furoshiki-custom.ndb"), std::string::npos) << attempt.error;
  expect_old_engine_serving(1);
  EXPECT_FALSE(fs::exists(signatures() / "furoshiki-custom.ndb"));
  const UpdateStatus status = u->status();
  EXPECT_EQ(status.attempts, 1u);
  EXPECT_EQ(status.failures, 1u);
  EXPECT_EQ(status.last_error, attempt.error);
  EXPECT_EQ(status.last_success, 0);
}

TEST_F(UpdaterTest, BrokenDownloadsNeverReplaceWorkingDatabase) {
  auto u = updater();
  server_.serve(matching_ndb());
  ASSERT_TRUE(u->run_once().ok);
  const std::string installed = read_file(signatures() / "furoshiki-custom.ndb");
  const auto generation = scanner_->status().engine_generation;

  // Garbage with a newer Last-Modified, then a response cut off mid-way, then an invalid line.
  server_.serve(random_bytes(3000, 7));
  auto garbage = u->run_once();
  server_.set(DatabaseServer::Mode::kTruncated);
  auto truncated = u->run_once();
  server_.serve("Furoshiki.Broken:0:*:not-hex\n");
  auto invalid = u->run_once();

  for (const auto* a : {&garbage, &truncated, &invalid}) {
    EXPECT_FALSE(a->ok);
    EXPECT_EQ(a->updated, 0u);
    EXPECT_FALSE(a->error.empty());
  }
  EXPECT_EQ(read_file(signatures() / "furoshiki-custom.ndb"), installed);
  EXPECT_EQ(scanner_->status().engine_generation, generation);
  EXPECT_EQ(scan_text(marker_object_).kind, ScanVerdict::Kind::kInfected);
  EXPECT_EQ(scan_text(eicar_test_file()).kind, ScanVerdict::Kind::kInfected);
  const UpdateStatus status = u->status();
  EXPECT_EQ(status.attempts, 4u);
  EXPECT_EQ(status.failures, 3u);
  EXPECT_EQ(status.last_error, invalid.error);
  // Nothing a failed attempt downloaded is left behind.
  EXPECT_TRUE(fs::is_empty(root_ / "updates" / "tmp"));
}

TEST_F(UpdaterTest, UnreachableServerIsReported) {
  auto c = config();
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/furoshiki-custom.ndb";
  DefinitionUpdater u(*scanner_, c, child(url));
  auto attempt = u.run_once();
  EXPECT_FALSE(attempt.ok);
  EXPECT_FALSE(attempt.timed_out);
  EXPECT_NE(attempt.error.find("Connection failed"), std::string::npos) << attempt.error;
  EXPECT_EQ(u.status().failures, 1u);
  EXPECT_EQ(u.status().last_error, attempt.error);
  expect_old_engine_serving(1);
}

TEST_F(UpdaterTest, HungServerIsCutOffAtTimeout) {
  server_.set(DatabaseServer::Mode::kHang);
  // The child itself would wait 60 s; the updater's 1 s bound must kill it.
  auto u = updater(1s, 60);
  const auto started = std::chrono::steady_clock::now();
  auto attempt = u->run_once();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 5s);
  EXPECT_GE(took, 900ms);
  EXPECT_FALSE(attempt.ok);
  EXPECT_TRUE(attempt.timed_out);
  EXPECT_NE(attempt.error.find("timed out"), std::string::npos) << attempt.error;
  EXPECT_EQ(u->status().failures, 1u);
  EXPECT_EQ(u->status().last_error, attempt.error);
  expect_old_engine_serving(1);
}

TEST_F(UpdaterTest, StartUpdatesAtOnceAndStopsWithoutWaiting) {
  server_.serve(matching_ndb());
  auto u = updater();
  u->start();
  ASSERT_TRUE(eventually([&] { return u->status().attempts >= 1; }));
  EXPECT_EQ(u->status().failures, 0u) << u->status().last_error;
  EXPECT_EQ(scan_text(marker_object_).kind, ScanVerdict::Kind::kInfected);
  // The next attempt is an hour away; destruction must not wait for it.
  const auto started = std::chrono::steady_clock::now();
  u.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(UpdaterTest, DestructionKillsAttemptInProgress) {
  server_.set(DatabaseServer::Mode::kHang);
  auto u = updater(60s, 60);
  u->start();
  ASSERT_TRUE(eventually([&] { return server_.connections() >= 1; }));
  const auto started = std::chrono::steady_clock::now();
  u.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  expect_old_engine_serving(1);
}

TEST_F(UpdaterTest, DisabledUpdatesDoNothing) {
  server_.serve(matching_ndb());
  auto c = config();
  c.enabled = false;
  {
    DefinitionUpdater u(*scanner_, c, child(url_));
    u.start();
    const UpdateStatus status = u.status();
    EXPECT_FALSE(status.enabled);
    EXPECT_EQ(status.attempts, 0u);
  }
  EXPECT_EQ(server_.connections(), 0);
  EXPECT_FALSE(fs::exists(signatures() / "furoshiki-custom.ndb"));
  expect_old_engine_serving(1);
}

TEST_F(UpdaterTest, MissingUpdateProgramIsReported) {
  auto argv = child(url_);
  argv[0] = (root_ / "no-such-program").string();
  DefinitionUpdater u(*scanner_, config(), argv);
  auto attempt = u.run_once();
  EXPECT_FALSE(attempt.ok);
  EXPECT_FALSE(attempt.error.empty());
  EXPECT_EQ(u.status().failures, 1u);
}

}  // namespace
}  // namespace furoshiki::scanner::testing
