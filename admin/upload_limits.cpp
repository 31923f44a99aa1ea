// Upload limits; see upload_limits.hpp.
#include "admin/upload_limits.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <limits>

namespace furoshiki::admin {

std::uint64_t min_nonzero(std::uint64_t a, std::uint64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

std::uint64_t effective_max_file_bytes(std::uint64_t rights_max_file_bytes, const FilePolicy& policy) {
  return min_nonzero(rights_max_file_bytes, policy.max_file_bytes);
}

std::uint32_t effective_retention_days(std::uint32_t rights_max_retention_days, const FilePolicy& policy) {
  const std::uint32_t days = rights_max_retention_days > 0 ? rights_max_retention_days : policy.default_retention_days;
  // "Kept until deleted" (0) is longer than any maximum.
  if (policy.max_retention_days > 0 && (days == 0 || days > policy.max_retention_days)) {
    return policy.max_retention_days;
  }
  return days;
}

SizeDecision decide_size(std::uint64_t bytes, std::uint64_t max_file_bytes, bool allow_unscanned_too_large,
                         const UploadLimits& limits) {
  if (max_file_bytes > 0 && bytes > max_file_bytes) return SizeDecision::kTooLarge;
  if (bytes <= limits.scan_max_bytes) return SizeDecision::kScan;
  if (!allow_unscanned_too_large) return SizeDecision::kTooLargeToScan;
  return bytes > limits.hard_max_bytes ? SizeDecision::kTooLarge : SizeDecision::kUnscanned;
}

boost::system::error_code UploadReservations::reserve(const std::vector<QuotaAccount>& accounts, std::uint64_t n,
                                                      QuotaShortfall& shortfall) {
  const std::lock_guard lock(mutex_);
  for (const auto& account : accounts) {
    if (account.quota_bytes == 0) continue;
    auto stored = account.stored();
    if (!stored) return stored.error();
    const auto it = reserved_.find(account.key);
    const std::uint64_t reserved = it == reserved_.end() ? 0 : it->second;
    // stored + reserved + n <= quota, without overflow.
    const std::uint64_t used = reserved > std::numeric_limits<std::uint64_t>::max() - *stored
                                   ? std::numeric_limits<std::uint64_t>::max()
                                   : *stored + reserved;
    if (used > account.quota_bytes || n > account.quota_bytes - used) {
      shortfall = {.key = account.key,
                   .quota_bytes = account.quota_bytes,
                   .stored_bytes = *stored,
                   .reserved_bytes = reserved,
                   .requested_bytes = n};
      return make_error_code(Errc::kQuotaExceeded);
    }
  }
  for (const auto& account : accounts) reserved_[account.key] += n;
  return {};
}

void UploadReservations::release(const std::vector<QuotaAccount>& accounts, std::uint64_t n) {
  const std::lock_guard lock(mutex_);
  for (const auto& account : accounts) {
    const auto it = reserved_.find(account.key);
    if (it == reserved_.end()) continue;
    it->second -= std::min(it->second, n);
    if (it->second == 0) reserved_.erase(it);
  }
}

std::uint64_t UploadReservations::reserved(const std::string& key) const {
  const std::lock_guard lock(mutex_);
  const auto it = reserved_.find(key);
  return it == reserved_.end() ? 0 : it->second;
}

}  // namespace furoshiki::admin
