# Warning flags shared by every target of the project.
function(furoshiki_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                           -Wformat=2 -Wimplicit-fallthrough)
  if(FUROSHIKI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
