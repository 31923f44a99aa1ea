// Structured JSON log lines; see log.hpp.
#include "common/log.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace furoshiki::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mutex;
std::function<void(std::string_view)> g_sink;  // REQUIRES: g_mutex held

// The asynchronous writer's state. REQUIRES: g_mutex held for every member but `thread`.
struct AsyncWriter {
  std::FILE* out = stderr;
  std::size_t max_lines = 0;
  std::deque<std::string> queue;
  std::size_t dropped = 0;
  bool running = false;
  bool stopping = false;
  std::condition_variable wake;
  std::thread thread;
};
AsyncWriter g_async;

void write_lines(std::FILE* out, const std::deque<std::string>& lines) {
  for (const auto& line : lines) {
    std::fwrite(line.data(), 1, line.size(), out);
    std::fputc('\n', out);
  }
  std::fflush(out);
}

void writer_loop() {
  std::unique_lock lock(g_mutex);
  while (true) {
    g_async.wake.wait(lock, [] { return !g_async.queue.empty() || g_async.stopping; });
    std::deque<std::string> batch;
    batch.swap(g_async.queue);
    const std::size_t dropped = std::exchange(g_async.dropped, 0);
    const bool stopping = g_async.stopping;
    std::FILE* out = g_async.out;
    lock.unlock();
    if (dropped > 0) {
      batch.push_back(R"({"ts":")" + now_rfc3339() + R"(","level":"warn","event":"log_lines_dropped","count":)" +
                      std::to_string(dropped) + "}");
    }
    write_lines(out, batch);
    lock.lock();
    if (stopping && g_async.queue.empty()) {
      g_async.running = false;  // later lines are written synchronously again
      return;
    }
  }
}

}  // namespace

bool parse_level(std::string_view text, Level& out) {
  if (text == "debug")
    out = Level::kDebug;
  else if (text == "info")
    out = Level::kInfo;
  else if (text == "warn")
    out = Level::kWarn;
  else if (text == "error")
    out = Level::kError;
  else
    return false;
  return true;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void set_level(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void set_sink(std::function<void(std::string_view)> sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}

std::string now_rfc3339() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto secs = time_point_cast<seconds>(now);
  const auto millis = duration_cast<milliseconds>(now - secs).count();
  const std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

void write(Level level, std::string_view event, boost::json::object fields) {
  if (!enabled(level)) return;
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["ts"] = now_rfc3339();
  line["level"] = level_name(level);
  line["event"] = event;
  for (auto& field : fields) line[field.key()] = std::move(field.value());
  std::string text = boost::json::serialize(line);
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(text);
    return;
  }
  if (g_async.running) {
    if (g_async.queue.size() >= g_async.max_lines) {
      ++g_async.dropped;
      return;
    }
    g_async.queue.push_back(std::move(text));
    g_async.wake.notify_one();
    return;
  }
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

void start_async_writer(std::FILE* out, std::size_t max_queued_lines) {
  std::lock_guard lock(g_mutex);
  if (g_async.running || g_async.thread.joinable()) return;
  g_async.out = out;
  g_async.max_lines = std::max<std::size_t>(1, max_queued_lines);
  g_async.running = true;
  g_async.stopping = false;
  g_async.thread = std::thread(writer_loop);
}

void stop_async_writer() {
  std::thread thread;
  {
    std::lock_guard lock(g_mutex);
    if (!g_async.running) return;
    g_async.stopping = true;
    g_async.wake.notify_one();
    thread = std::move(g_async.thread);
  }
  thread.join();
  std::lock_guard lock(g_mutex);
  g_async.stopping = false;
}

}  // namespace furoshiki::log
