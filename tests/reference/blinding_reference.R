# Reference for the blinding indices and the paired comparison of side-effect rates across
# patients (tests/series/test_harms_matches_r.py).
#
# Run from anywhere:  Rscript tests/reference/blinding_reference.R
# Needs: R >= 4.1 with jsonlite.
# Writes: tests/reference/expected_blinding.json (every number with the R call beside it).
#
# The R package BI (Schwartz & Mercaldo) is not in Debian, so Bang's and James' indices are
# computed here by hand, cell by cell, from the published formulas:
#   Bang H, Ni L, Davis CE. Assessment of blinding in clinical trials. Control Clin Trials
#     2004;25:143-156.
#   James KE, Bloch DA, Lee KK, Kraemer HC, Fuller RK. An index for assessing blindness in a
#     multi-centre clinical trial. Stat Med 1996;15:1421-1434.
# A table has rows = the guess (treated, control, don't know) and columns = the arm taken
# (treated, control). The first table is the BI package's own example (its documented
# output: James 0.896 (se 0.011); Bang 0.115 (0.018) and 0.022 (0.019)).

suppressPackageStartupMessages(library(jsonlite))

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
ref_dir <- dirname(normalizePath(script))
z <- qnorm(0.975)

# Bang's index of arm j: (correct - incorrect) / n_j, n_j including "don't know";
# Var = (pc (1 - pc) + pi (1 - pi) + 2 pc pi) / n_j.
bang <- function(tab, j) {
  n <- sum(tab[, j])
  correct <- tab[j, j]
  incorrect <- tab[3 - j, j]
  pc <- correct / n
  pi <- incorrect / n
  est <- pc - pi
  se <- sqrt((pc * (1 - pc) + pi * (1 - pi) + 2 * pc * pi) / n)
  list(estimate = est, se = se, ci_low = est - z * se, ci_high = est + z * se)
}

# James' index with disagreement weights 0 (right) and 1/2 (wrong).
james <- function(tab) {
  w <- matrix(c(0, 0.5, 0.5, 0), 2, 2)
  N <- sum(tab)
  p <- tab / N
  pdk <- sum(p[3, ])
  prow <- c(sum(p[1, ]), sum(p[2, ]))  # guess margins
  qcol <- c(p[1, 1] + p[2, 1], p[1, 2] + p[2, 2])  # arm margins of those who guessed
  po <- 0
  W <- 0
  for (i in 1:2) for (j in 1:2) {
    po <- po + w[i, j] * p[i, j]
    W <- W + w[i, j] * prow[i] * qcol[j]
  }
  po <- po / (1 - pdk)
  pe <- W / (1 - pdk)^2
  kd <- (po - pe) / pe
  est <- (1 + pdk + (1 - pdk) * kd) / 2
  v1 <- 0
  for (i in 1:2) for (j in 1:2) {
    s <- 0
    for (r in 1:2) s <- s + w[r, j] * prow[r] + w[i, r] * qcol[r]
    v1 <- v1 + p[i, j] * (1 - pdk)^2 * ((1 - pdk) * w[i, j] - (1 + kd) * s)^2
  }
  v1 <- v1 / (4 * W^2)
  v2 <- pdk * (1 - pdk) - (1 - pdk) * (1 + kd) * (pdk + (1 - pdk) * (1 + kd) / 4)
  se <- sqrt((v1 + v2) / N)
  list(estimate = est, se = se, ci_low = est - z * se, ci_high = est + z * se,
       unsure_share = pdk)
}

tables <- list(
  bi_package_example = matrix(c(48, 4, 330, 22, 30, 319), 3, 2),
  small_series = matrix(c(9, 2, 1, 3, 8, 1), 3, 2),
  no_unsure = matrix(c(7, 5, 0, 5, 7, 0), 3, 2)
)
blinding <- lapply(names(tables), function(name) {
  tab <- tables[[name]]
  list(
    name = name,
    table = lapply(1:3, function(i) as.numeric(tab[i, ])),  # rows: guess; columns: arm
    bang_treated = bang(tab, 1),
    bang_control = bang(tab, 2),
    james = james(tab),
    call = "by hand from Bang et al. 2004 and James et al. 1996 (see the script)"
  )
})

# The paired comparison of side-effect rates across patients: t.test(x, y, paired = TRUE).
treated <- c(0.20, 0.10, 0.35, 0.05, 0.15, 0.25)
control <- c(0.05, 0.10, 0.10, 0.00, 0.10, 0.30)  # days out of 20, as the test builds them
tt <- t.test(treated, control, paired = TRUE)
paired <- list(
  treated = treated,
  control = control,
  estimate = unname(tt$estimate),
  se = unname(tt$stderr),
  df = unname(tt$parameter),
  t = unname(tt$statistic),
  ci_low = tt$conf.int[1],
  ci_high = tt$conf.int[2],
  p_value = tt$p.value,
  call = "t.test(treated, control, paired = TRUE)"
)

out <- list(r_version = R.version.string, blinding = blinding, paired_rates = paired)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(ref_dir, "expected_blinding.json"))
cat("wrote", file.path(ref_dir, "expected_blinding.json"), "\n")
