// The limits of an upload (docs/upload.md, "Limits"): how a user's rights and the organization's
// "files" policy combine, what the instance allows (scanner limit, hard cap, disk reserve), the
// decision for a file too large to scan, and the reservations that keep concurrent uploads from
// passing a quota together. Pure decisions and one small thread-safe table; FileUpload applies
// them before the body (declared length) and while it arrives.
#pragma once

#include "admin/organization_policy.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace furoshiki::admin {

// What the instance allows ([storage] and [scanner] of the configuration).
struct UploadLimits {
  std::uint64_t scan_max_bytes = 2147483645;                 // scanner.max_file_bytes: the most libclamav scans
  std::uint64_t hard_max_bytes = std::uint64_t{64} << 30;    // storage.max_file_bytes: no file is larger
  std::uint64_t reserve_bytes = std::uint64_t{1} << 30;      // storage.reserve_bytes: always left free
  std::uint64_t space_check_bytes = std::uint64_t{4} << 20;  // free space is checked every this many bytes
};

// The smaller of the non-zero values; 0 when both are 0 (no limit).
std::uint64_t min_nonzero(std::uint64_t a, std::uint64_t b);

// The largest file a user may upload by rights and policy (rights.max_file_bytes and
// files.max_file_bytes, 0 = not set, the smaller of those set); 0 when neither is set. The hard
// cap and the scanner's limit apply on top (decide_size).
std::uint64_t effective_max_file_bytes(std::uint64_t rights_max_file_bytes, const FilePolicy& policy);

// The retention of a new file in days (0: kept until deleted): the user's
// rights.max_retention_days, or else the policy's default, capped by the policy's maximum.
std::uint32_t effective_retention_days(std::uint32_t rights_max_retention_days, const FilePolicy& policy);

// What may happen to a file of `bytes` plaintext bytes.
enum class SizeDecision {
  kScan,            // accepted; scanned before it is stored
  kUnscanned,       // accepted unscanned: larger than the scanner's limit, and the policy allows it
  kTooLarge,        // over the user's / organization's maximum or the instance's hard cap
  kTooLargeToScan,  // over the scanner's limit, and the policy does not let such files through
};
SizeDecision decide_size(std::uint64_t bytes, std::uint64_t max_file_bytes, bool allow_unscanned_too_large,
                         const UploadLimits& limits);

// One quota an upload counts against: the user's (key "<org id>/<user id>") or the
// organization's (key "<org id>"). `stored` answers the bytes already stored under it; it is
// called with the table's lock held, so that checking and reserving are one step.
struct QuotaAccount {
  std::string key;
  std::uint64_t quota_bytes = 0;  // 0: no quota (the account is not checked)
  std::function<boost::system::result<std::uint64_t>()> stored;
};

// Why a reservation was refused: the numbers of the account at fault.
struct QuotaShortfall {
  std::string key;
  std::uint64_t quota_bytes = 0;
  std::uint64_t stored_bytes = 0;
  std::uint64_t reserved_bytes = 0;  // by other uploads in progress
  std::uint64_t requested_bytes = 0;
};

// Bytes reserved by uploads in progress, per quota account. An upload reserves its declared length
// before the body (or, without one, its received bytes as they come, a step ahead) and releases
// it when it ends; a stored file counts as stored before its reservation is released, so a quota
// is never passed by uploads running at the same time. Thread-safe.
class UploadReservations {
 public:
  // Adds `n` to the reservation of every account, when for each account with a quota
  // stored + reserved + n <= quota; otherwise reserves nothing and answers Errc::kQuotaExceeded
  // with `shortfall` filled. Errors of `stored` as they come (nothing reserved).
  [[nodiscard]] boost::system::error_code reserve(const std::vector<QuotaAccount>& accounts, std::uint64_t n,
                                                  QuotaShortfall& shortfall);
  // Takes `n` back from every account (what reserve() gave).
  void release(const std::vector<QuotaAccount>& accounts, std::uint64_t n);
  std::uint64_t reserved(const std::string& key) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> reserved_;
};

}  // namespace furoshiki::admin
