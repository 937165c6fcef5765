"""Coverage-guided fuzzing of gpf's readers with atheris (long-running; run by hand, not in CI).

    .venv/bin/python tools/fuzz_codec.py [CORPUS_DIR] [-max_total_time=3600] [-rss_limit_mb=1024]

Each input's first byte picks the target: 0 ``read_graphs`` (graph.dgl), 1 ``read_tensors``
(node_feat.dgl...), 2 ``read_graphbolt`` (.pt), 3 the config parser (JSON bytes).  The rest of the
input is the file.  The contract: the reader returns or raises its own error class
(FormatError; ConfigError/UnsupportedError for configs); anything else — another exception, a crash,
RSS over ``-rss_limit_mb`` (an allocation from a size the file only claims) — is a finding that
libFuzzer reports and saves as ``crash-*``.  Seed the corpus with real files for speed, e.g.
``mkdir corpus && for f in .cache/oracle/*/*/part0/*.dgl; do (printf '\\x00'; cat $f) > corpus/$(basename $f).g; done``.
The short property-based version of the same contract runs in CI: tests/test_fuzz.py
(``GPF_FUZZ_PROFILE=long`` runs it long).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from gpf.errors import ConfigError, FormatError, UnsupportedError
    from gpf.sdk.codecs.dgl_graph import read_graphs
    from gpf.sdk.codecs.dgl_tensors import read_tensors
    from gpf.sdk.codecs.graphbolt import read_graphbolt
    from gpf.spec import decode_config_json, parse_config


def _config(data: bytes) -> None:
    parse_config(decode_config_json(data))


TARGETS = (read_graphs, read_tensors, read_graphbolt, _config)
EXPECTED = (FormatError, ConfigError, UnsupportedError)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    target = TARGETS[data[0] % len(TARGETS)]
    try:
        target(bytes(data[1:]))
    except EXPECTED:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
