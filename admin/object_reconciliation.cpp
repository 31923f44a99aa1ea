// Start-up reconciliation of objects/ with the files table; see object_reconciliation.hpp.
#include "admin/object_reconciliation.hpp"

namespace furoshiki::admin {

boost::system::error_code remove_unreferenced_objects(db::Database& db, storage::ObjectStore& store,
                                                      ReconciliationReport& report) {
  report = {};
  std::vector<std::string> ids;
  if (auto ec = store.list_objects(ids)) return ec;
  for (const auto& id : ids) {
    // files.object_id is UNIQUE, so this is one index lookup per object.
    std::int64_t rows = -1;
    if (auto ec = db.execute("SELECT count(*) FROM files WHERE object_id = ?1", {id},
                             [&](const db::Row& r) { rows = r.integer(0); })) {
      return ec;
    }
    if (rows != 0) {
      // Named by a row, or no answer at all (-1): kept either way.
      ++report.referenced;
      continue;
    }
    if (auto ec = store.remove(id); ec && ec != boost::system::errc::no_such_file_or_directory) return ec;
    report.removed.push_back(id);
  }
  return {};
}

}  // namespace furoshiki::admin
