"""segflow's BG/NBD, MBG/NBD and Gamma-Gamma against lifetimes on the CDNOW sample (run by scripts/test).

The calibration period is the literature's: 39 weeks, 1997-01-01 to 1997-09-30, times in
weeks (days / 7), one purchase per day (Fader, Hardie & Lee 2005). The summary is lifetimes'
own; both tools fit it without a penalty. Checked:
- the four BG/NBD parameters agree to 1e-4 relative, and lie within 0.001 of the published
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426; likewise MBG/NBD's, against
  ModifiedBetaGeoFitter and BTYDplus's r = 0.525, alpha = 6.183, a = 0.891, b = 1.614;
- every customer's P(alive) and expected purchases in the 39-week holdout agree to 1e-4;
- the Gamma-Gamma parameters agree to 1e-3 relative and each customer's expected spend to 1e-4.
Usage: python btyd_vs_lifetimes.py BINARY   (BINARY: the built numerics-driver)
"""
import os
import subprocess

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter
from lifetimes.utils import summary_data_from_transaction_data

from crosscheck import binary, finish, report, work


def relative(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)))


here = os.path.dirname(os.path.abspath(__file__))
raw = pd.read_csv(os.path.join(here, "..", "Fixtures", "CDNOW_sample.txt"), sep=r"\s+", header=None,
                  names=["id", "sample_id", "date", "cds", "value"], dtype={"date": str})
raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
summary = summary_data_from_transaction_data(raw, "sample_id", "date", monetary_value_col="value",
                                             observation_period_end="1997-09-30", freq="D", freq_multiplier=7)

# BG/NBD, and MBG/NBD (Batislam, Denizel & Filiztekin 2007) with BTYDplus's published CDNOW fit
rows = len(summary)
triples = os.path.join(work, "summary.f64")
summary[["frequency", "recency", "T"]].to_numpy(dtype=np.float64).tofile(triples)
predictions = os.path.join(work, "predictions.f64")
for command, fitter_type, published, source in [
    ("bgnbd", BetaGeoFitter, [0.243, 4.414, 0.793, 2.426], "Fader, Hardie & Lee (2005)"),
    ("mbgnbd", ModifiedBetaGeoFitter, [0.525, 6.183, 0.891, 1.614], "BTYDplus"),
]:
    name = command.upper().replace("NBD", "/NBD")
    out = subprocess.run([binary, command, triples, str(rows), "39", predictions], check=True, capture_output=True,
                         text=True).stdout.split()
    ours = [float(value) for value in out[1:5]]
    fitter = fitter_type(penalizer_coef=0.0).fit(summary["frequency"], summary["recency"], summary["T"])
    theirs = [fitter.params_[name] for name in ("r", "alpha", "a", "b")]
    report(relative(ours, theirs) <= 1e-4, f"{name} parameters (r, alpha, a, b): segflow {np.round(ours, 4)}, "
           f"lifetimes {np.round(theirs, 4)}, max relative difference {relative(ours, theirs):.1e}")
    gap = max(abs(o - p) for o, p in zip(ours, published))
    report(gap <= 1e-3, f"{name} parameters within 0.001 of {source}: largest gap {gap:.4f}")
    per_customer = np.fromfile(predictions, dtype=np.float64).reshape(rows, 2)
    alive = np.asarray(fitter.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"]))
    expected = np.asarray(fitter.conditional_expected_number_of_purchases_up_to_time(
        39, summary["frequency"], summary["recency"], summary["T"]))
    difference = float(np.max(np.abs(per_customer[:, 0] - alive)))
    report(difference <= 1e-4, f"{name} P(alive) of {rows} customers: max |difference| {difference:.1e}")
    difference = float(np.max(np.abs(per_customer[:, 1] - expected)))
    report(difference <= 1e-4, f"{name} expected purchases in 39 weeks of {rows} customers: max |difference| {difference:.1e}")

# Gamma-Gamma, on repeat buyers with positive mean spend
repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
pairs = os.path.join(work, "spend.f64")
repeat[["frequency", "monetary_value"]].to_numpy(dtype=np.float64).tofile(pairs)
out = subprocess.run([binary, "gammagamma", pairs, str(len(repeat))], check=True, capture_output=True,
                     text=True).stdout.split()
ours = [float(value) for value in out[:3]]
spend = np.array([float(value) for value in out[3:]])
gamma_gamma = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])
theirs = [gamma_gamma.params_[name] for name in ("p", "q", "v")]
report(relative(ours, theirs) <= 1e-3, f"Gamma-Gamma parameters (p, q, gamma): segflow {np.round(ours, 4)}, "
       f"lifetimes {np.round(theirs, 4)}, max relative difference {relative(ours, theirs):.1e}")
reference = np.asarray(gamma_gamma.conditional_expected_average_profit(repeat["frequency"], repeat["monetary_value"]))
difference = relative(spend, reference)
report(difference <= 1e-4, f"expected spend of {len(repeat)} repeat buyers: max relative difference {difference:.1e}")

finish()
