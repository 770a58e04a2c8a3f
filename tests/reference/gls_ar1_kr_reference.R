# Reference values for gls_ar1_kr (tests/analysis/test_gls_ar1_kr.py): R's Satterthwaite degrees
# of freedom of the GLS AR(1) treatment effect.
#
# Run from anywhere:  Rscript tests/reference/gls_ar1_kr_reference.R
# Needs: R >= 4.1 with nlme, emmeans and jsonlite (Debian: r-cran-nlme r-cran-emmeans
#        r-cran-jsonlite).
# Reads: tests/reference/data/<name>.csv (the diaries written by ar1_reference.R)
# Writes: tests/reference/expected_gls_ar1_kr.json (every number with the R call that made it)
#
# gls_ar1_kr tests b1 with the Kenward-Roger covariance on Satterthwaite degrees of freedom.
# For one contrast, Kenward-Roger's df equals Satterthwaite's df 2 v² / (gᵀ W g) computed
# from the model-based variance v (Kenward & Roger 1997, with l = 1), which emmeans computes
# for a gls fit with mode = "satterthwaite" from nlme's apVar (W: the inverse observed REML
# information of the variance parameters). No R package does Kenward-Roger for gls, so the
# Kenward-Roger covariance itself is checked against the dense oracle tests/oracles/ar1_kr.py.

suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(jsonlite)
})

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
ref_dir <- dirname(normalizePath(script))
data_dir <- file.path(ref_dir, "data")

# As ar1_reference.R: tight tolerances, so the reference is nlme's exact REML optimum.
ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-12, msMaxIter = 500, maxIter = 500)

expected <- list(
  generated_by = "tests/reference/gls_ar1_kr_reference.R",
  r_version = R.version.string,
  nlme_version = as.character(packageVersion("nlme")),
  emmeans_version = as.character(packageVersion("emmeans")),
  datasets = list()
)

for (name in c("strong_positive", "negative_phi", "trend", "washout_gaps")) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")))
  g <- gls(y ~ treat, data = d, correlation = corAR1(form = ~ day), method = "REML",
           control = ctrl)
  emm <- emmeans(g, ~ treat, at = list(treat = c(0, 1)), mode = "satterthwaite")
  ct <- summary(contrast(emm, list(effect = c(-1, 1))), infer = TRUE)
  expected$datasets[[name]] <- list(
    r_call = paste0(
      "emmeans::contrast(emmeans::emmeans(nlme::gls(y ~ treat, data = d, ",
      "correlation = corAR1(form = ~ day), method = \"REML\"), ~ treat, ",
      "at = list(treat = c(0, 1)), mode = \"satterthwaite\"), list(effect = c(-1, 1)))"),
    n = nrow(d),
    estimate = ct$estimate,
    se = ct$SE,
    df = ct$df,
    p_value = ct$p.value,
    phi = unname(coef(g$modelStruct$corStruct, unconstrained = FALSE)),
    sigma = g$sigma,
    apVar = unname(g$apVar[, ]),
    apVar_parameters = colnames(g$apVar)
  )
  cat(sprintf("%-16s n=%3d  b=%9.5f se=%8.5f df=%9.4f phi=%8.5f\n", name, nrow(d),
              ct$estimate, ct$SE, ct$df, expected$datasets[[name]]$phi))
}

write_json(expected, file.path(ref_dir, "expected_gls_ar1_kr.json"), digits = NA,
           auto_unbox = TRUE, pretty = TRUE)
