# Debian packages with CPack (`cpack -G DEB`; scripts/package.sh does it all).
# From a build configured with
#   -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DAIO_ALSO_STATIC=ON -DCMAKE_INSTALL_PREFIX=/usr
# (the prefix /usr gives GNUInstallDirs' multiarch libdir, lib/x86_64-linux-gnu)
# it makes one package per install component:
#   libaio-cppX.Y   runtime  libaio-cpp.so.X.Y.Z and its soname link libaio-cpp.so.X.Y
#                            (named after the soname, as Debian's policy wants)
#   libaio-cpp-dev  dev      headers, the libaio-cpp.so namelink, libaio-cpp.a, the CMake
#                            package and aio-cpp.pc
#   aio-cpp         tool     the aio command and its man page
# Each has /usr/share/doc/<package>/copyright (packaging/copyright) and
# changelog.Debian.gz (packaging/changelog.in). Dependencies on shared
# libraries come from dpkg-shlibdeps; the -dev package depends on the -dev
# packages of everything aioConfig.cmake and aio-cpp.pc ask for.
#
# lintian (`lintian --tag-display-limit 0 *.deb`, as scripts/package.sh and the
# test package.deb run it) reports no error. The warnings left, and why:
#   W: <each package>: initial-upload-closes-no-bugs
#     The changelog's one entry closes no Debian bug: aio is not in Debian and
#     has no ITP bug to close. A package that went into Debian would have one.
#   W: libaio-cpp0.1: maintscript-calls-ldconfig [postinst], [postrm]
#     CPack (3.25) writes a postinst and a postrm that call ldconfig for any
#     library under /usr/lib, unless the package brings its own. The ldconfig
#     trigger (packaging/triggers) is what Debian wants and what does the work;
#     the scripts' extra ldconfig is redundant but harmless, and replacing them
#     by empty ones only trades this warning for maintainer-script-empty.
# (Informational tags, shown with -I: hardening-no-fortify-functions, though
# the build has -D_FORTIFY_SOURCE=2 (scripts/package.sh): lintian guesses
# from the libc calls, and few of aio's have a size known at compile time;
# no-symbols-control-file: the shlibs file is enough for a library whose
# soname changes with every minor 0.x release; the .comment sections of the
# static library's objects.)
if(NOT BUILD_SHARED_LIBS)
  # A static-only build has no runtime package to make.
  return()
endif()

get_target_property(AIO_SOVERSION aio SOVERSION)
set(AIO_DEB_RUNTIME libaio-cpp${AIO_SOVERSION})
set(AIO_DEB_DEV libaio-cpp-dev)
set(AIO_DEB_TOOL aio-cpp)
set(AIO_DEB_MAINTAINER "aio maintainers <maintainers@users.noreply.b-seed-91af1337.example>"
    CACHE STRING "Maintainer field of the Debian packages (\"Name <address>\")")
set(AIO_DEB_REVISION 1 CACHE STRING "Debian revision of the packages (the -N of X.Y.Z-N)")
set(AIO_DEB_VERSION ${PROJECT_VERSION}-${AIO_DEB_REVISION})

# /usr/share/doc/<package>/: copyright and changelog.Debian.gz. These rules are
# EXCLUDE_FROM_ALL: CPack installs each component by name and gets them, a plain
# `cmake --install` leaves them out.
string(TIMESTAMP AIO_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)  # SOURCE_DATE_EPOCH if set
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog.Debian @ONLY)
execute_process(COMMAND gzip -9n -c ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
                OUTPUT_FILE ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz COMMAND_ERROR_IS_FATAL ANY)
set(AIO_DEB_COMPONENTS runtime dev tool)
set(AIO_DEB_PACKAGES ${AIO_DEB_RUNTIME} ${AIO_DEB_DEV} ${AIO_DEB_TOOL})
foreach(component package IN ZIP_LISTS AIO_DEB_COMPONENTS AIO_DEB_PACKAGES)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME aio-cpp)
set(CPACK_PACKAGE_VENDOR "the aio authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${AIO_DEB_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${AIO_DEB_COMPONENTS})
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_COMPONENT_TOOL_DEPENDS runtime)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${AIO_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_SOURCE aio-cpp)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Depends: on the runtime package at this very version (dev, tool), and on the
# shared libraries the binaries need, as dpkg-shlibdeps finds them. The aio
# command's libaio-cpp.so is found in the build tree (it belongs to no
# installed package yet: the dependency is the component's, above).
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
get_target_property(AIO_LIBRARY_DIR aio BINARY_DIR)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${AIO_LIBRARY_DIR})
# DEBIAN/shlibs of the runtime package, for the packages built against it:
# "libaio-cpp X.Y libaio-cppX.Y (>= X.Y.Z-N)": any later X.Y.* keeps the ABI.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

# The descriptions: a summary line, then what aio is and what the package holds.
set(AIO_DEB_ABOUT
"aio is Python's asyncio, aiohttp, aiofiles and pandas.read_csv rebuilt in
C++20 for Linux: coroutines on an io_uring event loop with gather, timeouts,
cancellation, locks and queues named as asyncio's; an HTTP/1.1 and HTTP/2
client and server with WebSockets; asynchronous files; a CSV reader.")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${AIO_DEB_RUNTIME})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/triggers)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
"Python's async stack as a C++20 library (shared library)
${AIO_DEB_ABOUT}

This package contains the shared library libaio-cpp.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME ${AIO_DEB_DEV})
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What aioConfig.cmake finds (fmt, OpenSSL 3, ZLIB, simdjson; liburing,
# libbrotlidec/enc, libpsl, libnghttp2 through pkg-config) and aio-cpp.pc
# requires (the same modules); Threads comes with libc6-dev, which every C++
# compiler depends on.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libfmt-dev, libssl-dev (>= 3), zlib1g-dev, libsimdjson-dev, liburing-dev, libbrotli-dev, libpsl-dev, libnghttp2-dev, pkg-config")
set(CPACK_DEBIAN_DEV_DESCRIPTION
"Python's async stack as a C++20 library (development files)
${AIO_DEB_ABOUT}

This package contains the headers, the static library libaio-cpp.a, the
CMake package (find_package(aio): aio::aio, aio::aio_static) and the
pkg-config file aio-cpp.")

set(CPACK_DEBIAN_TOOL_PACKAGE_NAME ${AIO_DEB_TOOL})
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOL_DESCRIPTION
"aio command: fetch URLs, read CSV, serve and test HTTP and WebSockets
aio is Python's asyncio, aiohttp, aiofiles and pandas.read_csv rebuilt in
C++20 for Linux.

This package contains the aio command: demo (the library's scenarios run
against a local server, no network needed), fetch (many URLs at once), csv
(read a CSV file or URL as pandas.read_csv does), serve (serve a directory
over HTTP), ws (talk to a WebSocket) and bench.")

include(CPack)
