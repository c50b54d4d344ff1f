// Bindings of the offline two-sided smoother (ghostedge/smoother.hpp): a whole capture through
// decode -> fuse -> causal filter -> smoother, and the batch form over [T, N] tracks. Outputs
// are numpy arrays the C++ writes into directly; the GIL is released around the C++ work.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "batch_args.hpp"
#include "ghostedge/smoother.hpp"

namespace py = pybind11;
using namespace ghostedge;
using namespace ghostedge_bindings;

namespace {

// The two-sided pass's configuration: SmootherConfig's defaults unless given.
SmootherConfig smoother_config(const py::object& jerk_psd, const py::object& orientation_rate_psd) {
    SmootherConfig s;
    if (!jerk_psd.is_none()) s.player_jerk_psd = s.ball_jerk_psd = jerk_psd.cast<double>();
    if (!orientation_rate_psd.is_none()) s.orientation_rate_psd = orientation_rate_psd.cast<double>();
    return s;
}

py::dict smooth_tracks_py(const CArray<int64_t>& time_us, const CArray<double>& x,
                          const CArray<double>& y, const py::object& o_obj, double meas_sigma_yd,
                          double o_sigma_deg, bool is_ball, double max_speed_yps, double jerk_psd,
                          double hold_time_s, const py::object& smoother_jerk_psd,
                          const py::object& smoother_orientation_rate_psd) {
    const SmootherConfig scfg = smoother_config(smoother_jerk_psd, smoother_orientation_rate_psd);
    return run_track_batch(time_us, x, y, o_obj, meas_sigma_yd, is_ball, max_speed_yps, jerk_psd,
                           hold_time_s, [&](const TrackArrays& a, const FilterConfig& cfg, double** f, uint16_t* pf) {
        return smooth_tracks(a.time_us.data(), a.T, a.N, a.x.data(), a.y.data(),
                             a.has_o ? a.o.data() : nullptr, meas_sigma_yd, o_sigma_deg, cfg,
                             scfg, f[0], f[1], f[2], f[3], f[4], f[5], pf);
    });
}

py::dict smooth_capture_py(const TagRegistry& registry, const py::object& data,
                           const py::object& ticks_obj, double rate_hz, double read_sigma_yd,
                           double shoulder_half_width_yd, double read_gate_yd,
                           double max_speed_yps, double jerk_psd, double hold_time_s,
                           std::size_t read_buffer_capacity, double delay_s,
                           double player_smoother_jerk_psd, double ball_smoother_jerk_psd,
                           double smoother_orientation_rate_psd, bool causal) {
    const PipelineConfig cfg = pipeline_config(rate_hz, read_sigma_yd, shoulder_half_width_yd,
                                               read_gate_yd, max_speed_yps, jerk_psd, hold_time_s,
                                               read_buffer_capacity, delay_s);
    SmootherConfig scfg;
    scfg.player_jerk_psd = player_smoother_jerk_psd;
    scfg.ball_jerk_psd = ball_smoother_jerk_psd;
    scfg.orientation_rate_psd = smoother_orientation_rate_psd;
    CaptureSmoother smoother(registry, cfg, scfg);  // std::invalid_argument -> ValueError

    // The capture: a READ_DTYPE array of decoded reads, or any buffer of packet bytes.
    using ReadArray = py::array_t<TagRead, py::array::c_style>;
    if (py::isinstance<py::array>(data) && ReadArray::check_(data)) {
        const auto reads = py::reinterpret_borrow<ReadArray>(data);
        if (reads.ndim() != 1) throw py::value_error("reads must be a 1-D array of READ_DTYPE");
        py::gil_scoped_release release;
        smoother.load_reads(reads.data(), static_cast<std::size_t>(reads.shape(0)));
    } else {
        Py_buffer view{};
        if (PyObject_GetBuffer(data.ptr(), &view, PyBUF_C_CONTIGUOUS) != 0)
            throw py::type_error("data must be packet bytes (a buffer) or a READ_DTYPE array of reads");
        struct Release {
            Py_buffer* v;
            ~Release() { PyBuffer_Release(v); }
        } release_view{&view};
        if (view.itemsize != 1)
            throw py::value_error("data must be a buffer of bytes (itemsize 1), got itemsize " +
                                  std::to_string(view.itemsize));
        py::gil_scoped_release release;
        smoother.load(static_cast<const uint8_t*>(view.buf), static_cast<std::size_t>(view.len));
    }

    CArray<int64_t> ticks;
    if (ticks_obj.is_none()) {
        const auto& reads = smoother.reads();
        std::vector<int64_t> grid;
        if (!reads.empty()) grid = tick_grid(reads.front().time_us, reads.back().time_us, rate_hz);
        ticks = CArray<int64_t>(static_cast<py::ssize_t>(grid.size()), grid.data());
    } else {
        ticks = ticks_obj.cast<CArray<int64_t>>();
        if (ticks.ndim() != 1) throw py::value_error("tick_times_us must be 1-D");
    }
    const auto T = static_cast<std::size_t>(ticks.shape(0));
    const auto rows = smoother.n_rows();
    const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(T), static_cast<py::ssize_t>(rows)};
    const char* float_names[] = {"x", "y", "s", "a", "dir", "o", "raw_x", "raw_y"};
    std::vector<py::array_t<double>> fields;
    for (std::size_t k = 0; k < 8; ++k) fields.emplace_back(shape);
    py::array_t<uint16_t> flags(shape);
    py::array_t<int64_t> raw_time(shape);
    std::vector<py::array_t<double>> causal_fields;
    py::array_t<uint16_t> causal_flags;
    CaptureOutputs out;
    double** float_ptrs[] = {&out.x, &out.y, &out.s, &out.a, &out.dir, &out.o, &out.raw_x, &out.raw_y};
    for (std::size_t k = 0; k < 8; ++k) *float_ptrs[k] = fields[k].mutable_data();
    out.flags = flags.mutable_data();
    out.raw_time_us = raw_time.mutable_data();
    if (causal) {
        for (std::size_t k = 0; k < 6; ++k) causal_fields.emplace_back(shape);
        causal_flags = py::array_t<uint16_t>(shape);
        double** causal_ptrs[] = {&out.causal_x, &out.causal_y, &out.causal_s, &out.causal_a,
                                  &out.causal_dir, &out.causal_o};
        for (std::size_t k = 0; k < 6; ++k) *causal_ptrs[k] = causal_fields[k].mutable_data();
        out.causal_flags = causal_flags.mutable_data();
    }
    {
        const int64_t* t = ticks.data();
        py::gil_scoped_release release;
        smoother.run(t, T, out);  // std::invalid_argument (tick order) -> ValueError
    }

    py::dict d;
    d["time_us"] = ticks;
    for (std::size_t k = 0; k < 8; ++k) d[float_names[k]] = fields[k];
    d["flags"] = flags;
    d["raw_time_us"] = raw_time;
    if (causal) {
        py::dict c;
        for (std::size_t k = 0; k < 6; ++k) c[float_names[k]] = causal_fields[k];
        c["flags"] = causal_flags;
        d["causal"] = c;
    }
    d["counters"] = counters_dict(smoother.counters(), smoother.decode_stats());
    d["counters"]["reads_after_last_tick"] = smoother.reads_after_last_tick();
    const auto& rej = smoother.rejected_reads();
    const auto nr = static_cast<py::ssize_t>(rej.size());
    py::array_t<int64_t> rt(nr);
    py::array_t<uint32_t> rtag(nr);
    py::array_t<uint8_t> rreason(nr);
    for (py::ssize_t i = 0; i < nr; ++i) {
        const RejectedRead& e = rej[static_cast<std::size_t>(i)];
        rt.mutable_at(i) = e.time_us;
        rtag.mutable_at(i) = e.tag_id;
        rreason.mutable_at(i) = static_cast<uint8_t>(e.reason);
    }
    d["rejected_reads"] = py::make_tuple(rt, rtag, rreason);
    return d;
}

}  // namespace

void bind_smoother(py::module_& m) {
    m.def("smooth_tracks", &smooth_tracks_py, py::arg("time_us"), py::arg("x"), py::arg("y"),
          py::arg("o") = py::none(), py::arg("meas_sigma_yd") = 0.03, py::arg("o_sigma_deg") = 5.0,
          py::arg("is_ball") = false, py::arg("max_speed_yps") = FilterConfig{}.max_speed_yps,
          py::arg("jerk_psd") = FilterConfig{}.jerk_psd, py::arg("hold_time_s") = FilterConfig{}.hold_time_s,
          py::arg("smoother_jerk_psd") = py::none(), py::arg("smoother_orientation_rate_psd") = py::none(),
          "filter_tracks followed by a two-sided (Rauch-Tung-Striebel) pass over every track; same "
          "arguments and outputs. smoother_*: process noise of the two-sided pass (None: the "
          "smoother's defaults; <= 0: the filter's own).");
    m.def("smooth_capture", &smooth_capture_py, py::arg("registry"), py::arg("data"),
          py::arg("tick_times_us") = py::none(), GHOSTEDGE_PIPELINE_KWARGS,
          py::arg("player_smoother_jerk_psd") = SmootherConfig{}.player_jerk_psd,
          py::arg("ball_smoother_jerk_psd") = SmootherConfig{}.ball_jerk_psd,
          py::arg("smoother_orientation_rate_psd") = SmootherConfig{}.orientation_rate_psd,
          py::arg("causal") = false,
          "A whole capture (packet bytes, or a READ_DTYPE array of reads) through decode -> fuse -> "
          "causal filter (the live pipeline's code) -> two-sided smoother; returns a dict of "
          "[T, n_players + 1] arrays (players, then the ball), time_us, counters and rejected_reads "
          "(and the causal filter's own outputs under 'causal' with causal=True).");
}
