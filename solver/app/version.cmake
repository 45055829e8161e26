# Writes the version header with the current git commit (run at every build by the
# attnpde_version target, so --version and the manifests never report a stale commit;
# configure_file leaves the header untouched when nothing changed). A "+dirty" suffix marks
# uncommitted changes to tracked files.
#   cmake -DSOURCE_DIR=... -DOUTPUT=... -DPROJECT_VERSION=... -P version.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE ATTNPDE_GIT_COMMIT
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE git_rc)
if(NOT git_rc EQUAL 0 OR ATTNPDE_GIT_COMMIT STREQUAL "")
  set(ATTNPDE_GIT_COMMIT "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty ERROR_QUIET)
  if(NOT dirty EQUAL 0)
    set(ATTNPDE_GIT_COMMIT "${ATTNPDE_GIT_COMMIT}+dirty")
  endif()
endif()
configure_file(${SOURCE_DIR}/solver/app/version.hpp.in ${OUTPUT} @ONLY)
