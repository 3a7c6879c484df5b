// The translation unit that builds the suites' shared precompiled header
// (GoogleTest, GoogleMock and <aio/aio.hpp> for the tests, <aio/aio.hpp> for
// the examples; see tests/CMakeLists.txt and examples/CMakeLists.txt).
