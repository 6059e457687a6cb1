"""Kenward-Roger SEs of ``y ~ x + (x + z || g)`` in 40-digit arithmetic (mpmath).

Usage: ``python3 exact_kr.py DATA.csv THETA1 THETA2 THETA3 SIGMA`` (needs only mpmath,
which the project does not depend on; the tests read the numbers it printed, stored
in exact.json). It builds V = sum_r gamma_r G_r + sigma^2 I densely for the three
uncorrelated terms (intercept, x and z within g; gamma_r = sigma^2 theta_r^2,
G_r = Z_r Z_r'), and evaluates Kenward and Roger (1997, Biometrics 53: 983-997):
Phi = (X'V^-1X)^-1, P_r, Q_rs, the REML information of the gammas, W = 2 IE^-1,
U = sum W_rs (Q_rs - P_r Phi P_s) and Phi_A = Phi + 2 Phi U Phi. Rows with a missing
y or x are left out, as in the fit.
"""

import csv
import json
import sys

import mpmath as mp

mp.mp.dps = 40


def main(path: str, thetas: list[str], sigma: str) -> dict:
    with open(path, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["y"] != "" and r["x"] != ""]
    levels = sorted({r["g"] for r in rows})
    n, q = len(rows), len(levels)
    s2 = mp.mpf(sigma) ** 2
    X = mp.matrix(n, 2)
    Z = [mp.matrix(n, q) for _ in range(3)]
    for i, r in enumerate(rows):
        X[i, 0], X[i, 1] = 1, mp.mpf(r["x"])
        j = levels.index(r["g"])
        Z[0][i, j], Z[1][i, j], Z[2][i, j] = 1, mp.mpf(r["x"]), mp.mpf(r["z"])
    gammas = [s2 * mp.mpf(t) ** 2 for t in thetas] + [s2]
    G = [z * z.T for z in Z] + [mp.eye(n)]
    V = mp.zeros(n, n)
    for gamma, g in zip(gammas, G, strict=True):
        V += gamma * g
    V_inv = mp.inverse(V)
    phi = mp.inverse(X.T * V_inv * X)
    VG = [V_inv * g for g in G]
    m = len(G)
    P = [-(X.T * VG[r] * V_inv * X) for r in range(m)]
    Q = [[X.T * VG[r] * VG[s] * V_inv * X for s in range(m)] for r in range(m)]

    def trace(a):
        return sum(a[i, i] for i in range(a.rows))

    info = mp.matrix(m, m)
    for r in range(m):
        for s in range(m):
            info[r, s] = (trace(VG[r] * VG[s]) - 2 * trace(phi * Q[r][s])
                          + trace(phi * P[r] * phi * P[s]))
    W = 2 * mp.inverse(info)
    U = mp.zeros(2, 2)
    for r in range(m):
        for s in range(m):
            U += W[r, s] * (Q[r][s] - P[r] * phi * P[s])
    adjusted = phi + 2 * phi * U * phi
    return {
        "se": [mp.nstr(mp.sqrt(phi[i, i]), 15) for i in range(2)],
        "kr_se": [mp.nstr(mp.sqrt(adjusted[i, i]), 15) for i in range(2)],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2:5], sys.argv[5])))
