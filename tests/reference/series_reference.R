# Reference for `nof1 series` (tests/series/test_series_matches_r.py): the pooled analyses of
# the 31-patient sample series (protocol ldn-fibromyalgia-2013), unblinded with its key.
#
# Run from anywhere:  Rscript tests/reference/series_reference.R
# Needs: R >= 4.1 with metafor, lme4, nlme and jsonlite.
# Reads:  sample_data/ldn-fibromyalgia-2013-series/series-diary.csv, series-unblinding-key.json
#         tests/reference/data/series_effects.csv: each patient's gls_ar1 effect and se per
#           outcome and responder flags, as nof1 computed them (written by
#           `python tests/series/test_series_matches_r.py`); the meta-analysis and McNemar
#           inputs, so that the pooled numbers can be compared at 1e-6.
# Writes: tests/reference/expected_series.json (every number, each block with its R call).
# Computed here from the raw diary, independently of nof1: the daily data of the mixed model,
# each patient's percent change from baseline, the order of the periods, and (as a check of
# series_effects.csv) every patient's nlme::gls AR(1) fit.
#
# Protocol ldn-fibromyalgia-2013: baseline days 1-14; one cycle of LDN (84 days) and placebo
# (28 days) in counterbalanced order; follow-up 28 days; no analytic washout, so every
# treatment day with a value enters the comparison; end point = mean of the last 3 observed
# days of a period; percent change = (end point - baseline mean) / baseline mean * 100.

suppressPackageStartupMessages({
  library(metafor)
  library(lme4)
  library(nlme)
  library(jsonlite)
})

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
ref_dir <- dirname(normalizePath(script))
repo <- dirname(dirname(ref_dir))
series_dir <- file.path(repo, "sample_data", "ldn-fibromyalgia-2013-series")

OUTCOMES <- c("pain", "fatigue", "sleep_quality", "mood", "life_satisfaction")
BASELINE_DAYS <- 14
ENDPOINT_DAYS <- 3

# --- 1. The daily data, aligned from the unblinding key ------------------------------------
key <- fromJSON(file.path(series_dir, "series-unblinding-key.json"), simplifyVector = FALSE)
raw <- read.csv(file.path(series_dir, "series-diary.csv"), stringsAsFactors = FALSE)
raw$date <- as.Date(raw$date)
raw$condition <- NA_character_
raw$day <- NA_integer_
first <- c()
for (p in key$patients) {
  rows <- raw$patient_id == p$patient_id
  start <- as.Date(p$start_date)
  raw$day[rows] <- as.integer(raw$date[rows] - start) + 1L
  raw$condition[rows & raw$day <= BASELINE_DAYS] <- "baseline"
  for (period in p$periods) {
    inside <- rows & raw$date >= as.Date(period$first_date) & raw$date <= as.Date(period$last_date)
    raw$condition[inside] <- period$treatment
  }
  first[p$patient_id] <- p$sequence[[1]]
}
daily <- raw[raw$condition %in% c("active", "placebo"), ]
daily$treat <- as.integer(daily$condition == "active")
ids <- unique(raw$patient_id)

percent_change <- function(d, outcome) {
  base <- mean(d[d$condition == "baseline", outcome], na.rm = TRUE)
  end <- sapply(c("active", "placebo"), function(cond) {
    v <- d[d$condition == cond, outcome]
    v <- v[!is.na(v)]
    mean(tail(v, ENDPOINT_DAYS))
  })
  (end - base) / abs(base) * 100
}

effects <- read.csv(file.path(ref_dir, "data", "series_effects.csv"), stringsAsFactors = FALSE)

# --- 2. Per outcome --------------------------------------------------------------------------
blocks <- list()
for (o in OUTCOMES) {
  e <- effects[effects$outcome == o, ]
  e <- e[match(ids, e$patient_id), ]
  res <- list()
  fits <- list(
    reml = rma(yi = e$yi, sei = e$se, method = "REML"),
    reml_exact = rma(yi = e$yi, sei = e$se, method = "REML", control = list(threshold = 1e-12)),
    dl = rma(yi = e$yi, sei = e$se, method = "DL")
  )
  for (name in names(fits)) {
    f <- fits[[name]]
    pr <- predict(f)
    b <- blup(f)
    res[[name]] <- list(
      estimate = as.numeric(f$b), se = f$se, ci_low = f$ci.lb, ci_high = f$ci.ub,
      p_value = f$pval, tau2 = f$tau2, i2 = f$I2, q = f$QE, q_p_value = f$QEp, k = f$k,
      pi_low = pr$pi.lb, pi_high = pr$pi.ub,
      blup = list(estimate = b$pred, se = b$se, ci_low = b$pi.lb, ci_high = b$pi.ub)
    )
  }
  d <- daily[!is.na(daily[[o]]), ]
  m <- lmer(as.formula(paste(o, "~ treat + (1 + treat | patient_id)")), data = d, REML = TRUE)
  vc <- as.data.frame(VarCorr(m))
  co <- summary(m)$coefficients
  res$lmer <- list(
    estimate = co["treat", "Estimate"], se = co["treat", "Std. Error"],
    intercept = co["(Intercept)", "Estimate"],
    sd_intercept = vc$sdcor[vc$grp == "patient_id" & vc$var1 %in% "(Intercept)" & is.na(vc$var2)],
    sd_treat = vc$sdcor[vc$grp == "patient_id" & vc$var1 %in% "treat" & is.na(vc$var2)],
    corr = vc$sdcor[vc$grp == "patient_id" & !is.na(vc$var2)], sigma = sigma(m), n_obs = nrow(d),
    loglik = as.numeric(logLik(m))
  )
  pc <- t(sapply(ids, function(id) percent_change(raw[raw$patient_id == id, ], o)))
  tt <- t.test(pc[, "active"], pc[, "placebo"], paired = TRUE)
  wt <- suppressWarnings(wilcox.test(pc[, "active"], pc[, "placebo"], paired = TRUE))
  res$percent_change <- list(
    active = unname(pc[, "active"]), placebo = unname(pc[, "placebo"]),
    active_mean = mean(pc[, "active"]), placebo_mean = mean(pc[, "placebo"]),
    difference = unname(tt$estimate), t = unname(tt$statistic), df = unname(tt$parameter),
    ci_low = tt$conf.int[1], ci_high = tt$conf.int[2], p_value = tt$p.value,
    wilcoxon_p = wt$p.value,
    wilcoxon_exact = !any(pc[, "active"] == pc[, "placebo"]) && length(ids) < 50
  )
  by_first <- first[e$patient_id]
  wl <- t.test(e$yi[by_first == "active"], e$yi[by_first == "placebo"])
  res$order_effect <- list(
    active_mean = unname(wl$estimate[1]), placebo_mean = unname(wl$estimate[2]),
    t = unname(wl$statistic), df = unname(wl$parameter), ci_low = wl$conf.int[1],
    ci_high = wl$conf.int[2], p_value = wl$p.value
  )
  # Check of the inputs: nof1's gls_ar1 effects against nlme's, patient by patient.
  rel <- sapply(ids, function(id) {
    dd <- d[d$patient_id == id, ]
    g <- gls(as.formula(paste(o, "~ treat")), data = dd,
             correlation = corAR1(form = ~ day), method = "REML")
    abs(coef(g)[["treat"]] - e$yi[e$patient_id == id]) / abs(e$se[e$patient_id == id])
  })
  res$input_check <- list(max_abs_diff_in_se = max(rel))
  blocks[[o]] <- res
}

# --- 3. Responders -----------------------------------------------------------------------------
r <- effects[effects$outcome == OUTCOMES[1], ]
a <- as.logical(r$responder_active)
p <- as.logical(r$responder_placebo)
b <- sum(a & !p)
c <- sum(!a & p)
bt <- binom.test(b, b + c)
ca <- binom.test(sum(a), length(a))
cp <- binom.test(sum(p), length(p))
responders <- list(
  active = list(responders = sum(a), n = length(a), ci_low = ca$conf.int[1], ci_high = ca$conf.int[2]),
  placebo = list(responders = sum(p), n = length(p), ci_low = cp$conf.int[1], ci_high = cp$conf.int[2]),
  active_only = b, placebo_only = c, both = sum(a & p), neither = sum(!a & !p),
  p_value = bt$p.value,
  mcnemar_asymptotic_p = mcnemar.test(table(factor(a, c(TRUE, FALSE)), factor(p, c(TRUE, FALSE))))$p.value
)

# --- 4. Extra cases for the pure functions ------------------------------------------------------
tied <- c(rep(c(-3, -1, 2, -5, 4, -2, -1, 3, -4, -6), 6), 0, 0)  # 62 values, ties and zeros
extras <- list(
  wilcoxon_ties = list(x = tied, p_value = suppressWarnings(wilcox.test(tied)$p.value)),
  binom = list(x = 1, n = 9, p_value = binom.test(1, 9)$p.value),
  small_meta = (function() {
    f <- rma(yi = c(-12, -4, -9.5, 1), sei = c(3, 2.5, 4, 3.5), method = "REML",
             control = list(threshold = 1e-12))
    list(yi = c(-12, -4, -9.5, 1), se = c(3, 2.5, 4, 3.5), estimate = as.numeric(f$b),
         tau2 = f$tau2, se_estimate = f$se)
  })(),
  zero_tau = (function() {
    f <- rma(yi = c(-5, -5.5, -4.8, -5.2), sei = c(2, 2.5, 3, 2.2), method = "REML")
    g <- rma(yi = c(-5, -5.5, -4.8, -5.2), sei = c(2, 2.5, 3, 2.2), method = "DL")
    list(yi = c(-5, -5.5, -4.8, -5.2), se = c(2, 2.5, 3, 2.2), reml_tau2 = f$tau2,
         dl_tau2 = g$tau2, estimate = as.numeric(f$b), i2 = f$I2)
  })()
)

out <- list(
  generated_by = "tests/reference/series_reference.R",
  r_version = R.version.string,
  versions = list(metafor = as.character(packageVersion("metafor")),
                  lme4 = as.character(packageVersion("lme4")),
                  nlme = as.character(packageVersion("nlme"))),
  r_calls = list(
    reml = "rma(yi, sei = se, method = 'REML'); predict(fit); blup(fit)",
    reml_exact = "rma(yi, sei = se, method = 'REML', control = list(threshold = 1e-12))",
    dl = "rma(yi, sei = se, method = 'DL'); predict(fit); blup(fit)",
    lmer = "lmer(y ~ treat + (1 + treat | patient_id), data = daily, REML = TRUE)",
    percent_change = "t.test(active, placebo, paired = TRUE); wilcox.test(active, placebo, paired = TRUE)",
    order_effect = "t.test(yi[first == 'active'], yi[first == 'placebo'])",
    responders = "binom.test(active_only, active_only + placebo_only); binom.test(k, n)$conf.int",
    input_check = "nlme::gls(y ~ treat, correlation = corAR1(form = ~ day), method = 'REML')"
  ),
  patients = ids,
  outcomes = blocks,
  responders = responders,
  extras = extras
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(ref_dir, "expected_series.json"))
cat("wrote", file.path(ref_dir, "expected_series.json"), "\n")
