// Bindings of the tag registry, the fusion geometry helpers and the batch noise filter
// (ghostedge/registry.hpp, fusion.hpp, kalman_filter.hpp). Thin: validation of array shapes
// here, all logic in the C++ core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "batch_args.hpp"
#include "ghostedge/fusion.hpp"
#include "ghostedge/kalman_filter.hpp"
#include "ghostedge/registry.hpp"

namespace py = pybind11;
using namespace ghostedge;
using namespace ghostedge_bindings;

namespace {

TagRegistry make_registry(const CArray<uint32_t>& tag_ids, const CArray<int64_t>& nfl_ids,
                          const CArray<uint8_t>& roles) {
    if (tag_ids.ndim() != 1 || nfl_ids.ndim() != 1 || roles.ndim() != 1 ||
        tag_ids.shape(0) != nfl_ids.shape(0) || tag_ids.shape(0) != roles.shape(0)) {
        throw py::value_error("tag_ids, nfl_ids and roles must be 1-D arrays of equal length");
    }
    std::vector<TagAssignment> tags(static_cast<std::size_t>(tag_ids.shape(0)));
    for (std::size_t i = 0; i < tags.size(); ++i) {
        const auto k = static_cast<py::ssize_t>(i);
        const uint8_t role = roles.at(k);
        if (role > 2) {
            throw py::value_error("tag " + std::to_string(tag_ids.at(k)) + ": unknown role code " +
                                  std::to_string(role) + " (0 left_shoulder, 1 right_shoulder, 2 ball)");
        }
        tags[i] = TagAssignment{tag_ids.at(k), nfl_ids.at(k), static_cast<TagRole>(role)};
    }
    return TagRegistry(tags);  // std::invalid_argument -> ValueError
}

py::dict filter_tracks_py(const CArray<int64_t>& time_us, const CArray<double>& x,
                          const CArray<double>& y, const py::object& o_obj, double meas_sigma_yd,
                          double o_sigma_deg, bool is_ball, double max_speed_yps, double jerk_psd,
                          double hold_time_s) {
    return run_track_batch(time_us, x, y, o_obj, meas_sigma_yd, is_ball, max_speed_yps, jerk_psd,
                           hold_time_s, [&](const TrackArrays& a, const FilterConfig& cfg, double** f, uint16_t* pf) {
        return filter_tracks(a.time_us.data(), a.T, a.N, a.x.data(), a.y.data(),
                             a.has_o ? a.o.data() : nullptr, meas_sigma_yd, o_sigma_deg, cfg,
                             f[0], f[1], f[2], f[3], f[4], f[5], pf);
    });
}

}  // namespace

void bind_ingest(py::module_& m) {
    py::class_<TagRegistry>(m, "TagRegistry", "Tag id -> (player slot, shoulder) and ball tags; validated on construction.")
        .def(py::init(&make_registry), py::arg("tag_ids"), py::arg("nfl_ids"), py::arg("roles"))
        .def_property_readonly("n_players", &TagRegistry::n_players)
        .def_property_readonly("n_ball_tags", &TagRegistry::n_ball_tags)
        .def_property_readonly("slot_nfl_ids", [](const TagRegistry& r) {
            return py::array_t<int64_t>(static_cast<py::ssize_t>(r.slot_nfl_ids().size()), r.slot_nfl_ids().data());
        })
        .def("single_tag_slots", &TagRegistry::single_tag_slots)
        .def("shoulder_tag", [](const TagRegistry& r, std::size_t slot, uint8_t side) {
            if (side > 1) throw py::value_error("side must be 0 (left) or 1 (right)");
            return r.shoulder_tag(slot, static_cast<TagRole>(side));
        }, py::arg("slot"), py::arg("side"))
        .def("lookup", [](const TagRegistry& r, uint32_t tag_id) -> py::object {
            TagSlot where;
            if (!r.lookup(tag_id, where)) return py::none();
            return py::make_tuple(where.slot, static_cast<int>(where.role));
        }, py::arg("tag_id"), "(slot, role code) of a tag, or None when unknown; slot -1 for the ball");

    m.def("derived_tag_id", [](int64_t nfl_id, uint8_t role) {
        if (role > 2) throw py::value_error("role must be 0, 1 or 2");
        return derived_tag_id(nfl_id, static_cast<TagRole>(role));
    }, py::arg("nfl_id"), py::arg("role"));
    m.attr("BALL_TAG_ID") = kBallTagId;

    m.def("orientation_from_shoulders", &orientation_from_shoulders, py::arg("dx"), py::arg("dy"),
          "NGS orientation (deg) of a player whose left->right shoulder vector is (dx, dy)");
    m.def("right_shoulder_unit", [](double o_deg) {
        double ux, uy;
        right_shoulder_unit(o_deg, ux, uy);
        return py::make_tuple(ux, uy);
    }, py::arg("o_deg"), "unit vector from a player's centre to his right shoulder");

    m.def("filter_tracks", &filter_tracks_py, py::arg("time_us"), py::arg("x"), py::arg("y"),
          py::arg("o") = py::none(), py::arg("meas_sigma_yd") = 0.03, py::arg("o_sigma_deg") = 5.0,
          py::arg("is_ball") = false, py::arg("max_speed_yps") = FilterConfig{}.max_speed_yps,
          py::arg("jerk_psd") = FilterConfig{}.jerk_psd, py::arg("hold_time_s") = FilterConfig{}.hold_time_s,
          "Batch causal filter over [T, N] tracks (NaN = no measurement); returns a dict of arrays.");

    py::dict flags;
    flags["SINGLE_TAG"] = static_cast<int>(kFlagSingleTag);
    flags["HELD"] = static_cast<int>(kFlagHeld);
    flags["LOST"] = static_cast<int>(kFlagLost);
    flags["NEVER_SEEN"] = static_cast<int>(kFlagNeverSeen);
    flags["SPEED_CAPPED"] = static_cast<int>(kFlagSpeedCapped);
    flags["REJECTED"] = static_cast<int>(kFlagRejected);
    flags["RESET"] = static_cast<int>(kFlagReset);
    flags["NO_ORIENTATION"] = static_cast<int>(kFlagNoOrientation);
    m.attr("FRAME_FLAGS") = flags;
}
