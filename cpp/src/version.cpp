#include "ghostedge/version.hpp"

#ifndef GHOSTEDGE_VERSION
#error "GHOSTEDGE_VERSION is set by cpp/CMakeLists.txt from pyproject.toml"
#endif

namespace ghostedge {
const char* core_version() { return GHOSTEDGE_VERSION; }
}  // namespace ghostedge
