# AcdProto.cmake - generate protobuf-c sources from proto/ into the build tree only.

# acd_protobuf_c(OUT_VAR file.proto ...): paths relative to proto/; fills OUT_VAR with .c files.
function(acd_protobuf_c out_var)
  set(srcs)
  foreach(p ${ARGN})
    get_filename_component(dir ${p} DIRECTORY)
    get_filename_component(base ${p} NAME_WE)
    set(c ${PROJECT_BINARY_DIR}/proto/${dir}/${base}.pb-c.c)
    set(h ${PROJECT_BINARY_DIR}/proto/${dir}/${base}.pb-c.h)
    add_custom_command(OUTPUT ${c} ${h}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/proto
      COMMAND ${PROTOC_C} --proto_path=${PROJECT_SOURCE_DIR}/proto
              --c_out=${PROJECT_BINARY_DIR}/proto ${PROJECT_SOURCE_DIR}/proto/${p}
      DEPENDS ${PROJECT_SOURCE_DIR}/proto/${p}
      COMMENT "protoc-c ${p}")
    list(APPEND srcs ${c})
  endforeach()
  set(${out_var} ${srcs} PARENT_SCOPE)
endfunction()
