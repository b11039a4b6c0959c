# The loopback operator endpoint: HTTP server, request parser, metrics.
# Included from proxy/CMakeLists.txt (and by tests/http when built alone).
add_library(sealgate_http STATIC
  ${CMAKE_CURRENT_LIST_DIR}/http_request.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_server.cc
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/proxy_stats_source.cc)
target_include_directories(sealgate_http PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/src ${PICOJSON_INCLUDE_DIR})
target_link_libraries(sealgate_http PUBLIC sealgate_common PkgConfig::LIBUV)
