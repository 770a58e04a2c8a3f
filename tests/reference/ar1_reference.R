# Reference values for nof1.analysis (tests/analysis/*): R's own fits on small n-of-1 diaries.
#
# Run from anywhere:  Rscript tests/reference/ar1_reference.R
# Needs: R >= 4.1 with nlme and jsonlite (Debian: r-base-core r-cran-nlme r-cran-jsonlite).
# Writes: tests/reference/data/<name>.csv   (the diaries: day, cycle, treat, y)
#         tests/reference/expected_ar1.json (every number, each block with the R call that made it)
# The Python tests read only the CSV and JSON files; they never need R.

suppressPackageStartupMessages({
  library(nlme)
  library(jsonlite)
})

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
ref_dir <- dirname(normalizePath(script))
data_dir <- file.path(ref_dir, "data")
dir.create(data_dir, showWarnings = FALSE)

# --- 0. corAR1(form = ~ day) on unequally spaced days really is phi^|lag| ------------------
# With gaps, nlme's Initialize.corAR1 turns the structure into corARMA(p = 1, q = 0) on the
# integer covariate, whose correlation at lag k is phi^k. Check it on a gappy day vector.
gap_days <- data.frame(day = c(1, 2, 4, 7, 8, 12))
for (phi in c(0.6, -0.6)) {
  cs <- Initialize(corAR1(phi, form = ~ day), data = gap_days)
  stopifnot(isTRUE(all.equal(corMatrix(cs), phi^abs(outer(gap_days$day, gap_days$day, "-")),
                             check.attributes = FALSE, tolerance = 1e-12)))
}

# --- 1. Diaries: pairwise-randomized crossovers, AR(1) noise on calendar days, missing days --
ar1_noise <- function(n, phi, sd) {
  e <- numeric(n)
  e[1] <- rnorm(1, 0, sd)
  for (i in 2:n) e[i] <- phi * e[i - 1] + rnorm(1, 0, sd * sqrt(1 - phi^2))
  e
}

make_diary <- function(seed, period_days, cycles, phi, sd, effect, trend, p_missing,
                       washout = 0) {
  set.seed(seed)
  n <- 2 * period_days * cycles
  day <- seq_len(n)
  cycle <- (day - 1) %/% (2 * period_days) + 1
  active_first <- sample(c(TRUE, FALSE), cycles, replace = TRUE)
  in_first_period <- ((day - 1) %% (2 * period_days)) < period_days
  treat <- as.integer(ifelse(in_first_period, active_first[cycle], !active_first[cycle]))
  y <- 50 + effect * treat + trend * day + ar1_noise(n, phi, sd)
  keep <- runif(n) > p_missing & ((day - 1) %% period_days) >= washout
  # Two decimals so that the CSV holds exactly the numbers R fitted.
  data.frame(day = day[keep], cycle = cycle[keep], treat = treat[keep], y = round(y[keep], 2))
}

diaries <- list(
  strong_positive = make_diary(seed = 11, period_days = 10, cycles = 3, phi = 0.85, sd = 10,
                               effect = -8, trend = 0, p_missing = 0.15),
  negative_phi = make_diary(seed = 22, period_days = 5, cycles = 4, phi = -0.6, sd = 8,
                            effect = -5, trend = 0, p_missing = 0.1),
  trend = make_diary(seed = 33, period_days = 14, cycles = 4, phi = 0.4, sd = 8, effect = -6,
                     trend = -0.12, p_missing = 0.2),
  washout_gaps = make_diary(seed = 44, period_days = 14, cycles = 3, phi = 0.6, sd = 10,
                            effect = -10, trend = 0, p_missing = 0.1, washout = 3)
)

# --- 2. Fits ---------------------------------------------------------------------------------
# Tight optimizer tolerances so the reference is nlme's exact REML optimum, not where its
# default stopping rule happened to land (the defaults agree to about 1e-5).
ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-12, msMaxIter = 500, maxIter = 500)

gls_block <- function(formula, d, call) {
  g <- gls(formula, data = d, correlation = corAR1(form = ~ day), method = "REML",
           control = ctrl)
  tt <- summary(g)$tTable
  df <- g$dims$N - g$dims$p
  est <- unname(coef(g)["treat"])
  se <- tt["treat", "Std.Error"]
  list(r_call = call,
       estimate = est, se = se, df = df,
       ci_low = est - qt(0.975, df) * se, ci_high = est + qt(0.975, df) * se,
       p_value = tt["treat", "p-value"],
       phi = unname(coef(g$modelStruct$corStruct, unconstrained = FALSE)),
       sigma = g$sigma,
       loglik = as.numeric(logLik(g)),
       coef = unname(coef(g)))
}

# REML log-likelihood and coefficients at fixed phi: checks profile_reml point by point.
profile_block <- function(d, phis) {
  lapply(phis, function(phi) {
    g <- gls(y ~ treat, data = d, method = "REML",
             correlation = corAR1(phi, form = ~ day, fixed = TRUE))
    list(r_call = sprintf(paste0("nlme::gls(y ~ treat, data = d, method = \"REML\", ",
                                 "correlation = corAR1(%s, form = ~ day, fixed = TRUE))"), phi),
         phi = phi, loglik = as.numeric(logLik(g)), coef = unname(coef(g)),
         se = unname(sqrt(diag(vcov(g)))))
  })
}

ttest_block <- function(tt, call) {
  est <- if (length(tt$estimate) == 2) unname(tt$estimate[1] - tt$estimate[2])
         else unname(tt$estimate)
  list(r_call = call, estimate = est, se = tt$stderr, df = unname(tt$parameter),
       ci_low = tt$conf.int[1], ci_high = tt$conf.int[2], p_value = tt$p.value,
       t = unname(tt$statistic))
}

# NAP with the Newcombe (2006) method-5 interval, written out as in SingleCaseES::calc_NAP
# (A = placebo, B = active, improvement = "decrease": lower is better).
nap_block <- function(placebo, active, confidence = 0.95) {
  m <- length(placebo); n <- length(active)
  q <- outer(placebo, active, function(a, b) (b < a) + 0.5 * (b == a))
  nap <- mean(q)
  h <- (m + n) / 2 - 1
  z <- qnorm(1 - (1 - confidence) / 2)
  f <- function(x) m * n * (nap - x)^2 * (2 - x) * (1 + x) -
    z^2 * x * (1 - x) * (2 + h + (1 + 2 * h) * x * (1 - x))
  tol <- 1e-12
  list(r_call = "SingleCaseES::NAP(A_data = placebo, B_data = active, improvement = \"decrease\")",
       estimate = nap,
       ci_low = if (nap > 0) uniroot(f, c(0, nap), tol = tol)$root else 0,
       ci_high = if (nap < 1) uniroot(f, c(nap, 1), tol = tol)$root else 1)
}

expected <- list(
  generated_by = "tests/reference/ar1_reference.R",
  r_version = R.version.string,
  nlme_version = as.character(packageVersion("nlme")),
  datasets = list()
)

for (name in names(diaries)) {
  d <- diaries[[name]]
  write.csv(d, file.path(data_dir, paste0(name, ".csv")), row.names = FALSE)
  a <- d$y[d$treat == 1]
  p <- d$y[d$treat == 0]
  am <- tapply(d$y[d$treat == 1], d$cycle[d$treat == 1], mean)
  pm <- tapply(d$y[d$treat == 0], d$cycle[d$treat == 0], mean)
  stopifnot(identical(names(am), names(pm)))
  expected$datasets[[name]] <- list(
    n = nrow(d),
    gls_ar1 = gls_block(y ~ treat, d, paste0(
      "nlme::gls(y ~ treat, data = d, correlation = corAR1(form = ~ day), ",
      "method = \"REML\")")),
    gls_ar1_trend = gls_block(y ~ treat + day, d, paste0(
      "nlme::gls(y ~ treat + day, data = d, correlation = corAR1(form = ~ day), ",
      "method = \"REML\")")),
    profile = profile_block(d, c(-0.7, -0.2, 0, 0.35, 0.8, 0.95)),
    welch_t = ttest_block(t.test(a, p), "t.test(y[treat == 1], y[treat == 0])"),
    paired_periods = c(ttest_block(t.test(am, pm, paired = TRUE),
                                   "t.test(active_means, placebo_means, paired = TRUE)"),
                       list(active_means = unname(am), placebo_means = unname(pm))),
    nap = nap_block(p, a)
  )
  e <- expected$datasets[[name]]
  cat(sprintf("%-16s n=%3d  gls b=%9.5f se=%8.5f phi=%8.5f ll=%10.4f | trend b=%9.5f phi=%8.5f\n",
              name, e$n, e$gls_ar1$estimate, e$gls_ar1$se, e$gls_ar1$phi, e$gls_ar1$loglik,
              e$gls_ar1_trend$estimate, e$gls_ar1_trend$phi))
}

write_json(expected, file.path(ref_dir, "expected_ar1.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
