// The names of the test-only upload crash points (admin/upload_crash_point.hpp).
#include "admin/upload_crash_point.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

TEST(UploadCrashPoint, ParsesEveryStageName) {
  EXPECT_EQ(parse_upload_crash_point("upload_after_seal"), UploadCrashPoint::kUploadAfterSeal);
  EXPECT_EQ(parse_upload_crash_point("scan_started"), UploadCrashPoint::kScanStarted);
  EXPECT_EQ(parse_upload_crash_point("commit_before_rename"), UploadCrashPoint::kCommitBeforeRename);
  EXPECT_EQ(parse_upload_crash_point("after_commit_before_row"), UploadCrashPoint::kAfterCommitBeforeRow);
  EXPECT_EQ(parse_upload_crash_point("after_row"), UploadCrashPoint::kAfterRow);
}

TEST(UploadCrashPoint, RefusesUnknownNames) {
  EXPECT_FALSE(parse_upload_crash_point(""));
  EXPECT_FALSE(parse_upload_crash_point("none"));
  EXPECT_FALSE(parse_upload_crash_point("SCAN_STARTED"));
  EXPECT_FALSE(parse_upload_crash_point("scan_started "));
}

TEST(UploadCrashPoint, AnUnarmedOrOtherStageDoesNothing) {
  crash_if_armed(UploadCrashPoint::kNone, UploadCrashPoint::kScanStarted);
  crash_if_armed(UploadCrashPoint::kAfterRow, UploadCrashPoint::kScanStarted);
  SUCCEED();  // still alive
}

}  // namespace
}  // namespace furoshiki::admin
