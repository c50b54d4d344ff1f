// Bindings of the tag registry, the fusion geometry helpers and the batch noise filter
// (ghostedge/registry.hpp, fusion.hpp, kalman_filter.hpp). Thin: validation of array shapes
// here, all logic in the C++ core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "ghostedge/fusion.hpp"
#include "ghostedge/kalman_filter.hpp"
#include "ghostedge/registry.hpp"

namespace py = pybind11;
using namespace ghostedge;

namespace {

template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

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
    if (time_us.ndim() != 1) throw py::value_error("time_us must be 1-D [T]");
    const auto T = static_cast<std::size_t>(time_us.shape(0));
    if (x.ndim() != 2 || y.ndim() != 2 || static_cast<std::size_t>(x.shape(0)) != T ||
        x.shape(0) != y.shape(0) || x.shape(1) != y.shape(1)) {
        throw py::value_error("x and y must be [T, N] arrays with T = len(time_us)");
    }
    const auto N = static_cast<std::size_t>(x.shape(1));
    CArray<double> o;
    if (!o_obj.is_none()) {
        o = o_obj.cast<CArray<double>>();
        if (o.ndim() != 2 || o.shape(0) != x.shape(0) || o.shape(1) != x.shape(1))
            throw py::value_error("o must have the shape of x");
    }
    for (std::size_t t = 1; t < T; ++t) {
        if (time_us.at(static_cast<py::ssize_t>(t)) <= time_us.at(static_cast<py::ssize_t>(t - 1)))
            throw py::value_error("time_us must be strictly increasing (frame " + std::to_string(t) + ")");
    }
    if (!(meas_sigma_yd > 0)) throw py::value_error("meas_sigma_yd must be > 0");
    FilterConfig cfg = is_ball ? ball_filter_config() : FilterConfig{};
    if (!is_ball) {
        cfg.max_speed_yps = max_speed_yps;
        cfg.jerk_psd = jerk_psd;
    }
    cfg.hold_time_s = hold_time_s;
    // The six float outputs are views of one [6, T, N] block: one allocation per call instead
    // of six (and one the allocator keeps for the next call of the same size).
    const auto Ts = static_cast<py::ssize_t>(T), Ns = static_cast<py::ssize_t>(N);
    py::array_t<double> block(std::vector<py::ssize_t>{6, Ts, Ns});
    py::array_t<uint16_t> oflags(std::vector<py::ssize_t>{Ts, Ns});
    uint64_t rejected;
    {
        const double* o_ptr = o_obj.is_none() ? nullptr : o.data();
        double* p = block.mutable_data();
        const std::size_t plane = T * N;
        uint16_t* pf = oflags.mutable_data();
        py::gil_scoped_release release;
        rejected = filter_tracks(time_us.data(), T, N, x.data(), y.data(), o_ptr, meas_sigma_yd,
                                 o_sigma_deg, cfg, p, p + plane, p + 2 * plane, p + 3 * plane,
                                 p + 4 * plane, p + 5 * plane, pf);
    }
    py::dict out;
    const char* names[6] = {"x", "y", "s", "a", "dir", "o"};
    for (py::ssize_t k = 0; k < 6; ++k) out[names[k]] = block[py::make_tuple(k)];
    out["flags"] = oflags;
    out["rejected"] = rejected;
    return out;
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
