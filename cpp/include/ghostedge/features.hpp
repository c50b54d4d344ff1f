// Per-pair model features: for every defender x receiver pair of one frame, a fixed vector of
// candidate features built from the positions (and orientation) of all players and the ball at
// frames t-2, t-1, t, plus the defender's and the target's velocities over up to
// kMaxHistory frames (t-10 .. t) when the caller supplies them, plus the throw to the receiver:
// where and when the ball lands (given by the caller, else estimated here). Velocities and
// accelerations come from position differences only; the provider's speed/direction columns are
// never read.
//
// Frame of reference: the "model frame" - the offence always moves toward +x (plays going left
// are rotated 180 degrees about the field centre) and, for augmentation, optionally mirrored in
// y. The feature order is fixed; feature_names() lists it and the shipped model stores the names
// it uses, so a layout change is detected when the model is loaded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ghostedge/constants.hpp"

namespace ghostedge::features {

constexpr int kHistory = 3;          // frames every pair needs: t-2, t-1, t
constexpr int kMaxHistory = 11;      // frames the history features read: t-10 .. t
constexpr int kDefHistorySteps = 8;  // def_v{x,y}_m2 .. _m9: the defender's older steps
constexpr int kTgtHistorySteps = 4;  // tgt_v{x,y}_m1 .. _m4: the target's
static_assert(kMaxHistory >= kDefHistorySteps + 2 && kMaxHistory >= kTgtHistorySteps + 2,
              "a history step j reads frames t-j-1 and t-j");
constexpr int kNumContext = 6;       // see ContextIndex
constexpr int kNumLandingFeatures = 13;  // land_rel_x .. land_given, land_est_rel_x .. land_est_t_s
constexpr int kNumFeatures =
    50 + 2 * (kDefHistorySteps + kTgtHistorySteps) + kNumLandingFeatures;  // see feature_names()
using ghostedge::kFieldLength;
using ghostedge::kFieldWidth;
using ghostedge::kFrameDt;
constexpr double kGoalLineX = 110.0;  // the goal line the offence attacks, in the model frame
constexpr double kNoNeighbourDist = 60.0;  // distance reported when no such player exists

// The throw's landing point when the caller gives none (live, counterfactual receivers): the
// ball reaches the receiver kFlightStartS + |receiver - ball| / kBallGroundSpeedYps seconds
// after t, clamped to kMinFlightS..kMaxFlightS, and he keeps his velocity (his last step)
// until then. Fitted by least squares on every in-flight frame of the shared NGS data
// (highlights and complete games; tools/flight_time_fit.py, which today fits 0.076 s and
// 13.78 yd/s for the same median error: the loader has since taken some arrivals from the ball
// and dropped ball tracks that did not follow the throw): median landing error 3.6 yd at the
// throw, 1.8 yd from half a second into the flight (highlights 4.0 / 1.7 yd, complete games
// 3.2 / 2.2 yd, with `--data DIR`; the games alone would fit 0.01 s, 16.7 yd/s: 2.6 / 2.1 yd).
constexpr double kFlightStartS = 0.14;
constexpr double kBallGroundSpeedYps = 14.5;
constexpr double kMinFlightS = 0.1;
constexpr double kMaxFlightS = 5.0;
constexpr int kLandingColumns = 3;  // a given landing row: raw field x, y (yd), seconds after t

// Play context vector, in the model frame (line of scrimmage already flipped for plays going left).
enum ContextIndex : int {
    kDown = 0,
    kYardsToGo = 1,
    kLineOfScrimmageX = 2,
    kQuarter = 3,
    kGameClockSeconds = 4,
    kOffenseScoreMargin = 5,
};

// Feature indices the model graph relies on (its physics prior reads the defender's kinematics).
enum FeatureIndex : int {
    kDefVx = 0,
    kDefVy = 1,
    kDefAx = 2,
    kDefAy = 3,
};

// Names of the kNumFeatures features, in output order.
const char* const* feature_names();

// One frame's inputs; all arrays C-contiguous, owned by the caller. H = n_history frames,
// oldest first, the last one is t (kHistory <= H <= kMaxHistory).
struct FrameView {
    const double* xy = nullptr;           // [H, n_players, 2] raw field yards, NaN = missing
    const double* orientation = nullptr;  // [H, n_players] degrees, NaN = unknown
    const double* ball = nullptr;         // [H, 2] raw field yards
    const std::uint8_t* is_offense = nullptr;  // [n_players] 1 = offence, 0 = defence
    std::int64_t n_players = 0;
    const double* context = nullptr;      // [kNumContext], model frame
    std::int64_t n_history = kHistory;    // H
};

struct Orientation {
    bool play_left = false;  // raw data has the offence moving toward -x
    bool mirror_y = false;   // mirror the model frame in y (augmentation)
};

// Fills out[(i * n_receivers + j) * kNumFeatures + k] for defender i and receiver j (indices
// into the player axis). landing: nullptr, or [n_receivers, kLandingColumns] - where and when
// the ball thrown to receiver j lands (raw field x, y in yd, seconds after t); a null pointer
// or a row with a non-finite value means "not given": the given-landing features are then 0
// and land_given is 0. The land_est_* features always hold the estimate above. A pair whose
// defender or receiver lacks any of the frames t-2..t, whose indices are out of range, or
// whose defender is the receiver gets a row of NaN; so does every pair when n_history is
// outside kHistory..kMaxHistory. A missing ball does not void a pair:
// its features use the latest known ball position of t-2..t (velocity from the latest two
// consecutive known frames, else zero), or, with no ball at all, the target receiver's position
// and zero velocity. Older history does not void a pair either: a step velocity whose frames
// are missing or older than the history supplied repeats the next newer step (the player is
// taken to have kept his velocity). An unknown orientation at t is never a number: the three
// facing features are NaN (a model reading them cannot score the pair) and def_o_known is 0.
// Returns the number of valid rows. Never allocates, never throws.
std::int64_t build_pair_features(const FrameView& frame, const std::int64_t* defenders,
                                 std::int64_t n_defenders, const std::int64_t* receivers,
                                 std::int64_t n_receivers, Orientation orient, float* out,
                                 const double* landing = nullptr) noexcept;

// Model input rows from pair features [n_rows, kNumFeatures]: inputs[b, j] =
// features[b, columns[j]] for the n_columns columns the model reads. A row with a non-finite
// selected value (an unscorable pair) gets valid[b] = 0 and zeros, so that the model can still
// run on the whole batch; else valid[b] = 1. A column index outside 0..kNumFeatures-1 makes
// every row invalid. Returns the number of valid rows. Never allocates, never throws.
std::int64_t select_model_inputs(const float* features, std::int64_t n_rows,
                                 const std::int64_t* columns, std::int64_t n_columns,
                                 float* inputs, std::uint8_t* valid) noexcept;

// Model outputs of a D x R frame back to raw field yards. mean_model / sigma_model are the
// model's [D * R, horizon_max, 2] float32 outputs (displacement from the defender's position
// at t, model frame; per-axis standard deviation); the first `horizon` steps are written to
// mean_out / sigma_out [D, R, horizon, 2] float64 as start_xy[d] + displacement * axis signs
// (the model frame's map is its own inverse) and sigma. Pairs with valid[d * R + r] == 0, and
// every pair of a defender whose start_xy is not finite, are NaN in both. Never throws.
void model_outputs_to_field(const float* mean_model, const float* sigma_model,
                            std::int64_t horizon_max, const std::uint8_t* valid,
                            const double* start_xy, std::int64_t n_defenders,
                            std::int64_t n_receivers, std::int64_t horizon, Orientation orient,
                            double* mean_out, double* sigma_out) noexcept;

}  // namespace ghostedge::features
