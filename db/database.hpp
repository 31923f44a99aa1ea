// The database interface. Everything above this layer talks SQL through Database only, so that
// PostgreSQL can be added later behind the same interface (SQLite is the zero-set-up default).
//
// Failures are boost::system::error_code values in db_category() (or the backend's own
// category); the backend's text goes to the log only, never to clients.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace furoshiki::db {

struct Blob {
  std::vector<std::uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};

using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;

// One result row; valid only during the row callback.
class Row {
 public:
  explicit Row(std::span<const Value> columns) : columns_(columns) {}
  std::size_t size() const { return columns_.size(); }
  const Value& operator[](std::size_t i) const { return columns_[i]; }
  bool is_null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(columns_[i]); }
  std::int64_t integer(std::size_t i) const;  // 0 when NULL or not an integer
  std::string text(std::size_t i) const;      // "" when NULL or not text

 private:
  std::span<const Value> columns_;
};

using RowCallback = std::function<void(const Row&)>;

enum class DbErrc {
  kOk = 0,
  kNewerSchema,   // the database was written by a newer furoshiki
  kOlderSchema,   // migrations are pending (run `furoshiki db migrate`)
  kBadMigration,  // a migration file is misnamed or the sequence has gaps
  kConstraint,    // a UNIQUE/FOREIGN KEY/CHECK constraint failed
  kBusy,          // locked longer than the busy timeout
  kIo,            // any other backend failure
};
const boost::system::error_category& db_category() noexcept;
inline boost::system::error_code make_error_code(DbErrc e) noexcept { return {static_cast<int>(e), db_category()}; }

class Database {
 public:
  virtual ~Database() = default;

  // Runs one statement with `params` bound to ?1, ?2, …; calls on_row for each result row.
  [[nodiscard]] virtual boost::system::error_code execute(std::string_view sql, std::span<const Value> params,
                                                          const RowCallback& on_row = {}) = 0;
  [[nodiscard]] boost::system::error_code execute(std::string_view sql, std::initializer_list<Value> params = {},
                                                  const RowCallback& on_row = {}) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()), on_row);
  }

  // Runs several ';'-separated statements without parameters (migrations).
  [[nodiscard]] virtual boost::system::error_code execute_script(std::string_view sql) = 0;

  // Runs `body` inside one transaction: committed when body returns no error, rolled back
  // otherwise (and when it throws, before the exception propagates). Other threads' statements
  // wait until the transaction ends. Not reentrant.
  [[nodiscard]] virtual boost::system::error_code transaction(
      const std::function<boost::system::error_code(Database&)>& body) = 0;

  // A cheap round trip, for /readyz.
  [[nodiscard]] virtual bool ping() = 0;

  // "sqlite 3.40.1", for logs and health.
  virtual std::string backend() const = 0;
};

}  // namespace furoshiki::db

template <>
struct boost::system::is_error_code_enum<furoshiki::db::DbErrc> : std::true_type {};
