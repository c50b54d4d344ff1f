// Checks the pair features against hand-computed values on a small synthetic frame.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "check.hpp"
#include "ghostedge/features.hpp"

namespace gf = ghostedge::features;

namespace {
int index_of(const char* name) {
    for (int k = 0; k < gf::kNumFeatures; ++k)
        if (std::strcmp(gf::feature_names()[k], name) == 0) return k;
    return -1;
}
}  // namespace

int main() {
    // 3 players: 0 defender, 1 receiver (offence), 2 another offensive player.
    const std::int64_t n = 3;
    double xy[gf::kHistory * 3 * 2];
    double o[gf::kHistory * 3];
    for (int k = 0; k < gf::kHistory; ++k) {
        const double t = k;  // frames t-2, t-1, t
        // defender moves +x at 5 yd/s: x = 50 + 0.5 t
        xy[(k * n + 0) * 2 + 0] = 50.0 + 0.5 * t;
        xy[(k * n + 0) * 2 + 1] = 20.0;
        // receiver accelerates along +y: y = 30 + 0.1 t^2
        xy[(k * n + 1) * 2 + 0] = 55.0;
        xy[(k * n + 1) * 2 + 1] = 30.0 + 0.1 * t * t;
        xy[(k * n + 2) * 2 + 0] = 60.0;
        xy[(k * n + 2) * 2 + 1] = 20.0;
        for (int p = 0; p < 3; ++p) o[k * n + p] = 90.0;  // facing +x
    }
    const double ball[6] = {40, 25, 41, 25, 42, 25};
    const std::uint8_t off[3] = {0, 1, 1};
    const double ctx[gf::kNumContext] = {2, 7, 45, 3, 600, -4};
    const std::int64_t defs[1] = {0};
    const std::int64_t recs[2] = {1, 0};  // second pair is the defender against himself: invalid
    float out[2 * gf::kNumFeatures];
    gf::FrameView f{xy, o, ball, off, n, ctx};

    const std::int64_t valid = gf::build_pair_features(f, defs, 1, recs, 2, {false, false}, out);
    CHECK(valid == 1);
    CHECK(index_of("def_vx") == gf::kDefVx && index_of("def_ay") == gf::kDefAy);
    CHECK_NEAR(out[index_of("def_vx")], 5.0, 1e-4);
    CHECK_NEAR(out[index_of("def_vy")], 0.0, 1e-4);
    CHECK_NEAR(out[index_of("def_o_x")], 1.0, 1e-6);
    CHECK_NEAR(out[index_of("def_o_dot_motion")], 1.0, 1e-6);
    CHECK_NEAR(out[index_of("tgt_rel_x")], 4.0, 1e-5);
    CHECK_NEAR(out[index_of("tgt_rel_y")], 10.4, 1e-5);
    CHECK_NEAR(out[index_of("tgt_vy")], 3.0, 1e-4);   // (0.4 - 0.1) / 0.1
    CHECK_NEAR(out[index_of("tgt_ay")], 20.0, 1e-3);  // 0.2 / 0.01
    CHECK_NEAR(out[index_of("ball_vx")], 10.0, 1e-4);
    CHECK_NEAR(out[index_of("nopp_dist")], 9.0, 1e-5);
    CHECK_NEAR(out[index_of("def_x_past_los")], 6.0, 1e-5);
    {  // the landing, estimated: the ball (42, 25) reaches the receiver (55, 30.4) after
        // 0.14 + 14.077 / 14.5 = 1.1108 s, the receiver moving +y at 3 yd/s until then
        const double t_land = gf::kFlightStartS + std::hypot(13.0, 5.4) / gf::kBallGroundSpeedYps;
        CHECK_NEAR(out[index_of("land_est_t_s")], t_land, 1e-5);
        CHECK_NEAR(out[index_of("land_est_rel_x")], 4.0, 1e-5);
        CHECK_NEAR(out[index_of("land_est_rel_y")], 10.4 + 3.0 * t_land, 1e-4);
        CHECK_NEAR(out[index_of("land_est_tgt_x")], 0.0, 1e-5);
        CHECK_NEAR(out[index_of("land_est_tgt_y")], 3.0 * t_land, 1e-4);
        CHECK(out[index_of("land_given")] == 0.0f);  // not given: those features are 0
        CHECK(out[index_of("land_rel_x")] == 0.0f && out[index_of("land_t_s")] == 0.0f);
        // given (one row per receiver; the second receiver's pair is invalid anyway)
        const double landing[2 * gf::kLandingColumns] = {70.0, 40.0, 2.0, 0.0, 0.0, 0.0};
        float given[2 * gf::kNumFeatures];
        CHECK(gf::build_pair_features(f, defs, 1, recs, 2, {false, false}, given, landing) == 1);
        CHECK_NEAR(given[index_of("land_rel_x")], 19.0, 1e-5);
        CHECK_NEAR(given[index_of("land_rel_y")], 20.0, 1e-5);
        CHECK_NEAR(given[index_of("land_tgt_x")], 15.0, 1e-5);
        CHECK_NEAR(given[index_of("land_tgt_y")], 9.6, 1e-5);
        CHECK_NEAR(given[index_of("land_dist")], std::hypot(19.0, 20.0), 1e-4);
        CHECK_NEAR(given[index_of("land_t_s")], 2.0, 1e-6);
        CHECK(given[index_of("land_given")] == 1.0f);
        CHECK(given[index_of("land_est_t_s")] == out[index_of("land_est_t_s")]);  // the estimate stays
        // a non-finite row is "not given": the estimate again
        const double unknown[2 * gf::kLandingColumns] = {70.0, std::numeric_limits<double>::quiet_NaN(), 2.0,
                                                         0.0, 0.0, 0.0};
        CHECK(gf::build_pair_features(f, defs, 1, recs, 2, {false, false}, given, unknown) == 1);
        for (int k = 0; k < gf::kNumFeatures; ++k) CHECK(given[k] == out[k]);
    }
    CHECK_NEAR(out[index_of("ctx_score_margin")], -4.0, 1e-6);
    CHECK(std::isnan(out[gf::kNumFeatures]));

    // Play going left: the model frame rotates 180 degrees, so velocities flip sign.
    float left[2 * gf::kNumFeatures];
    gf::build_pair_features(f, defs, 1, recs, 2, {true, false}, left);
    CHECK_NEAR(left[index_of("def_vx")], -5.0, 1e-4);
    CHECK_NEAR(left[index_of("tgt_rel_y")], -10.4, 1e-5);
    CHECK_NEAR(left[index_of("def_o_x")], -1.0, 1e-6);
    // Mirror in y: y components flip, x components stay.
    float mir[2 * gf::kNumFeatures];
    gf::build_pair_features(f, defs, 1, recs, 2, {false, true}, mir);
    CHECK_NEAR(mir[index_of("tgt_rel_y")], -10.4, 1e-5);
    CHECK_NEAR(mir[index_of("tgt_rel_x")], 4.0, 1e-5);
    CHECK_NEAR(mir[index_of("def_y")], gf::kFieldWidth - 20.0, 1e-4);

    // Ball tag lost at t: the pair is still scored, from the ball at t-1 and its velocity
    // from t-2 -> t-1. Lost at every frame: the ball sits at the target, not moving.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double ball_lost_t[6] = {40, 25, 41, 25, nan, nan};
    const gf::FrameView f_lost_t{xy, o, ball_lost_t, off, n, ctx};
    CHECK(gf::build_pair_features(f_lost_t, defs, 1, recs, 1, {false, false}, out) == 1);
    CHECK_NEAR(out[index_of("ball_vx")], 10.0, 1e-4);
    CHECK_NEAR(out[index_of("ball_rel_x")], 41.0 - 51.0, 1e-5);  // defender at x = 51 at t
    const double ball_lost[6] = {nan, nan, nan, nan, nan, nan};
    const gf::FrameView f_lost{xy, o, ball_lost, off, n, ctx};
    CHECK(gf::build_pair_features(f_lost, defs, 1, recs, 1, {false, false}, out) == 1);
    CHECK_NEAR(out[index_of("ball_vx")], 0.0, 1e-9);
    CHECK_NEAR(out[index_of("ball_to_tgt_dist")], 0.0, 1e-9);
    CHECK_NEAR(out[index_of("ball_rel_x")], out[index_of("tgt_rel_x")], 1e-6);

    // With only t-2..t supplied, the history features repeat the newest known step.
    CHECK_NEAR(out[index_of("def_o_known")], 1.0, 1e-9);
    CHECK(gf::build_pair_features(f, defs, 1, recs, 1, {false, false}, out) == 1);
    CHECK_NEAR(out[index_of("def_vx_m2")], 5.0, 1e-4);
    CHECK_NEAR(out[index_of("def_vx_m9")], 5.0, 1e-4);
    CHECK_NEAR(out[index_of("tgt_vy_m1")], 1.0, 1e-4);  // (0.1 - 0) / 0.1
    CHECK_NEAR(out[index_of("tgt_vy_m4")], 1.0, 1e-4);

    {  // Ten frames of history: the defender ran +y at 2 yd/s until t-2, then +x at 5 yd/s.
        constexpr int h = gf::kMaxHistory;
        double lxy[h * 3 * 2], lo[h * 3];
        const double lball[h * 2] = {};
        for (int k = 0; k < h; ++k) {
            const int back = h - 1 - k;  // frames before t
            lxy[(k * n + 0) * 2 + 0] = 50.0 + 0.5 * std::max(0, 2 - back);
            lxy[(k * n + 0) * 2 + 1] = 20.0 - 0.2 * std::max(0, back - 2);
            lxy[(k * n + 1) * 2 + 0] = 55.0 - 0.3 * back;  // target: +x at 3 yd/s
            lxy[(k * n + 1) * 2 + 1] = 30.0;
            lxy[(k * n + 2) * 2 + 0] = 60.0;
            lxy[(k * n + 2) * 2 + 1] = 20.0;
            for (int p = 0; p < 3; ++p) lo[k * n + p] = 90.0;
        }
        gf::FrameView lf{lxy, lo, lball, off, n, ctx, h};
        CHECK(gf::build_pair_features(lf, defs, 1, recs, 1, {false, false}, out) == 1);
        CHECK_NEAR(out[index_of("def_vx")], 5.0, 1e-4);
        CHECK_NEAR(out[index_of("def_vx_m2")], 0.0, 1e-4);  // step t-3 -> t-2
        CHECK_NEAR(out[index_of("def_vy_m2")], 2.0, 1e-4);
        CHECK_NEAR(out[index_of("def_vy_m9")], 2.0, 1e-4);
        CHECK_NEAR(out[index_of("tgt_vx_m4")], 3.0, 1e-4);
        // A gap at t-5 (and a mirrored frame): steps touching it repeat the newer one.
        lxy[((h - 1 - 5) * n + 0) * 2 + 0] = nan;
        lxy[((h - 1 - 5) * n + 0) * 2 + 1] = nan;
        CHECK(gf::build_pair_features(lf, defs, 1, recs, 1, {false, true}, out) == 1);
        CHECK_NEAR(out[index_of("def_vy_m4")], -2.0, 1e-4);  // t-5 -> t-4 missing: = m3
        CHECK_NEAR(out[index_of("def_vy_m5")], -2.0, 1e-4);
        CHECK_NEAR(out[index_of("def_vy_m6")], -2.0, 1e-4);  // t-7 -> t-6 known again
        // Too much or too little history is refused: every row NaN, nothing valid.
        lf.n_history = gf::kMaxHistory + 1;
        CHECK(gf::build_pair_features(lf, defs, 1, recs, 1, {false, false}, out) == 0);
        CHECK(std::isnan(out[0]));
        lf.n_history = gf::kHistory - 1;
        CHECK(gf::build_pair_features(lf, defs, 1, recs, 1, {false, false}, out) == 0);
    }
    {  // Unknown orientation at t: the facing features are NaN, never a direction.
        double o_unknown[gf::kHistory * 3];
        for (double& v : o_unknown) v = nan;
        const gf::FrameView fo{xy, o_unknown, ball, off, n, ctx};
        CHECK(gf::build_pair_features(fo, defs, 1, recs, 1, {false, false}, out) == 1);
        CHECK(std::isnan(out[index_of("def_o_x")]) && std::isnan(out[index_of("def_o_y")]));
        CHECK(std::isnan(out[index_of("def_o_dot_motion")]));
        CHECK(out[index_of("def_o_known")] == 0.0f);
        CHECK_NEAR(out[index_of("def_vx")], 5.0, 1e-4);  // the rest is unaffected
    }

    // A missing frame of the defender invalidates his rows.
    xy[(0 * n + 0) * 2 + 0] = std::numeric_limits<double>::quiet_NaN();
    CHECK(gf::build_pair_features(f, defs, 1, recs, 1, {false, false}, out) == 0);
    CHECK(std::isnan(out[0]));
    // Out-of-range indices are rejected, not read.
    const std::int64_t bad[1] = {7};
    CHECK(gf::build_pair_features(f, bad, 1, recs, 1, {false, false}, out) == 0);

    {  // model input selection: chosen columns in order; a row with a NaN among them is zeroed
        std::vector<float> feats(3 * gf::kNumFeatures);
        for (std::size_t i = 0; i < feats.size(); ++i) feats[i] = static_cast<float>(i);
        feats[1 * gf::kNumFeatures + 4] = std::numeric_limits<float>::quiet_NaN();  // used column
        feats[2 * gf::kNumFeatures + 5] = std::numeric_limits<float>::quiet_NaN();  // unused one
        const std::int64_t cols[3] = {4, 0, 48};
        float inputs[3 * 3];
        std::uint8_t row_valid[3];
        CHECK(gf::select_model_inputs(feats.data(), 3, cols, 3, inputs, row_valid) == 2);
        CHECK(row_valid[0] == 1 && row_valid[1] == 0 && row_valid[2] == 1);
        CHECK(inputs[0] == 4.0f && inputs[1] == 0.0f && inputs[2] == 48.0f);
        CHECK(inputs[3] == 0.0f && inputs[4] == 0.0f && inputs[5] == 0.0f);
        CHECK(inputs[6] == static_cast<float>(2 * gf::kNumFeatures + 4));
        const std::int64_t out_of_range[1] = {gf::kNumFeatures};
        CHECK(gf::select_model_inputs(feats.data(), 3, out_of_range, 1, inputs, row_valid) == 0);
    }
    {  // model outputs back to field yards: start + displacement * axis signs; NaN when invalid
        constexpr std::int64_t nd = 2, nr = 1, hmax = 3, h = 2;
        float mean[nd * nr * hmax * 2], sigma[nd * nr * hmax * 2];
        for (int i = 0; i < nd * nr * hmax * 2; ++i) mean[i] = 0.5f * static_cast<float>(i + 1), sigma[i] = 0.25f;
        const double start[nd * 2] = {30.0, 20.0, 60.0, 10.0};
        const std::uint8_t pair_valid[nd * nr] = {1, 0};
        double mo[nd * nr * h * 2], so[nd * nr * h * 2];
        gf::model_outputs_to_field(mean, sigma, hmax, pair_valid, start, nd, nr, h, {true, false}, mo, so);
        CHECK(mo[0] == 30.0 - 0.5 && mo[1] == 20.0 - 1.0);  // play left: both axes flipped
        CHECK(mo[2] == 30.0 - 1.5 && mo[3] == 20.0 - 2.0);
        CHECK(so[0] == 0.25 && so[3] == 0.25);
        for (int k = 4; k < 8; ++k) CHECK(std::isnan(mo[k]) && std::isnan(so[k]));
        gf::model_outputs_to_field(mean, sigma, hmax, pair_valid, start, nd, nr, h, {false, false}, mo, so);
        CHECK(mo[0] == 30.5 && mo[1] == 21.0);
    }
    return check::finish();
}
