"""HTML reports: one self-contained page per patient, series or power analysis."""
