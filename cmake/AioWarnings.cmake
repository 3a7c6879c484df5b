# Warning flags every aio target is built with.
function(aio_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(AIO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC PR 109448: false positives in coroutine state; kept a warning, never an error.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-error=maybe-uninitialized)
    # GCC PR 105651: at -O3 libstdc++ 12's std::string inlines into false
    # -Wrestrict reports on plain concatenation (no overlap is possible there).
    target_compile_options(${target} PRIVATE -Wno-restrict)
    # In a unity batch every .cpp is an included file, so g++ takes a type in
    # the .cpp's anonymous namespace, used by a class of the same file, for a
    # header's type leaking into other files (-Wsubobject-linkage).
    get_target_property(unity ${target} UNITY_BUILD)
    if(unity)
      target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
    endif()
  endif()
endfunction()
