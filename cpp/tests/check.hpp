// A minimal test harness so the C++ core tests need nothing but a compiler.
// CHECK(cond) records a failure and continues; the test's main returns check::finish().
#pragma once
#include <cmath>
#include <cstdio>

namespace check {
inline int& failures() {
    static int n = 0;
    return n;
}
inline int& checks() {
    static int n = 0;
    return n;
}
inline int finish() {
    std::printf("%d checks, %d failed\n", checks(), failures());
    return failures() == 0 ? 0 : 1;
}
}  // namespace check

#define CHECK(cond)                                                                  \
    do {                                                                             \
        ++check::checks();                                                           \
        if (!(cond)) {                                                               \
            ++check::failures();                                                     \
            std::printf("%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                            \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
    do {                                                                             \
        ++check::checks();                                                           \
        const double check_a_ = static_cast<double>(a), check_b_ = static_cast<double>(b); \
        if (!(std::fabs(check_a_ - check_b_) <= (tol))) {                            \
            ++check::failures();                                                     \
            std::printf("%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g (tol %g)\n", \
                        __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol)); \
        }                                                                            \
    } while (0)
