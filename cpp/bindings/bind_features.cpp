// Binding for the per-pair model features (ghostedge/features.hpp): numpy in without copies,
// an optional preallocated output, the GIL released around the C++ work.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "ghostedge/features.hpp"

namespace py = pybind11;
namespace gf = ghostedge::features;

namespace {

template <typename T>
using carray = py::array_t<T, py::array::c_style>;

void require_shape(const py::array& a, std::initializer_list<py::ssize_t> shape, const char* name) {
    bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
    py::ssize_t k = 0;
    for (auto s : shape) ok = ok && a.shape(k++) == s;
    if (!ok) {
        std::string want = "(";
        for (auto s : shape) want += std::to_string(s) + ",";
        want.back() = ')';
        throw py::value_error(std::string(name) + ": expected shape " + want + ", got ndim " +
                              std::to_string(a.ndim()));
    }
}

// Accept only arrays that already have the right dtype and layout, so nothing is copied.
template <typename T>
carray<T> exact(const py::handle& obj, const char* name) {
    if (!carray<T>::check_(obj))
        throw py::value_error(std::string(name) + ": expected a C-contiguous numpy array of " +
                              py::str(py::dtype::of<T>()).cast<std::string>());
    return py::reinterpret_borrow<carray<T>>(obj);
}

py::tuple build_pair_features(const py::handle& xy_obj, const py::handle& o_obj,
                              const py::handle& ball_obj, const py::handle& off_obj,
                              const py::handle& ctx_obj, const py::handle& def_obj,
                              const py::handle& rec_obj, bool play_left, bool mirror_y,
                              py::object out_obj, py::object landing_obj) {
    auto xy = exact<double>(xy_obj, "xy_hist");
    if (xy.ndim() != 3 || xy.shape(0) < gf::kHistory || xy.shape(0) > gf::kMaxHistory)
        throw py::value_error("xy_hist: expected shape (H, N, 2) with " +
                              std::to_string(gf::kHistory) + " <= H <= " +
                              std::to_string(gf::kMaxHistory));
    const py::ssize_t h = xy.shape(0), n = xy.shape(1);
    require_shape(xy, {h, n, 2}, "xy_hist");
    auto o = exact<double>(o_obj, "o_hist");
    require_shape(o, {h, n}, "o_hist");
    auto ball = exact<double>(ball_obj, "ball_hist");
    require_shape(ball, {h, 2}, "ball_hist");
    auto off = exact<std::uint8_t>(off_obj, "is_offense");
    require_shape(off, {n}, "is_offense");
    auto ctx = exact<double>(ctx_obj, "context");
    require_shape(ctx, {gf::kNumContext}, "context");
    auto defs = exact<std::int64_t>(def_obj, "defenders");
    if (defs.ndim() != 1) throw py::value_error("defenders: expected a 1-d int64 array");
    auto recs = exact<std::int64_t>(rec_obj, "receivers");
    if (recs.ndim() != 1) throw py::value_error("receivers: expected a 1-d int64 array");
    const py::ssize_t nd = defs.shape(0), nr = recs.shape(0);

    carray<float> out;
    if (out_obj.is_none()) {
        out = carray<float>({nd, nr, static_cast<py::ssize_t>(gf::kNumFeatures)});
    } else {
        out = exact<float>(out_obj, "out");
        require_shape(out, {nd, nr, gf::kNumFeatures}, "out");
        if (!out.writeable()) throw py::value_error("out: array is read-only");
    }

    // Optional: where and when the ball thrown to each receiver lands (else estimated).
    carray<double> landing;
    if (!landing_obj.is_none()) {
        landing = exact<double>(landing_obj, "landing");
        require_shape(landing, {nr, gf::kLandingColumns}, "landing");
    }
    const double* lp = landing_obj.is_none() ? nullptr : landing.data();

    gf::FrameView frame;
    frame.xy = xy.data();
    frame.orientation = o.data();
    frame.ball = ball.data();
    frame.is_offense = off.data();
    frame.n_players = n;
    frame.context = ctx.data();
    frame.n_history = h;
    const std::int64_t* dp = defs.data();
    const std::int64_t* rp = recs.data();
    float* op = out.mutable_data();
    std::int64_t n_valid = 0;
    {
        py::gil_scoped_release release;
        n_valid = gf::build_pair_features(frame, dp, nd, rp, nr, {play_left, mirror_y}, op, lp);
    }
    return py::make_tuple(out, n_valid);
}

std::int64_t select_model_inputs(const py::handle& features_obj, const py::handle& columns_obj,
                                 const py::handle& inputs_obj, const py::handle& valid_obj) {
    auto features = exact<float>(features_obj, "features");
    if (features.ndim() < 1 || features.shape(features.ndim() - 1) != gf::kNumFeatures)
        throw py::value_error("features: expected shape (..., " + std::to_string(gf::kNumFeatures) + ")");
    const py::ssize_t rows = features.size() / gf::kNumFeatures;
    auto columns = exact<std::int64_t>(columns_obj, "columns");
    if (columns.ndim() != 1) throw py::value_error("columns: expected a 1-d int64 array");
    const py::ssize_t n_columns = columns.shape(0);
    for (py::ssize_t j = 0; j < n_columns; ++j)
        if (columns.data()[j] < 0 || columns.data()[j] >= gf::kNumFeatures)
            throw py::value_error("columns: index outside 0.." + std::to_string(gf::kNumFeatures - 1));
    auto inputs = exact<float>(inputs_obj, "inputs");
    require_shape(inputs, {rows, n_columns}, "inputs");
    auto valid = exact<std::uint8_t>(valid_obj, "valid");
    require_shape(valid, {rows}, "valid");
    if (!inputs.writeable() || !valid.writeable()) throw py::value_error("inputs/valid: read-only");
    const float* fp = features.data();
    const std::int64_t* cp = columns.data();
    float* ip = inputs.mutable_data();
    std::uint8_t* vp = valid.mutable_data();
    py::gil_scoped_release release;
    return gf::select_model_inputs(fp, rows, cp, n_columns, ip, vp);
}

void model_outputs_to_field(const py::handle& mean_obj, const py::handle& sigma_obj,
                            const py::handle& valid_obj, const py::handle& start_obj,
                            py::ssize_t horizon, bool play_left, bool mirror_y,
                            const py::handle& mean_out_obj, const py::handle& sigma_out_obj) {
    auto start = exact<double>(start_obj, "start_xy");
    if (start.ndim() != 2) throw py::value_error("start_xy: expected shape (D, 2)");
    const py::ssize_t nd = start.shape(0);
    require_shape(start, {nd, 2}, "start_xy");
    auto mean_out = exact<double>(mean_out_obj, "mean_out");
    if (mean_out.ndim() != 4) throw py::value_error("mean_out: expected shape (D, R, H, 2)");
    const py::ssize_t nr = mean_out.shape(1);
    require_shape(mean_out, {nd, nr, horizon, 2}, "mean_out");
    auto sigma_out = exact<double>(sigma_out_obj, "sigma_out");
    require_shape(sigma_out, {nd, nr, horizon, 2}, "sigma_out");
    auto mean = exact<float>(mean_obj, "mean_model");
    if (mean.ndim() != 3) throw py::value_error("mean_model: expected shape (D*R, H_max, 2)");
    const py::ssize_t horizon_max = mean.shape(1);
    require_shape(mean, {nd * nr, horizon_max, 2}, "mean_model");
    auto sigma = exact<float>(sigma_obj, "sigma_model");
    require_shape(sigma, {nd * nr, horizon_max, 2}, "sigma_model");
    auto valid = exact<std::uint8_t>(valid_obj, "valid");
    require_shape(valid, {nd * nr}, "valid");
    if (horizon < 1 || horizon > horizon_max)
        throw py::value_error("horizon must be 1.." + std::to_string(horizon_max));
    if (!mean_out.writeable() || !sigma_out.writeable())
        throw py::value_error("mean_out/sigma_out: read-only");
    const float* mp = mean.data();
    const float* sp = sigma.data();
    const std::uint8_t* vp = valid.data();
    const double* st = start.data();
    double* mo = mean_out.mutable_data();
    double* so = sigma_out.mutable_data();
    py::gil_scoped_release release;
    gf::model_outputs_to_field(mp, sp, horizon_max, vp, st, nd, nr, horizon, {play_left, mirror_y},
                               mo, so);
}

}  // namespace

void bind_features(py::module_& m) {
    m.attr("FEATURE_HISTORY") = gf::kHistory;
    m.attr("FEATURE_MAX_HISTORY") = gf::kMaxHistory;
    m.attr("FEATURE_NUM_CONTEXT") = gf::kNumContext;
    py::dict landing;  // the builder's landing estimate (features.hpp), for tools/flight_time_fit.py
    landing["flight_start_s"] = gf::kFlightStartS;
    landing["ball_ground_speed_yps"] = gf::kBallGroundSpeedYps;
    landing["min_flight_s"] = gf::kMinFlightS;
    landing["max_flight_s"] = gf::kMaxFlightS;
    m.attr("FEATURE_LANDING_ESTIMATE") = landing;
    py::list names;
    for (int k = 0; k < gf::kNumFeatures; ++k) names.append(gf::feature_names()[k]);
    m.attr("FEATURE_NAMES") = py::tuple(names);
    m.def("build_pair_features", &build_pair_features, py::arg("xy_hist"), py::arg("o_hist"),
          py::arg("ball_hist"), py::arg("is_offense"), py::arg("context"), py::arg("defenders"),
          py::arg("receivers"), py::arg("play_left") = false, py::arg("mirror_y") = false,
          py::arg("out") = py::none(), py::arg("landing") = py::none(),
          "Model features for every defender x receiver pair of one frame.\n\n"
          "xy_hist float64 [H,N,2] (frames t-H+1..t, 3 <= H <= 11, raw field yards, NaN =\n"
          "missing), o_hist float64 [H,N] degrees (NaN = unknown), ball_hist float64 [H,2],\n"
          "is_offense uint8 [N], context float64 [6] (model frame), defenders/receivers int64\n"
          "player indices; landing float64 [R,3] (raw field x, y, seconds after t where the\n"
          "ball thrown to each receiver lands; None or a NaN row: estimated). Returns (out\n"
          "float32 [D,R,F], n_valid); invalid pairs are rows of NaN. Pass `out` to avoid\n"
          "allocation.");
    m.def("select_model_inputs", &select_model_inputs, py::arg("features"), py::arg("columns"),
          py::arg("inputs"), py::arg("valid"),
          "Model input rows from pair features float32 [..., F]: inputs float32 [B, C] =\n"
          "features[:, columns]; rows with a non-finite selected value are zeroed and get\n"
          "valid uint8 [B] = 0. Writes into the given arrays; returns the number of valid rows.");
    m.def("model_outputs_to_field", &model_outputs_to_field, py::arg("mean_model"),
          py::arg("sigma_model"), py::arg("valid"), py::arg("start_xy"), py::arg("horizon"),
          py::arg("play_left"), py::arg("mirror_y"), py::arg("mean_out"), py::arg("sigma_out"),
          "Model outputs float32 [D*R, H_max, 2] (model-frame displacement, sigma) -> raw field\n"
          "yards float64 [D, R, H, 2] in mean_out / sigma_out: start_xy[d] + displacement * axis\n"
          "signs, and sigma; NaN where valid uint8 [D*R] is 0 or the start is not finite.");
}
