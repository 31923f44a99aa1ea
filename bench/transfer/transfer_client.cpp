// The transfer client of furoshiki_transfer_bench; see transfer_client.hpp.
#include "transfer_client.hpp"

#include "../load.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

namespace furoshiki::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using Stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// The deadline of every read or write (a stalled server cannot hang the bench).
constexpr auto kOperationTimeout = std::chrono::seconds(60);
constexpr std::size_t kSmallAnswerLimit = 1 << 20;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string request_head(const std::string& method, const std::string& target, const Endpoint& endpoint,
                         const HeaderList& headers, std::optional<std::uint64_t> content_length) {
  std::string head = method + " " + target + " HTTP/1.1\r\nHost: " + endpoint.server_name +
                     "\r\nUser-Agent: furoshiki_transfer_bench\r\nAccept: */*\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  if (content_length) head += "Content-Length: " + std::to_string(*content_length) + "\r\n";
  return head + "\r\n";
}

net::awaitable<std::unique_ptr<Stream>> connect(net::ssl::context& tls, const Endpoint& endpoint) {
  auto stream = std::make_unique<Stream>(co_await net::this_coro::executor, tls);
  set_server_name(stream->native_handle(), endpoint.server_name);
  auto& tcp_stream = beast::get_lowest_layer(*stream);
  tcp_stream.expires_after(kOperationTimeout);
  co_await tcp_stream.async_connect(tcp::endpoint(net::ip::make_address(endpoint.host), endpoint.port),
                                    net::use_awaitable);
  tcp_stream.socket().set_option(tcp::no_delay(true));
  tcp_stream.expires_after(kOperationTimeout);
  co_await stream->async_handshake(net::ssl::stream_base::client, net::use_awaitable);
  co_return stream;
}

net::awaitable<void> read_small_answer(Stream& stream, beast::flat_buffer& buffer, TransferResult& result,
                                       std::chrono::seconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(kSmallAnswerLimit);
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await http::async_read(stream, buffer, parser, net::use_awaitable);
  result.status = parser.get().result_int();
  for (const auto& field : parser.get()) result.headers.emplace_back(field.name_string(), field.value());
  result.body = std::move(parser.get().body());
}

net::awaitable<TransferResult> do_call(net::ssl::context& tls, Endpoint endpoint, std::string method,
                                       std::string target, HeaderList headers, std::string body) {
  TransferResult result;
  const auto start = Clock::now();
  try {
    auto stream = co_await connect(tls, endpoint);
    const std::string request =
        request_head(method, target, endpoint, headers,
                     body.empty() && method == "GET" ? std::nullopt : std::optional<std::uint64_t>(body.size())) +
        body;
    beast::get_lowest_layer(*stream).expires_after(kOperationTimeout);
    co_await net::async_write(*stream, net::buffer(request), net::use_awaitable);
    beast::flat_buffer buffer;
    co_await read_small_answer(*stream, buffer, result, kOperationTimeout);
  } catch (const boost::system::system_error& e) {
    result.error = e.code().message();
  }
  result.seconds = seconds_since(start);
  co_return result;
}

net::awaitable<TransferResult> do_upload(net::ssl::context& tls, Endpoint endpoint, const UploadSpec& spec) {
  TransferResult result;
  std::unique_ptr<Stream> stream;
  beast::flat_buffer buffer;
  Clock::time_point start;
  try {
    stream = co_await connect(tls, endpoint);
    start = Clock::now();
    const std::string head = request_head("PUT", spec.target, endpoint, spec.headers, spec.size);
    auto& lowest = beast::get_lowest_layer(*stream);
    lowest.expires_after(kOperationTimeout);
    co_await net::async_write(*stream, net::buffer(head), net::use_awaitable);
    const ByteStream bytes(spec.seed);
    std::vector<std::uint8_t> block(ByteStream::kBlockBytes);
    for (std::uint64_t index = 0; result.bytes < spec.size; ++index) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), spec.size - result.bytes));
      bytes.fill(index, std::span(block.data(), n));
      lowest.expires_after(kOperationTimeout);
      co_await net::async_write(*stream, net::buffer(block.data(), n), net::use_awaitable);
      result.bytes += n;
    }
    co_await read_small_answer(*stream, buffer, result, spec.answer_timeout);
  } catch (const boost::system::system_error& e) {
    result.error = e.code().message();
  }
  if (!result.ok() && stream && result.status == 0) {
    // An early answer (413, 503, ...) may be waiting behind the failed write.
    try {
      TransferResult early;
      co_await read_small_answer(*stream, buffer, early, std::chrono::seconds(5));
      result.status = early.status;
      result.body = std::move(early.body);
    } catch (const boost::system::system_error&) {
    }
  }
  result.seconds = seconds_since(start);
  co_return result;
}

net::awaitable<TransferResult> do_download(net::ssl::context& tls, Endpoint endpoint, const DownloadSpec& spec) {
  TransferResult result;
  Clock::time_point start;
  try {
    auto stream = co_await connect(tls, endpoint);
    auto& lowest = beast::get_lowest_layer(*stream);
    start = Clock::now();
    const std::string head = request_head("GET", spec.target, endpoint, spec.headers, std::nullopt);
    lowest.expires_after(kOperationTimeout);
    co_await net::async_write(*stream, net::buffer(head), net::use_awaitable);

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    lowest.expires_after(kOperationTimeout);
    co_await http::async_read_header(*stream, buffer, parser, net::use_awaitable);
    result.status = parser.get().result_int();

    const ByteStream bytes(spec.seed);
    std::vector<std::uint8_t> piece(ByteStream::kBlockBytes);
    std::vector<std::uint8_t> expected(ByteStream::kBlockBytes);
    std::uint64_t expected_block = ~std::uint64_t{0};
    bool mismatch = false;
    std::string other_body;
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      lowest.expires_after(kOperationTimeout);
      try {
        co_await http::async_read(*stream, buffer, parser, net::use_awaitable);
      } catch (const boost::system::system_error& e) {
        if (e.code() != http::error::need_buffer) throw;
      }
      const std::size_t n = piece.size() - parser.get().body().size;
      if (result.status != 200) {
        if (other_body.size() < kSmallAnswerLimit) other_body.append(reinterpret_cast<const char*>(piece.data()), n);
        continue;
      }
      // Compare with the generator, block by block (the pieces need not be aligned to blocks).
      for (std::size_t at = 0; at < n && !mismatch;) {
        const std::uint64_t position = result.bytes + at;
        const std::uint64_t block = position / ByteStream::kBlockBytes;
        if (block != expected_block) {
          bytes.fill(block, expected);
          expected_block = block;
        }
        const std::size_t offset = position % ByteStream::kBlockBytes;
        const std::size_t length = std::min(n - at, ByteStream::kBlockBytes - offset);
        mismatch = std::memcmp(piece.data() + at, expected.data() + offset, length) != 0;
        at += length;
      }
      result.bytes += n;
      if (mismatch) {
        result.error = "content differs from what was uploaded near byte " + std::to_string(result.bytes);
        break;
      }
      if (result.bytes > spec.expected_size) {
        result.error = "more bytes than expected";
        break;
      }
    }
    if (result.status != 200) result.body = std::move(other_body);
    if (result.ok() && result.status == 200 && result.bytes != spec.expected_size) {
      result.error = "got " + std::to_string(result.bytes) + " bytes, expected " + std::to_string(spec.expected_size);
    }
  } catch (const boost::system::system_error& e) {
    result.error = e.code().message();
  }
  result.seconds = seconds_since(start);
  co_return result;
}

// Runs one coroutine per spec on `threads` threads and waits for all of them.
template <typename Spec, typename Transfer>
std::pair<std::vector<TransferResult>, double> run_all(net::ssl::context& tls, const Endpoint& endpoint,
                                                       const std::vector<Spec>& specs, unsigned threads,
                                                       Transfer transfer) {
  net::io_context ioc(static_cast<int>(std::max(1u, threads)));
  std::vector<TransferResult> results(specs.size());
  const auto start = Clock::now();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    net::co_spawn(
        ioc, [&, i]() -> net::awaitable<void> { results[i] = co_await transfer(tls, endpoint, specs[i]); },
        [&results, i](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& what) {
            results[i].error = what.what();
          }
        });
  }
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return {std::move(results), seconds_since(start)};
}

}  // namespace

void ByteStream::fill(std::uint64_t index, std::span<std::uint8_t> out) const {
  const std::uint64_t first_word = index * (kBlockBytes / 8);
  std::size_t at = 0;
  for (std::uint64_t w = first_word; at < out.size(); ++w) {
    const std::uint64_t value = splitmix64(seed_ ^ (w * 0xd1342543de82ef95ULL));
    const std::size_t n = std::min<std::size_t>(8, out.size() - at);
    std::memcpy(out.data() + at, &value, n);
    at += n;
  }
}

TransferResult call(net::ssl::context& tls, const Endpoint& endpoint, const std::string& method,
                    const std::string& target, const HeaderList& headers, const std::string& body) {
  net::io_context ioc;
  auto future = net::co_spawn(ioc, do_call(tls, endpoint, method, target, headers, body), net::use_future);
  ioc.run();
  return future.get();
}

std::pair<std::vector<TransferResult>, double> upload_all(net::ssl::context& tls, const Endpoint& endpoint,
                                                          const std::vector<UploadSpec>& specs, unsigned threads) {
  return run_all(tls, endpoint, specs, threads,
                 [](net::ssl::context& t, const Endpoint& e, const UploadSpec& s) { return do_upload(t, e, s); });
}

std::pair<std::vector<TransferResult>, double> download_all(net::ssl::context& tls, const Endpoint& endpoint,
                                                            const std::vector<DownloadSpec>& specs, unsigned threads) {
  return run_all(tls, endpoint, specs, threads,
                 [](net::ssl::context& t, const Endpoint& e, const DownloadSpec& s) { return do_download(t, e, s); });
}

}  // namespace furoshiki::bench
