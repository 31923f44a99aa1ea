# furoshiki_embed_password_blocklist(OUT_VAR) generates a C++ source holding the list of common
# passwords that the password rules refuse (admin/password_rules.hpp), taken at build time from a
# Debian package so that no list is copied into the repository by hand and none is downloaded:
# zxcvbn's 30,000 most common passwords (MIT licence), shipped by python3-zxcvbn, which
# scripts/dev installs. The build re-runs the generator when the source file or the script changes.
set(FUROSHIKI_PASSWORD_BLOCKLIST_SOURCE "/usr/lib/python3/dist-packages/zxcvbn/frequency_lists.py"
    CACHE FILEPATH "zxcvbn's frequency_lists.py (Debian package python3-zxcvbn): source of the common-password blocklist")

function(furoshiki_embed_password_blocklist out_var)
  if(NOT EXISTS "${FUROSHIKI_PASSWORD_BLOCKLIST_SOURCE}")
    message(FATAL_ERROR "The common-password blocklist source ${FUROSHIKI_PASSWORD_BLOCKLIST_SOURCE} is missing: "
                        "install the Debian package python3-zxcvbn (scripts/dev build installs it).")
  endif()
  set(script "${PROJECT_SOURCE_DIR}/cmake/EmbedPasswordBlocklist.cmake")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_password_blocklist.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} "-DSOURCE=${FUROSHIKI_PASSWORD_BLOCKLIST_SOURCE}" "-DOUT=${out}" -P "${script}"
    DEPENDS "${FUROSHIKI_PASSWORD_BLOCKLIST_SOURCE}" "${script}"
    COMMENT "Embedding the common-password blocklist"
    VERBATIM)
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
