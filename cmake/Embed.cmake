# furoshiki_embed_sql(OUT_VAR DIR) generates a C++ source holding every DIR/*.sql file, sorted by
# name, as the table `furoshiki::db::kEmbeddedMigrations` (see db/migrations.hpp). The build
# re-runs the generator whenever a migration file is added, removed or changed.
function(furoshiki_embed_sql out_var dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_migrations.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} "-DFILES=${sql_files}" -P "${PROJECT_SOURCE_DIR}/cmake/EmbedSql.cmake"
    DEPENDS ${sql_files} "${PROJECT_SOURCE_DIR}/cmake/EmbedSql.cmake"
    COMMENT "Embedding SQL migrations"
    VERBATIM)
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
