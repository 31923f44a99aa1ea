// Row accessors and the db error category; see database.hpp.
#include "db/database.hpp"

namespace furoshiki::db {

std::int64_t Row::integer(std::size_t i) const {
  const auto* v = std::get_if<std::int64_t>(&columns_[i]);
  return v ? *v : 0;
}

std::string Row::text(std::size_t i) const {
  const auto* v = std::get_if<std::string>(&columns_[i]);
  return v ? *v : std::string();
}

namespace {
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "furoshiki.db"; }
  std::string message(int ev) const override {
    switch (static_cast<DbErrc>(ev)) {
      case DbErrc::kOk: return "ok";
      case DbErrc::kNewerSchema: return "the database schema is newer than this furoshiki knows";
      case DbErrc::kOlderSchema: return "the database schema is older than this furoshiki; run `furoshiki db migrate`";
      case DbErrc::kBadMigration: return "the migration files are not a numbered sequence";
      case DbErrc::kConstraint: return "constraint violated";
      case DbErrc::kBusy: return "database busy";
      case DbErrc::kIo: return "database error";
    }
    return "unknown database error";
  }
};
}  // namespace

const boost::system::error_category& db_category() noexcept {
  static const Category kCategory;
  return kCategory;
}

}  // namespace furoshiki::db
