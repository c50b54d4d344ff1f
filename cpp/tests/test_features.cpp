// Checks the pair features against hand-computed values on a small synthetic frame.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

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

    // A missing frame of the defender invalidates his rows.
    xy[(0 * n + 0) * 2 + 0] = std::numeric_limits<double>::quiet_NaN();
    CHECK(gf::build_pair_features(f, defs, 1, recs, 1, {false, false}, out) == 0);
    CHECK(std::isnan(out[0]));
    // Out-of-range indices are rejected, not read.
    const std::int64_t bad[1] = {7};
    CHECK(gf::build_pair_features(f, bad, 1, recs, 1, {false, false}, out) == 0);
    return check::finish();
}
