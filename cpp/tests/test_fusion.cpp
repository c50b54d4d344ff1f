// Fusion geometry: NGS orientation convention, midpoint, single-tag fallback, read gating.
#include <cmath>
#include <vector>

#include "check.hpp"
#include "ghostedge/fusion.hpp"

using namespace ghostedge;

namespace {
TagRead read(int64_t t, uint32_t tag, double x, double y) {
    return TagRead{t, tag, static_cast<float>(x), static_cast<float>(y), 1.6f, 200};
}
}  // namespace

int main() {
    // Convention: o = 0 faces +y, so the right shoulder is at +x; o = 90 faces +x, right at -y.
    double ux, uy;
    right_shoulder_unit(0.0, ux, uy);
    CHECK_NEAR(ux, 1.0, 1e-12);
    CHECK_NEAR(uy, 0.0, 1e-12);
    right_shoulder_unit(90.0, ux, uy);
    CHECK_NEAR(ux, 0.0, 1e-12);
    CHECK_NEAR(uy, -1.0, 1e-12);
    CHECK_NEAR(orientation_from_shoulders(1, 0), 0.0, 1e-9);
    CHECK_NEAR(orientation_from_shoulders(0, -1), 90.0, 1e-9);
    CHECK_NEAR(orientation_from_shoulders(-1, 0), 180.0, 1e-9);
    CHECK_NEAR(orientation_from_shoulders(0, 1), 270.0, 1e-9);
    for (double o = 0; o < 360; o += 15) {
        right_shoulder_unit(o, ux, uy);
        CHECK_NEAR(orientation_from_shoulders(ux, uy), o, 1e-9);
    }

    const FusionConfig cfg;
    const double hw = cfg.shoulder_half_width_yd;

    // Both shoulders of a player at (50, 20) facing o = 30: midpoint and orientation.
    {
        TrackFilter track;  // no track yet: acquisition by median
        right_shoulder_unit(30.0, ux, uy);
        std::vector<TagRead> left, right;
        for (int k = 0; k < 3; ++k) {
            left.push_back(read(1000 + 40000 * k, 10, 50 - hw * ux, 20 - hw * uy));
            right.push_back(read(1000 + 40000 * k + 5000, 11, 50 + hw * ux, 20 + hw * uy));
        }
        std::vector<ReadVerdict> vl(3), vr(3);
        const FusedPlayer f = fuse_player(left.data(), 3, right.data(), 3, track, cfg, vl.data(), vr.data());
        CHECK(f.valid && !f.single_tag && f.n_accepted == 6 && f.n_rejected == 0);
        CHECK_NEAR(f.m.x, 50.0, 1e-5);
        CHECK_NEAR(f.m.y, 20.0, 1e-5);
        CHECK(f.m.has_o);
        CHECK_NEAR(f.m.o_deg, 30.0, 1e-3);
        CHECK(f.m.time_us == 43500);  // mean of the two shoulders' mean blink times
    }

    // A gross outlier among the reads is rejected when acquiring (median test).
    {
        TrackFilter track;
        std::vector<TagRead> left = {read(1000, 10, 49.75, 20), read(41000, 10, 49.75, 20), read(81000, 10, 52.75, 20)};
        std::vector<TagRead> right = {read(2000, 11, 50.25, 20), read(42000, 11, 50.25, 20)};
        std::vector<ReadVerdict> vl(3), vr(2);
        const FusedPlayer f = fuse_player(left.data(), 3, right.data(), 2, track, cfg, vl.data(), vr.data());
        CHECK(vl[2] == ReadVerdict::kGated && vl[0] == ReadVerdict::kAccepted);
        CHECK(f.n_rejected == 1);
        CHECK_NEAR(f.m.x, 50.0, 1e-5);
    }

    // With a track: single-tag fallback offsets along the last known orientation; a read far
    // from the predicted spot is gated; an off-field read is rejected as such.
    {
        TrackFilter track;
        Measurement m{0, 60.0, 30.0, 1e-4, true, 90.0, 4.0};  // facing +x
        track.step(0, &m);
        track.step(100000, &m);
        // Only the left tag: facing +x, the left shoulder is at +y of the centre.
        std::vector<TagRead> left = {read(120000, 10, 60.0, 30.0 + hw), read(160000, 10, 60.0, 30.0 + hw),
                                     read(170000, 10, 64.0, 30.0), read(180000, 10, 60.0, 200.0)};
        std::vector<ReadVerdict> vl(4);
        const FusedPlayer f = fuse_player(left.data(), 4, nullptr, 0, track, cfg, vl.data(), nullptr);
        CHECK(f.valid && f.single_tag);
        CHECK(vl[0] == ReadVerdict::kAccepted && vl[1] == ReadVerdict::kAccepted);
        CHECK(vl[2] == ReadVerdict::kGated);
        CHECK(vl[3] == ReadVerdict::kOffField);
        CHECK_NEAR(f.m.x, 60.0, 1e-4);
        CHECK_NEAR(f.m.y, 30.0, 1e-4);
        CHECK(!f.m.has_o);
        CHECK(f.m.time_us == 140000);
    }

    // No reads at all: no measurement.
    {
        TrackFilter track;
        const FusedPlayer f = fuse_player(nullptr, 0, nullptr, 0, track, cfg, nullptr, nullptr);
        CHECK(!f.valid && f.n_accepted == 0);
    }
    return check::finish();
}
