#pragma once

namespace ghostedge {
// Version of the C++ core: the project version from pyproject.toml (set by cpp/CMakeLists.txt).
const char* core_version();
}  // namespace ghostedge
