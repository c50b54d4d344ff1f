// The one compiled Python module, ghostedge._core. Each concept binds itself in its own
// file (bind_<concept>.cpp); this file only calls them. The C++ below knows nothing of Python.
#include <pybind11/pybind11.h>

#include "ghostedge/constants.hpp"
#include "ghostedge/version.hpp"

namespace py = pybind11;

void bind_wire(py::module_& m);      // tag-read packet encoder/decoder
void bind_ingest(py::module_& m);    // tag registry, fusion, noise filter
void bind_features(py::module_& m);  // model feature building
void bind_metric(py::module_& m);    // composite ghosting metric
void bind_pipeline(py::module_& m);  // per-frame live pipeline
void bind_smoother(py::module_& m);  // offline two-sided smoother
void bind_shm(py::module_& m);       // shared-memory output

PYBIND11_MODULE(_core, m) {
    m.doc() = "ghostedge compiled core (C++). Use the Python API in `ghostedge`, not this module.";
    m.attr("__version__") = ghostedge::core_version();
    py::dict constants;  // checked against python/ghostedge/constants.py by the tests
    constants["DT_S"] = ghostedge::kFrameDt;
    constants["FIELD_LENGTH_YD"] = ghostedge::kFieldLength;
    constants["FIELD_WIDTH_YD"] = ghostedge::kFieldWidth;
    constants["MAX_SPEED_YPS"] = ghostedge::kMaxSpeedYps;
    constants["TOP_SPEED_YPS"] = ghostedge::kTopSpeedYps;
    m.attr("CONSTANTS") = constants;
    bind_wire(m);
    bind_ingest(m);
    bind_features(m);
    bind_metric(m);
    bind_pipeline(m);
    bind_smoother(m);
    bind_shm(m);
}
