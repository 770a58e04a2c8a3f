# Reference for the small-sample inference of `nof1 series` (tests/series/test_small_sample_pooling.py):
# Knapp-Hartung meta-analysis and its prediction interval, the mixed model's Satterthwaite
# degrees of freedom, and the paired percent-change comparison with its effect sizes and
# Bayes factor.
#
# Run from anywhere:  Rscript tests/reference/series_small_sample_reference.R
# Needs: R >= 4.1 with metafor, lmerTest (lme4) and jsonlite.
# Reads:  sample_data/ldn-fibromyalgia-2013-series/series-diary.csv, series-unblinding-key.json
#         tests/reference/data/series_effects.csv (each patient's effect and se per outcome,
#           taken as given: the meta-analysis numbers hold whichever per-patient method made
#           them)
# Writes: tests/reference/expected_series_small_sample.json (each block names its R call)
#
# Two cases: the 31-patient sample series (protocol ldn-fibromyalgia-2013), and a simulated
# 12-patient series with between-patient variance of the effect about 25 (set.seed below;
# its data are written into the JSON, so the tests need no R).

suppressPackageStartupMessages({
  library(metafor)
  library(lmerTest)
  library(jsonlite)
})

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
ref_dir <- dirname(normalizePath(script))
repo <- dirname(dirname(ref_dir))
series_dir <- file.path(repo, "sample_data", "ldn-fibromyalgia-2013-series")

OUTCOMES <- c("pain", "fatigue", "sleep_quality", "mood", "life_satisfaction")
BASELINE_DAYS <- 14
ENDPOINT_DAYS <- 3
ALPHA <- 0.05

# --- helpers: each number with the R call that made it ------------------------------------
meta <- function(yi, se, method) {
  f <- rma(yi = yi, sei = se, method = method, test = "knha", control = list(threshold = 1e-12))
  z <- rma(yi = yi, sei = se, method = method, test = "z", control = list(threshold = 1e-12))
  pk <- predict(f)
  pz <- predict(z)
  list(
    call = sprintf("rma(yi, sei = se, method = '%s', test = 'knha'); predict(fit)", method),
    estimate = as.numeric(f$b), se = f$se, t = f$zval, df = f$ddf, p_value = f$pval,
    ci_low = f$ci.lb, ci_high = f$ci.ub, pi_low = pk$pi.lb, pi_high = pk$pi.ub, tau2 = f$tau2,
    z = list(call = sprintf("rma(yi, sei = se, method = '%s', test = 'z'); predict(fit)", method),
             se = z$se, p_value = z$pval, ci_low = z$ci.lb, ci_high = z$ci.ub,
             pi_low = pz$pi.lb, pi_high = pz$pi.ub)
  )
}

satterthwaite <- function(d) {
  m <- lmerTest::lmer(y ~ treat + (1 + treat | patient), data = d, REML = TRUE)
  co <- summary(m)$coefficients  # lmerTest: Satterthwaite df
  q <- qt(1 - ALPHA / 2, co["treat", "df"])
  list(
    call = "summary(lmerTest::lmer(y ~ treat + (1 + treat | patient), REML = TRUE))$coefficients['treat', ]",
    estimate = co["treat", "Estimate"], se = co["treat", "Std. Error"], df = co["treat", "df"],
    t = co["treat", "t value"], p_value = co["treat", "Pr(>|t|)"],
    ci_low = co["treat", "Estimate"] - q * co["treat", "Std. Error"],
    ci_high = co["treat", "Estimate"] + q * co["treat", "Std. Error"],
    ci_call = "estimate -/+ qt(0.975, df) * se",
    n_obs = nrow(d), theta = unname(getME(m, "theta"))
  )
}

# JZS Bayes factor of a one-sample (paired) t test, Rouder et al. (2009) eq. 1, Cauchy scale r
jzs_bf10 <- function(t, n, r = sqrt(2) / 2) {
  nu <- n - 1
  f <- function(g) {
    (1 + n * g * r^2)^(-1 / 2) * (1 + t^2 / ((1 + n * g * r^2) * nu))^(-(nu + 1) / 2) *
      (2 * pi)^(-1 / 2) * g^(-3 / 2) * exp(-1 / (2 * g))
  }
  integrate(f, 0, Inf, rel.tol = 1e-12)$value / (1 + t^2 / nu)^(-(nu + 1) / 2)
}

paired <- function(x, y) {
  tt <- t.test(x, y, paired = TRUE)
  wt <- suppressWarnings(wilcox.test(x, y, paired = TRUE))
  d <- x - y
  nz <- d[d != 0]
  r <- rank(abs(nz))
  list(
    x = x, y = y,
    call = "t.test(x, y, paired = TRUE); wilcox.test(x, y, paired = TRUE)",
    estimate = unname(tt$estimate), t = unname(tt$statistic), df = unname(tt$parameter),
    p_value = tt$p.value, ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
    wilcoxon_p = wt$p.value,
    cohen_dz = mean(d) / sd(d), cohen_dz_call = "mean(x - y) / sd(x - y)",
    rank_biserial = (sum(r[nz > 0]) - sum(r[nz < 0])) / sum(r),
    rank_biserial_call = "(sum(rank(abs(d))[d > 0]) - sum(rank(abs(d))[d < 0])) / sum(rank(abs(d))), d = nonzero x - y",
    bf10 = jzs_bf10(unname(tt$statistic), length(d)),
    bf10_call = "integrate() of the JZS integrand (Rouder et al. 2009, r = sqrt(2)/2)"
  )
}

# --- 1. The sample series -------------------------------------------------------------------
key <- fromJSON(file.path(series_dir, "series-unblinding-key.json"), simplifyVector = FALSE)
raw <- read.csv(file.path(series_dir, "series-diary.csv"), stringsAsFactors = FALSE)
raw$date <- as.Date(raw$date)
raw$condition <- NA_character_
for (p in key$patients) {
  rows <- raw$patient_id == p$patient_id
  day <- as.integer(raw$date[rows] - as.Date(p$start_date)) + 1L
  raw$condition[rows][day <= BASELINE_DAYS] <- "baseline"
  for (period in p$periods) {
    inside <- rows & raw$date >= as.Date(period$first_date) & raw$date <= as.Date(period$last_date)
    raw$condition[inside] <- period$treatment
  }
}
daily <- raw[raw$condition %in% c("active", "placebo"), ]
daily$treat <- as.integer(daily$condition == "active")
ids <- unique(raw$patient_id)
percent_change <- function(d, outcome) {
  base <- mean(d[d$condition == "baseline", outcome], na.rm = TRUE)
  end <- sapply(c("active", "placebo"), function(cond) {
    v <- d[d$condition == cond, outcome]
    mean(tail(v[!is.na(v)], ENDPOINT_DAYS))
  })
  (end - base) / abs(base) * 100
}
effects <- read.csv(file.path(ref_dir, "data", "series_effects.csv"), stringsAsFactors = FALSE)

sample <- list()
for (o in OUTCOMES) {
  e <- effects[effects$outcome == o, ]
  e <- e[match(ids, e$patient_id), ]
  d <- data.frame(y = daily[[o]], treat = daily$treat, patient = daily$patient_id)
  d <- d[!is.na(d$y), ]
  pc <- t(sapply(ids, function(id) percent_change(raw[raw$patient_id == id, ], o)))
  sample[[o]] <- list(
    yi = e$yi, se = e$se,
    reml = meta(e$yi, e$se, "REML"), dl = meta(e$yi, e$se, "DL"),
    lmer = satterthwaite(d),
    percent_change = paired(unname(pc[, "active"]), unname(pc[, "placebo"]))
  )
}

# --- 2. A simulated 12-patient series, tau² about 25 --------------------------------------
set.seed(20261201)
k <- 12
se <- runif(k, 2, 4)
true <- -6 + rnorm(k, 0, 5)  # tau² = 25
yi <- true + rnorm(k, 0, se)
days <- 56  # 2 cycles of 2 periods of 14 days
sim <- do.call(rbind, lapply(seq_len(k), function(i) {
  order <- if (runif(1) < 0.5) c(1, 0, 0, 1) else c(0, 1, 1, 0)
  treat <- rep(order, each = 14)
  y <- 50 + rnorm(1, 0, 8) + true[i] * treat + rnorm(days, 0, 10)
  y[runif(days) < 0.15] <- NA
  data.frame(y = y, treat = treat, patient = sprintf("S%02d", i))
}))
sim <- sim[!is.na(sim$y), ]
x_pc <- round(-20 + rnorm(k, 0, 15), 6)
y_pc <- round(-8 + rnorm(k, 0, 12), 6)
twelve <- list(
  yi = yi, se = se,
  reml = meta(yi, se, "REML"), dl = meta(yi, se, "DL"),
  daily = list(y = sim$y, treat = sim$treat, patient = sim$patient),
  lmer = satterthwaite(sim),
  percent_change = paired(x_pc, y_pc)
)

out <- list(
  generated_by = "tests/reference/series_small_sample_reference.R",
  r_version = R.version.string,
  versions = list(metafor = as.character(packageVersion("metafor")),
                  lmerTest = as.character(packageVersion("lmerTest")),
                  lme4 = as.character(packageVersion("lme4"))),
  alpha = ALPHA,
  patients = ids,
  sample = sample,
  twelve = twelve
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(ref_dir, "expected_series_small_sample.json"))
cat("wrote", file.path(ref_dir, "expected_series_small_sample.json"), "\n")
