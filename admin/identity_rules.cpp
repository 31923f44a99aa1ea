// Identifier rules and one-time passwords; see identity_rules.hpp.
#include "admin/identity_rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace furoshiki::admin {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

bool valid_org_code(std::string_view code) {
  if (code.size() < 2 || code.size() > 32 || !is_lower_alnum(code.front())) return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

std::optional<std::string> normalize_login(std::string_view email) {
  email = trim(email);
  if (email.size() < 3 || email.size() > 254) return std::nullopt;
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(email.size());
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == ',' || c == ';') {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(std::tolower(u)));
  }
  return out;
}

std::optional<std::string> normalize_name(std::string_view name) {
  name = trim(name);
  if (name.empty() || name.size() > 200) return std::nullopt;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return std::nullopt;
  }
  return std::string(name);
}

std::string generate_one_time_password(const crypto::CryptoContext& ctx) {
  // 56 symbols; rejection sampling keeps every symbol equally likely.
  static constexpr std::string_view kAlphabet = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
  constexpr unsigned kLimit = 256 - 256 % kAlphabet.size();
  std::string out;
  std::array<std::uint8_t, 64> random{};
  std::size_t used = random.size();
  while (out.size() < 24) {
    if (out.size() % 5 == 4) {
      out.push_back('-');
      continue;
    }
    if (used == random.size()) {
      ctx.random_bytes(random);
      used = 0;
    }
    const unsigned byte = random[used++];
    if (byte < kLimit) out.push_back(kAlphabet[byte % kAlphabet.size()]);
  }
  return out;
}

}  // namespace furoshiki::admin
