// Structured logging: one JSON object per line on stderr (journald keeps them as they are).
//
// Every line has "ts" (RFC 3339 UTC, milliseconds), "level" and "event"; callers add fields.
// Secrets never reach this API by contract: callers pass route patterns, not raw targets, and
// never tokens, passwords, keys or cookies.
#pragma once

#include <boost/json/object.hpp>

#include <cstdio>
#include <functional>
#include <string_view>

namespace furoshiki::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug" | "info" | "warn" | "error"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);
std::string_view level_name(Level level);

// Lines below this level are dropped. Thread-safe.
void set_level(Level level);
bool enabled(Level level);

// Replaces the output (default: stderr). Used by tests to capture lines; pass nullptr to reset.
// The sink is called with one complete line, without the trailing newline, under a lock.
void set_sink(std::function<void(std::string_view line)> sink);

// Moves output off the calling threads: lines go to a bounded queue that one writer thread
// empties into `out` (default stderr), so a slow reader of stderr (journald under load) cannot
// stall the network threads. When the queue is full, lines are dropped and counted; the writer
// reports the count in a "log_lines_dropped" line. Until started, and after stop, lines are
// written synchronously.
void start_async_writer(std::FILE* out = stderr, std::size_t max_queued_lines = 65536);
// Writes everything queued, then stops the writer thread. Safe to call when not started.
void stop_async_writer();

// Writes one line: {"ts":…,"level":…,"event":event, …fields}.
void write(Level level, std::string_view event, boost::json::object fields = {});

inline void debug(std::string_view event, boost::json::object fields = {}) {
  write(Level::kDebug, event, std::move(fields));
}
inline void info(std::string_view event, boost::json::object fields = {}) {
  write(Level::kInfo, event, std::move(fields));
}
inline void warn(std::string_view event, boost::json::object fields = {}) {
  write(Level::kWarn, event, std::move(fields));
}
inline void error(std::string_view event, boost::json::object fields = {}) {
  write(Level::kError, event, std::move(fields));
}

// RFC 3339 UTC with milliseconds, e.g. 2026-11-22T05:00:00.123Z.
std::string now_rfc3339();

}  // namespace furoshiki::log
