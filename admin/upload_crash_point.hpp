// Test-only fault points of the upload pipeline (docs/upload.md, "Testing the crash rule"): the
// process kills itself with SIGKILL at one named stage of one upload, so that the integration
// tests can prove the crash rule at the moments a test cannot hit from outside (during the scan,
// around the commit). Armed only by `furoshiki serve --allow-test-hooks` with
// FUROSHIKI_TEST_CRASH_POINT set; an operator never sets either. Header-only and tiny on purpose:
// one comparison per stage of an upload, nothing per body piece.
#pragma once

#include <csignal>
#include <optional>
#include <string_view>

#include <unistd.h>

namespace furoshiki::admin {

// The stages, in the order an upload passes them.
enum class UploadCrashPoint {
  kNone,
  kUploadAfterSeal,       // the body is complete, sealed and flushed into staging/; no scan yet
  kScanStarted,           // on the scan pool, before the scan reads the staged object
  kCommitBeforeRename,    // the verdict is clean; the object is still only in staging/
  kAfterCommitBeforeRow,  // the object is committed to objects/ (renamed, synced); no files row
  kAfterRow,              // the files row and its audit event are committed; no answer sent yet
};

// The value of FUROSHIKI_TEST_CRASH_POINT: its stage, or nullopt for an unknown name.
inline std::optional<UploadCrashPoint> parse_upload_crash_point(std::string_view name) {
  if (name == "upload_after_seal") return UploadCrashPoint::kUploadAfterSeal;
  if (name == "scan_started") return UploadCrashPoint::kScanStarted;
  if (name == "commit_before_rename") return UploadCrashPoint::kCommitBeforeRename;
  if (name == "after_commit_before_row") return UploadCrashPoint::kAfterCommitBeforeRow;
  if (name == "after_row") return UploadCrashPoint::kAfterRow;
  return std::nullopt;
}

// Kills this process at once (no handler, no flush, no destructor: as kill -9 from outside) when
// `armed` is `here`.
inline void crash_if_armed(UploadCrashPoint armed, UploadCrashPoint here) {
  if (armed != UploadCrashPoint::kNone && armed == here) [[unlikely]] {
    ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace furoshiki::admin
