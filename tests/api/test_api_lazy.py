"""`import nof1` stays cheap; the API is listed; nof1.series and nof1.power are both."""

from __future__ import annotations

import inspect
import subprocess
import sys

import nof1

API = [
    "AnalysisResult",
    "PowerResult",
    "SeriesResult",
    "analyze",
    "power",
    "read_protocol",
    "series",
]


def test_import_nof1_loads_no_heavy_library():
    code = (
        "import sys, nof1; heavy = {'pandas', 'numpy', 'scipy', 'plotly', 'pydantic', 'click'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_api_is_listed():
    assert sorted(nof1.__all__) == API
    listed = dir(nof1)
    assert all(name in listed for name in API) and "__version__" in listed
    assert not [n for n in listed if n.startswith("_") and not n.endswith("__")]


def test_series_and_power_are_packages_and_functions():
    import nof1.power as power_package
    import nof1.series as series_package

    assert nof1.series is series_package and nof1.power is power_package
    assert callable(nof1.series) and callable(nof1.power)
    assert nof1.series.analyze_series.__module__ == "nof1.series.run"  # still the package
    assert "effect" in inspect.signature(nof1.power).parameters
    assert list(inspect.signature(nof1.series).parameters)[:3] == [
        "diaries",
        "protocol",
        "allocations",
    ]


def test_series_is_callable_however_it_was_first_imported():
    code = (
        "from nof1.series import analyze_series\nimport nof1\n"
        "from nof1 import power\nprint(callable(nof1.series), callable(power))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True True"


def test_read_protocol_gives_a_protocol_file_that_shows_its_summary():
    from nof1.protocol import ProtocolFile, read_protocol

    pf = nof1.read_protocol("ldn-nof1-multicycle")
    plain = read_protocol("ldn-nof1-multicycle")
    assert isinstance(pf, ProtocolFile) and pf.protocol == plain.protocol
    assert (pf.path, pf.text, pf.sha256) == (plain.path, plain.text, plain.sha256)
    assert "id: ldn-nof1-multicycle (version 1)" in pf.summary()
    assert pf.text not in repr(pf) and len(repr(pf)) < 300
    assert pf._repr_html_().startswith('<pre class="nof1-protocol">Low-dose naltrexone')
