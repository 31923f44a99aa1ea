// What the benches report about the machine and the processes they measure: CPU model, load
// average, the time, and a process's peak resident memory (from /proc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace furoshiki::bench {

// The "model name" of the first CPU in /proc/cpuinfo, or "unknown".
std::string cpu_model();
// The 1, 5 and 15 minute load averages from /proc/loadavg, e.g. "0.52 0.80 1.01".
std::string load_average();
// The current time as "2026-11-25T12:02:00Z".
std::string utc_now();
// A "Key: N kB" line of /proc/<pid>/status ("VmRSS", "VmHWM") in KiB, or 0 if it cannot be read.
std::uint64_t status_kib(pid_t pid, std::string_view key);
// VmHWM of `pid` in KiB: its peak resident set size.
inline std::uint64_t peak_rss_kib(pid_t pid) { return status_kib(pid, "VmHWM"); }
// Resets VmHWM of `pid` to its current resident size (writes "5" to /proc/<pid>/clear_refs);
// false if that is not possible (another user's process, or an old kernel).
bool reset_peak_rss(pid_t pid);

}  // namespace furoshiki::bench
