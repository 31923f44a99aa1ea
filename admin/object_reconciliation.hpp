// Start-up reconciliation of the object store with the `files` table (docs/upload.md, "The
// crash rule"): an object committed just before a crash, before its row's transaction, and an
// object whose row was deleted (by a user or the retention sweeper) just before a crash, before
// the object's removal, are named by no row. Nothing can ever reach them, so they are removed.
//
// Runs once, after ObjectStore::clean_up and before the server listens or the sweeper starts:
// no upload can be between its commit and its row while it runs. An object is removed only when
// the database answered that no row names it; any database or file-system error stops the pass
// before anything else is removed.
#pragma once

#include "db/database.hpp"
#include "storage/object_store.hpp"

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace furoshiki::admin {

struct ReconciliationReport {
  std::uint64_t referenced = 0;      // objects a files row names: kept
  std::vector<std::string> removed;  // object ids no row names: removed
};

// REQUIRES: nothing commits objects or inserts files rows while it runs (start-up).
[[nodiscard]] boost::system::error_code remove_unreferenced_objects(db::Database& db, storage::ObjectStore& store,
                                                                    ReconciliationReport& report);

}  // namespace furoshiki::admin
