# End-to-end reference for `nof1 analyze` (tests/analysis/test_analyze_matches_r.py):
# every number results.json reports per outcome, computed independently in R from the raw
# diary and the unblinding key (nothing nof1 wrote is read here).
#
# Run from anywhere:  Rscript tests/reference/sample_patient_reference.R
# Needs: R >= 4.1 with nlme and jsonlite (Debian: r-base-core r-cran-nlme r-cran-jsonlite).
# Reads:  sample_data/ldn-nof1-multicycle/P01-diary.csv, P01-unblinding-key.json
# Writes: tests/reference/data/condition_diary.csv  (the same patient as a wide diary with a
#           condition column and 6 more whole days deleted)
#         tests/reference/expected_sample_patient.json  (every number, each block with the
#           R call that made it)
# The Python test reads only the CSV and JSON files; it never needs R.
#
# Protocol ldn-nof1-multicycle: baseline 14 days; 3 cycles of 28 days active + 28 days
# placebo, order random within each cycle (pairwise: 2^3 = 8 allocations); the first 7 days
# of every treatment period are an analytic washout (left out of active vs placebo);
# end point = last 3 observed days of a period; alpha 0.05.

suppressPackageStartupMessages({
  library(nlme)
  library(jsonlite)
})

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
ref_dir <- dirname(normalizePath(script))
repo <- dirname(dirname(ref_dir))
data_dir <- file.path(ref_dir, "data")
dir.create(data_dir, showWarnings = FALSE)
sample_dir <- file.path(repo, "sample_data", "ldn-nof1-multicycle")

OUTCOMES <- c("pain", "fatigue", "sleep_quality", "mood", "life_satisfaction")
BETTER <- c(pain = "lower", fatigue = "lower", sleep_quality = "higher", mood = "higher",
            life_satisfaction = "higher")
PRIMARY <- "pain"
BASELINE_DAYS <- 14
PERIOD_DAYS <- 28
CYCLES <- 3
WASHOUT <- 7
ENDPOINT_DAYS <- 3
ALPHA <- 0.05

# --- 1. Alignment of the sample patient from the unblinding key -----------------------------
key <- fromJSON(file.path(sample_dir, "P01-unblinding-key.json"))
start <- as.Date(key$start_date)
periods <- key$periods  # data.frame: period, cycle, treatment, first_date, last_date, ...

raw <- read.csv(file.path(sample_dir, "P01-diary.csv"), stringsAsFactors = FALSE)
raw$date <- as.Date(raw$date)

align_from_key <- function(d) {
  d$day <- as.integer(d$date - start) + 1L
  d$condition <- ifelse(d$day <= BASELINE_DAYS, "baseline", NA_character_)
  d$period <- NA_integer_
  d$cycle <- NA_integer_
  d$day_in_period <- NA_integer_
  for (i in seq_len(nrow(periods))) {
    inside <- d$date >= as.Date(periods$first_date[i]) & d$date <= as.Date(periods$last_date[i])
    d$condition[inside] <- periods$treatment[i]
    d$period[inside] <- periods$period[i]
    d$cycle[inside] <- periods$cycle[i]
    d$day_in_period[inside] <- as.integer(d$date[inside] - as.Date(periods$first_date[i])) + 1L
  }
  stopifnot(!anyNA(d$condition))
  d$included <- d$condition %in% c("active", "placebo") & d$day_in_period > WASHOUT
  d[order(d$day), ]
}

sample <- align_from_key(raw)
stopifnot(nrow(sample) == 182, all(sample$day == 1:182),
          sum(sample$condition == "baseline") == BASELINE_DAYS,
          all(table(sample$period) == PERIOD_DAYS),
          sum(sample$included) == 2 * CYCLES * (PERIOD_DAYS - WASHOUT))
# The unblinding key agrees with the protocol's calendar (baseline, then 28-day periods).
stopifnot(all(as.Date(periods$first_date) ==
                start + BASELINE_DAYS + PERIOD_DAYS * (seq_len(nrow(periods)) - 1)))

# --- 2. The condition diary: same data, condition column, 6 more whole days deleted ---------
# Deleted (none of them was already empty): a baseline day; the FIRST day of period 2
# (cycle 1 placebo; so the diary's placebo run starts one day late, and only the calendar
# says its day 8 is 2026-02-23); a day in the middle of period 3's included days; the LAST
# day of period 4 (moves its end point); a washout day of period 5; an included day of
# period 6.
deleted <- as.Date(c("2026-01-09", "2026-02-16", "2026-04-01", "2026-05-10", "2026-05-13",
                     "2026-06-23"))
stopifnot(all(deleted %in% sample$date),
          all(!is.na(sample$pain[match(deleted, sample$date)])))
kept <- sample[!(sample$date %in% deleted), ]
cond_csv <- data.frame(date = format(kept$date), condition = kept$condition,
                       kept[, OUTCOMES])
write.csv(cond_csv, file.path(data_dir, "condition_diary.csv"), row.names = FALSE, na = "",
          quote = FALSE)

# Read it back and align it WITHOUT the key: conditions from the column, the calendar from
# the protocol (day 1 = the diary's first date, which is kept; baseline 14 days; then 28-day
# periods). The condition column must be constant within each calendar period.
cd <- read.csv(file.path(data_dir, "condition_diary.csv"), stringsAsFactors = FALSE)
cd$date <- as.Date(cd$date)
cd$day <- as.integer(cd$date - min(cd$date)) + 1L
treat_day <- cd$day - BASELINE_DAYS
cd$period <- ifelse(treat_day >= 1, (treat_day - 1L) %/% PERIOD_DAYS + 1L, NA_integer_)
cd$cycle <- (cd$period + 1L) %/% 2L
cd$day_in_period <- ifelse(treat_day >= 1, (treat_day - 1L) %% PERIOD_DAYS + 1L, NA_integer_)
stopifnot(all((cd$condition == "baseline") == is.na(cd$period)),
          all(tapply(cd$condition[!is.na(cd$period)], cd$period[!is.na(cd$period)],
                     function(x) length(unique(x))) == 1))
cd$included <- cd$condition %in% c("active", "placebo") & cd$day_in_period > WASHOUT
cd <- cd[order(cd$day), ]
# ... which is the key's alignment minus the deleted days.
chk <- sample[!(sample$date %in% deleted), ]
stopifnot(nrow(cd) == 176, all(cd$day == chk$day), all(cd$condition == chk$condition),
          all(cd$period[!is.na(cd$period)] == chk$period[!is.na(chk$period)]),
          all(cd$included == chk$included))

# --- 3. Methods -----------------------------------------------------------------------------
# Tight optimizer tolerances so the reference is nlme's exact REML optimum (as in
# ar1_reference.R). corAR1(form = ~ day) on days with gaps is corARMA(p = 1) on the integer
# day, i.e. corr = phi^|day_i - day_j| (checked in ar1_reference.R, section 0).
ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-12, msMaxIter = 500, maxIter = 500)

gls_block <- function(formula, d, term, call) {
  g <- gls(formula, data = d, correlation = corAR1(form = ~ day), method = "REML",
           control = ctrl)
  tt <- summary(g)$tTable
  df <- g$dims$N - g$dims$p
  est <- unname(coef(g)[term])
  se <- tt[term, "Std.Error"]
  q <- qt(1 - ALPHA / 2, df)
  list(r_call = call, n = g$dims$N,
       estimate = est, se = se, df = df, ci_low = est - q * se, ci_high = est + q * se,
       p_value = tt[term, "p-value"],
       phi = unname(coef(g$modelStruct$corStruct, unconstrained = FALSE)),
       sigma = g$sigma, loglik = as.numeric(logLik(g)))
}

ttest_block <- function(tt, call) {
  est <- if (length(tt$estimate) == 2) unname(tt$estimate[1] - tt$estimate[2])
         else unname(tt$estimate)
  list(r_call = call, estimate = est, se = tt$stderr, df = unname(tt$parameter),
       ci_low = tt$conf.int[1], ci_high = tt$conf.int[2], p_value = tt$p.value,
       t = unname(tt$statistic))
}

# NAP oriented towards active: a pair counts 1 if the active day is better, 1/2 if tied.
# CI: Newcombe (2006) method 5 as in SingleCaseES::calc_NAP (solved with uniroot).
nap_block <- function(active, placebo, better) {
  m <- length(placebo); n <- length(active)
  win <- if (better == "lower") outer(placebo, active, function(p, a) (a < p) + 0.5 * (a == p))
         else outer(placebo, active, function(p, a) (a > p) + 0.5 * (a == p))
  nap <- mean(win)
  h <- (m + n) / 2 - 1
  z <- qnorm(1 - ALPHA / 2)
  f <- function(x) m * n * (nap - x)^2 * (2 - x) * (1 + x) -
    z^2 * x * (1 - x) * (2 + h + (1 + 2 * h) * x * (1 - x))
  tol <- 1e-13
  list(r_call = paste0("mean(outer(placebo, active, function(p, a) (a ", 
                       if (better == "lower") "<" else ">",
                       " p) + 0.5 * (a == p)));  CI: Newcombe method 5 as ",
                       "SingleCaseES::NAP(improvement = \"", 
                       if (better == "lower") "decrease" else "increase", "\")"),
       estimate = nap, n_pairs = m * n,
       ci_low = if (nap > 0) uniroot(f, c(0, nap), tol = tol)$root else 0,
       ci_high = if (nap < 1) uniroot(f, c(nap, 1), tol = tol)$root else 1)
}

# Randomization test over the 2^3 pairwise allocations: in allocation j, cycle c's order is
# the observed one or flipped; with equal 28-day periods the boundaries (and so the washout
# days) stay where they are and only the labels swap.
randomization_block <- function(y, treat, cycle) {
  stat <- function(tr) mean(y[tr == 1]) - mean(y[tr == 0])
  flips <- as.matrix(expand.grid(rep(list(c(FALSE, TRUE)), CYCLES)))
  t_all <- apply(flips, 1, function(f) stat(ifelse(f[cycle], 1 - treat, treat)))
  t_obs <- stat(treat)
  p <- mean(abs(t_all) >= abs(t_obs) - 1e-9)
  # The smallest p any allocation's data could give: the mirror allocation (every order
  # flipped) has T = -T_obs, so at least 2 of the 8 always tie.
  min_p <- min(sapply(t_all, function(t) mean(abs(t_all) >= abs(t) - 1e-9)))
  list(r_call = paste0("T = mean(y[treat == 1]) - mean(y[treat == 0]) for each of the 8 ",
                       "allocations (each cycle's order kept or flipped); ",
                       "p = mean(abs(T_j) >= abs(T_obs) - 1e-9)"),
       estimate = t_obs, p_value = p, n_allocations = nrow(flips), exact = TRUE,
       min_p = min_p, statistics = unname(t_all))
}

describe <- function(y, call) {
  q <- quantile(y, c(0.25, 0.75), type = 7, names = FALSE)
  list(r_call = call, n = length(y), mean = mean(y), sd = sd(y), median = median(y),
       q1 = q[1], q3 = q[2])
}

analyse_outcome <- function(d, outcome) {
  d$y <- d[[outcome]]
  obs <- d[!is.na(d$y), ]
  inc <- obs[obs$included, ]
  inc$treat <- as.integer(inc$condition == "active")
  a <- inc$y[inc$treat == 1]
  p <- inc$y[inc$treat == 0]
  base <- obs$y[obs$condition == "baseline"]

  am <- tapply(inc$y[inc$treat == 1], inc$cycle[inc$treat == 1], mean)
  pm <- tapply(inc$y[inc$treat == 0], inc$cycle[inc$treat == 0], mean)
  stopifnot(identical(names(am), names(pm)), length(am) == CYCLES)

  # Percent change at the end points: last 3 observed days of each period (all its days,
  # washout included), averaged over the condition's periods.
  endpoint <- function(cond) {
    per <- sort(unique(obs$period[obs$condition == cond]))
    ends <- sapply(per, function(k) {
      v <- obs$y[!is.na(obs$period) & obs$period == k]  # obs is sorted by day
      mean(tail(v, ENDPOINT_DAYS))
    })
    list(period_end_points = unname(ends), end_point = mean(ends))
  }
  pc <- lapply(c(active = "active", placebo = "placebo"), function(cond) {
    e <- endpoint(cond)
    c(list(r_call = paste0("(mean over ", cond, " periods of mean(tail(y[period == k], 3)) - ",
                           "mean(y[baseline])) / mean(y[baseline]) * 100"),
           percent = (e$end_point - mean(base)) / mean(base) * 100,
           baseline_mean = mean(base)), e)
  })

  vs_base <- lapply(c(active = "active", placebo = "placebo"), function(cond) {
    vb <- obs[obs$condition == "baseline" | (obs$included & obs$condition == cond), ]
    vb$cond <- as.integer(vb$condition == cond)
    gls_block(y ~ cond, vb, "cond", paste0(
      "nlme::gls(y ~ cond, data = rbind(baseline days, included ", cond, " days), ",
      "correlation = corAR1(form = ~ day), method = \"REML\")  # cond = 1 on ", cond))
  })

  list(
    better = unname(BETTER[outcome]),
    primary = outcome == PRIMARY,
    n_included = nrow(inc),
    gls_ar1 = gls_block(y ~ treat, inc, "treat", paste0(
      "nlme::gls(y ~ treat, data = included, correlation = corAR1(form = ~ day), ",
      "method = \"REML\", control = glsControl(tolerance = 1e-10, msTol = 1e-12))")),
    gls_ar1_trend = gls_block(y ~ treat + day, inc, "treat", paste0(
      "nlme::gls(y ~ treat + day, data = included, correlation = corAR1(form = ~ day), ",
      "method = \"REML\", control = glsControl(tolerance = 1e-10, msTol = 1e-12))")),
    welch_t = ttest_block(t.test(a, p), "t.test(y[treat == 1], y[treat == 0])"),
    paired_periods = c(ttest_block(t.test(am, pm, paired = TRUE),
                                   "t.test(active_means, placebo_means, paired = TRUE)"),
                       list(active_means = unname(am), placebo_means = unname(pm))),
    randomization = randomization_block(inc$y, inc$treat, inc$cycle),
    nap = nap_block(a, p, BETTER[[outcome]]),
    descriptive = list(
      baseline = describe(base, "y[condition == \"baseline\" & !is.na(y)]"),
      active = describe(a, "y[included & condition == \"active\" & !is.na(y)]"),
      placebo = describe(p, "y[included & condition == \"placebo\" & !is.na(y)]")),
    percent_change = pc,
    vs_baseline = vs_base
  )
}

analyse <- function(d) {
  res <- lapply(setNames(OUTCOMES, OUTCOMES), function(o) analyse_outcome(d, o))
  secondary <- setdiff(OUTCOMES, PRIMARY)
  holm <- p.adjust(sapply(secondary, function(o) res[[o]]$gls_ar1$p_value), method = "holm")
  for (o in OUTCOMES) {
    res[[o]]["p_holm"] <- if (o == PRIMARY) list(NULL) else list(list(
      r_call = paste0("p.adjust(c(", paste(secondary, collapse = ", "),
                      ")$gls_ar1$p_value, method = \"holm\")"),
      value = unname(holm[o])))
  }
  res
}

expected <- list(
  generated_by = "tests/reference/sample_patient_reference.R",
  r_version = R.version.string,
  nlme_version = as.character(packageVersion("nlme")),
  r_calls = list(
    alignment = paste0(
      "day = date - start_date + 1 (start_date from the key; for the condition diary its ",
      "first date); days 1-14 baseline; period k = the key's first_date..last_date (condition ",
      "diary: days 15 + 28(k - 1) .. 14 + 28k, condition from the column); included = ",
      "active/placebo day with day_in_period > 7 (analytic washout)"),
    treat = "treat = 1 on active, 0 on placebo; only included days with y observed",
    gls_ar1 = paste0("nlme::gls(y ~ treat, correlation = corAR1(form = ~ day), method = ",
                     "\"REML\"); df = n - 2; CI = est +- qt(0.975, df) * se; ",
                     "phi = coef(g$modelStruct$corStruct, unconstrained = FALSE)"),
    gls_ar1_trend = "nlme::gls(y ~ treat + day, ...) as gls_ar1; df = n - 3",
    welch_t = "t.test(y[treat == 1], y[treat == 0])  # estimate = mean(active) - mean(placebo)",
    paired_periods = paste0("t.test(active_means, placebo_means, paired = TRUE)  # per-cycle ",
                            "means of included observed days"),
    randomization = paste0("8 pairwise allocations (each cycle kept or flipped); T = ",
                           "mean(active) - mean(placebo); p = mean(abs(T_j) >= abs(T_obs) - ",
                           "1e-9); min_p = 2/8"),
    nap = paste0("mean over (active, placebo) pairs of 1{active better} + 0.5 * 1{tie}; ",
                 "Newcombe method-5 CI"),
    descriptive = paste0("n, mean, sd, median, quantile(y, c(.25, .75), type = 7); baseline: ",
                         "all observed baseline days; active/placebo: included observed days"),
    percent_change = paste0("end point of a period = mean(tail(observed y of the period, 3)); ",
                            "condition end point = mean over its periods; (end point - ",
                            "mean(baseline)) / mean(baseline) * 100"),
    vs_baseline = paste0("nlme::gls(y ~ cond, correlation = corAR1(form = ~ day), method = ",
                         "\"REML\") on baseline days + the condition's included days"),
    p_holm = paste0("p.adjust(gls_ar1 p of fatigue, sleep_quality, mood, life_satisfaction, ",
                    "method = \"holm\"); pain (primary) is not in the family")),
  datasets = list(
    sample_patient = list(
      diary = "sample_data/ldn-nof1-multicycle/P01-diary.csv",
      allocation = "sample_data/ldn-nof1-multicycle/P01-unblinding-key.json",
      rows = nrow(sample), observed_days = sum(!is.na(sample$pain)),
      included_days = sum(sample$included),
      included_observed_days = sum(sample$included & !is.na(sample$pain)),
      calendar_days = max(sample$day),
      included_observed_day_numbers = sample$day[sample$included & !is.na(sample$pain)]),
    condition_diary = list(
      diary = "tests/reference/data/condition_diary.csv",
      deleted_dates = format(deleted),
      rows = nrow(cd), observed_days = sum(!is.na(cd$pain)),
      included_days = sum(cd$included),
      included_observed_days = sum(cd$included & !is.na(cd$pain)),
      calendar_days = max(cd$day),
      included_observed_day_numbers = cd$day[cd$included & !is.na(cd$pain)])),
  sample_patient = analyse(sample),
  condition_diary = analyse(cd)
)

for (name in c("sample_patient", "condition_diary")) {
  for (o in OUTCOMES) {
    e <- expected[[name]][[o]]
    cat(sprintf(
      "%-15s %-17s n=%3d gls b=%8.4f se=%6.4f p=%.4g phi=%6.4f | welch %8.4f | rand p=%.3f | nap %.4f\n",
      name, o, e$n_included, e$gls_ar1$estimate, e$gls_ar1$se, e$gls_ar1$p_value,
      e$gls_ar1$phi, e$welch_t$estimate, e$randomization$p_value, e$nap$estimate))
  }
}

write_json(expected, file.path(ref_dir, "expected_sample_patient.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE, null = "null")
