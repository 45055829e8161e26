# The layering rule of attnpde, checked at every build (target attnpde_layers, which every
# library depends on): a file may include headers of its own layer and of the layers
# below it only.
#
#   attention/       (lowest: tokens, kernels, geometry, expressions)
#   discretization/  attention
#   solver/          attention, discretization            (numerics; not solver/app/)
#   postprocess/     attention, discretization
#   solver/app/      everything                           (CLI, case files, runs, manifests)
#
#   cmake -DSOURCE_DIR=<tree> -P check_layers.cmake   (exit code 1 and one line per violation)
set(layers attention discretization solver postprocess solver/app)
set(allowed_attention attention)
set(allowed_discretization attention discretization)
set(allowed_solver attention discretization solver)
set(allowed_postprocess attention discretization postprocess)
set(allowed_solver/app attention discretization solver postprocess solver/app)
set(project_dirs attention discretization solver postprocess)

set(violations "")
foreach(layer IN LISTS layers)
  file(GLOB files RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/${layer}/*.hpp ${SOURCE_DIR}/${layer}/*.cpp)
  foreach(f IN LISTS files)
    file(STRINGS ${SOURCE_DIR}/${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" header "${line}")
      # The layer of the header: solver/app/ before solver/.
      set(target "")
      if(header MATCHES "^solver/app/")
        set(target solver/app)
      else()
        foreach(d IN LISTS project_dirs)
          if(header MATCHES "^${d}/")
            set(target ${d})
          endif()
        endforeach()
      endif()
      if(target STREQUAL "")
        continue()  # a system or generated header
      endif()
      list(FIND allowed_${layer} ${target} ok)
      if(ok EQUAL -1)
        string(APPEND violations "layering: ${f} includes ${header}: ${layer}/ may include only ${allowed_${layer}}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(NOT violations STREQUAL "")
  message(FATAL_ERROR "${violations}")
endif()
