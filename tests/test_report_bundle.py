"""The report's Vega bundle (Vega, Vega-Lite and vega-embed, inlined so the page needs no network): built once per
installed version, then read from the user's cache folder."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.unit


def test_the_vega_bundle_is_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    import vl_convert

    from orchestration.report.render import bundle_cache_path, vega_bundle

    # a cache folder that cannot be written only costs the build
    (tmp_path / "not_a_folder").write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not_a_folder"))
    built = vega_bundle()
    assert "vegaEmbed" in built

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert vega_bundle() == built
    cache = bundle_cache_path()
    assert cache.parent == tmp_path / "cache" / "genai-finops"
    assert [p.name for p in cache.parent.iterdir()] == [cache.name]  # written whole: no temporary file left
    assert cache.read_text(encoding="utf-8") == built

    def build_again(**kwargs):
        raise AssertionError("the bundle was built again instead of read from the cache")

    monkeypatch.setattr(vl_convert, "javascript_bundle", build_again)
    assert vega_bundle() == built

    # no cache folder at all (neither $XDG_CACHE_HOME nor a home folder): the bundle is built, nothing is kept
    monkeypatch.undo()
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home(cls):
        raise RuntimeError("Could not determine home directory.")  # what pathlib raises

    monkeypatch.setattr(Path, "home", classmethod(no_home))
    assert vega_bundle() == built
