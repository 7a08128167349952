"""A dbt-duckdb plugin (profiles.yml, `plugins`) that takes what dbt holds for the whole command out of Python's
cyclic garbage collector once the build starts.

dbt-duckdb creates its plugins when dbt opens the first connection: the manifest, the graph and the adapter's
macros are loaded by then (about 290,000 objects in this project) and live until dbt exits. Each full collection
walks every one of them, holding the interpreter lock over both of dbt's threads: 13-15 of them took 1.6-2.1 s in
the demo's build. `gc.freeze` moves them to the permanent generation, where the collector no longer looks.
Reference counting still frees them, so nothing stays alive that would otherwise be freed, except a reference
cycle that was already garbage at the freeze (none that matters: dbt has loaded, not yet built). The objects a
build makes afterwards (compiled nodes, Python models' frames) are collected as before.
"""

from __future__ import annotations

import gc

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        gc.freeze()
