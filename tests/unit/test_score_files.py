"""The scores table and its sidecar from files (trialmri.bids.score_files), on the dataset of
tests/unit/test_scores.py."""

import json

from test_scores import SCORES, dataset  # noqa: F401 (a fixture)

from trialmri.bids.score_files import write_scores
from trialmri.bids.scores import score_metadata, score_specs
from trialmri.tables import read_tsv


def test_write_scores_writes_the_table_and_its_sidecar_keys_first(dataset, tmp_path):  # noqa: F811
    specs = score_specs(SCORES["phenotype"])
    meta = score_metadata(dataset, specs)
    line = write_scores(dataset, specs, [dataset / "sub-290" / "sub-290_sessions.tsv"], meta,
                        tmp_path / "scores.tsv", tmp_path / "scores.json")
    sidecar = json.loads((tmp_path / "scores.json").read_text())
    assert list(sidecar)[:2] == ["participant_id", "session_id"] and set(specs) <= set(sidecar)
    table = read_tsv(tmp_path / "scores.tsv")
    assert line.startswith(f"4 scores over 2 participants and {len(table)} sessions: madrs from phenotype/madrs.tsv")
