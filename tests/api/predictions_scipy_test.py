#!/usr/bin/python3
"""The prediction fit checked by independent arithmetic: SciPy (Debian's
python3-scipy, used here only, never in the service). The CDNOW sample is
imported through ImportCsv by Python grpcio; then, from the file itself:

- the BG/NBD and Gamma-Gamma log-likelihoods, written out with scipy's
  gammaln, at the server's parameters equal the server's log-likelihoods;
- scipy.optimize (Nelder-Mead from another start) finds the same maxima;
- the holdout expectation, summed with scipy.special.hyp2f1 at the server's
  parameters, equals the server's, and the actual count is the file's.

Usage: predictions_scipy_test.py SERVER_BINARY DESCRIPTOR_SET CDNOW_CSV
"""
import csv
import datetime
import os
import sys

import grpc
import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from descriptor_messages import load_messages  # noqa: E402
from server_process import ServerProcess  # noqa: E402

CALIBRATION_END = datetime.date(1997, 9, 30)


def summaries(path):
    """x, t_x, T (weeks), mean repeat value, holdout purchase days per customer."""
    days = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            day = datetime.date.fromisoformat(row["Order Date"])
            per_day = days.setdefault(row["Customer ID"], {})
            per_day[day] = per_day.get(day, 0.0) + float(row["Sales"])
    out = []
    for per_day in days.values():
        ordered = sorted(per_day)
        first = ordered[0]
        calibration = [d for d in ordered if d <= CALIBRATION_END]
        x = len(calibration) - 1
        mean = sum(per_day[d] for d in calibration[1:]) / x if x else 0.0
        out.append((x, (calibration[-1] - first).days / 7, (CALIBRATION_END - first).days / 7,
                    mean, len(ordered) - len(calibration)))
    return out


def bgnbd_ll(params, x, tx, t):
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + t)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                  - (r + x) * np.log(alpha + tx), -np.inf)
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def gg_ll(params, x, m):
    p, q, g = params
    return float(np.sum(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g)
                        + (p * x - 1) * np.log(m) + p * x * np.log(x)
                        - (p * x + q) * np.log(g + m * x)))


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def main():
    server_binary, descriptor_set, csv_path = sys.argv[1:4]
    message, _ = load_messages(descriptor_set)
    ImportCsvRequest = message("ImportCsvRequest")
    ImportCsvResponse = message("ImportCsvResponse")
    FitRequest = message("GetPredictionFitRequest")
    FitResponse = message("GetPredictionFitResponse")
    with ServerProcess(server_binary) as server:
        channel = grpc.insecure_channel(server.address)
        import_csv = channel.stream_unary(
            "/customer_analytics.v1.AnalyticsService/ImportCsv",
            request_serializer=ImportCsvRequest.SerializeToString,
            response_deserializer=ImportCsvResponse.FromString)
        get_fit = channel.unary_unary(
            "/customer_analytics.v1.AnalyticsService/GetPredictionFit",
            request_serializer=FitRequest.SerializeToString,
            response_deserializer=FitResponse.FromString)

        def requests():
            yield ImportCsvRequest(options={})
            with open(csv_path, "rb") as f:
                while chunk := f.read(65536):
                    yield ImportCsvRequest(chunk=chunk)
            yield ImportCsvRequest(last=True)

        reply = import_csv(requests(), timeout=120)
        assert reply.committed and reply.accepted == 6919, reply
        request = FitRequest()
        request.options.calibration_end_date = CALIBRATION_END.isoformat()
        fit = get_fit(request, timeout=60)

    data = summaries(csv_path)
    x = np.array([d[0] for d in data], float)
    tx = np.array([d[1] for d in data])
    t = np.array([d[2] for d in data])
    served = (fit.bgnbd.r, fit.bgnbd.alpha, fit.bgnbd.a, fit.bgnbd.b)
    print("server BG/NBD:", served, "LL", fit.bgnbd_fit.log_likelihood)
    ll = bgnbd_ll(served, x, tx, t)
    assert close(ll, fit.bgnbd_fit.log_likelihood, 1e-10), (ll, fit.bgnbd_fit.log_likelihood)
    best = minimize(lambda v: -bgnbd_ll(np.exp(v), x, tx, t), np.log([0.5, 2.0, 0.5, 2.0]),
                    method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 40000, "maxfev": 40000})
    print("scipy BG/NBD:", tuple(np.exp(best.x)), "LL", -best.fun)
    assert fit.bgnbd_fit.log_likelihood >= -best.fun - 1e-6, (fit.bgnbd_fit, best.fun)
    for ours, theirs in zip(served, np.exp(best.x)):
        assert close(ours, theirs, 1e-4), (served, np.exp(best.x))

    repeat = [(d[0], d[3]) for d in data if d[0] > 0 and d[3] > 0]
    assert len(repeat) == fit.gamma_gamma_customers == 946, (len(repeat), fit)
    gx = np.array([r[0] for r in repeat], float)
    gm = np.array([r[1] for r in repeat])
    spend = (fit.gamma_gamma.p, fit.gamma_gamma.q, fit.gamma_gamma.gamma)
    print("server Gamma-Gamma:", spend, "LL", fit.gamma_gamma_fit.log_likelihood)
    assert close(gg_ll(spend, gx, gm), fit.gamma_gamma_fit.log_likelihood, 1e-10)
    best = minimize(lambda v: -gg_ll(np.exp(v), gx, gm), np.log([2.0, 2.0, 5.0]),
                    method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 40000, "maxfev": 40000})
    print("scipy Gamma-Gamma:", tuple(np.exp(best.x)), "LL", -best.fun)
    for ours, theirs in zip(spend, np.exp(best.x)):
        assert close(ours, theirs, 1e-4), (spend, np.exp(best.x))

    r, alpha, a, b = served
    h = 273 / 7
    expected = 0.0
    for xi, txi, ti, _, _ in data:
        z = h / (alpha + ti + h)
        numerator = (a + b + xi - 1) / (a - 1) * (
            1 - ((alpha + ti) / (alpha + ti + h)) ** (r + xi) * hyp2f1(r + xi, b + xi,
                                                                    a + b + xi - 1, z))
        alive = 1 + (xi > 0) * a / (b + xi - 1) * ((alpha + ti) / (alpha + txi)) ** (r + xi)
        expected += numerator / alive
    actual = sum(d[4] for d in data)
    print(f"holdout: server expected {fit.holdout.expected_repeat_purchases:.4f} actual "
          f"{fit.holdout.actual_repeat_purchases}; scipy expected {expected:.4f} actual {actual}")
    assert fit.holdout.actual_repeat_purchases == actual
    assert close(fit.holdout.expected_repeat_purchases, expected, 1e-9)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
