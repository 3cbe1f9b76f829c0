"""The shipped data files are parsed once per machine: the cache gives back what the file says."""

from __future__ import annotations

from pathlib import Path

import yaml

from flowlogs.datafiles import load_data_file


def test_the_cache_returns_the_parsed_file_and_follows_edits(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FLOWLOGS_NO_CACHE", raising=False)
    data = tmp_path / "table.yaml"
    data.write_text("version: '1.0'\ncodes: {drop: 1}\n")
    assert load_data_file(data) == {"version": "1.0", "codes": {"drop": 1}}
    assert len(list((tmp_path / "cache" / "flowlogs" / "data").glob("table-*.pickle"))) == 1
    assert load_data_file(data) == yaml.safe_load(data.read_text())  # from the cache
    data.write_text("version: '1.1'\n")  # an edited file is read again
    assert load_data_file(data) == {"version": "1.1"}


def test_an_unwritable_or_broken_cache_is_no_error(tmp_path: Path, monkeypatch):
    data = tmp_path / "table.yaml"
    data.write_text("a: 1\n")
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a file where the directory would be
    assert load_data_file(data) == {"a": 1}
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    load_data_file(data)
    (cached,) = (tmp_path / "cache" / "flowlogs" / "data").glob("table-*.pickle")
    cached.write_bytes(b"not a pickle")
    assert load_data_file(data) == {"a": 1}
    monkeypatch.setenv("FLOWLOGS_NO_CACHE", "1")
    assert load_data_file(data) == {"a": 1}
