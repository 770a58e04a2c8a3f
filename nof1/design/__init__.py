"""Trial design: timelines, randomization schemes and blinding artifacts."""
