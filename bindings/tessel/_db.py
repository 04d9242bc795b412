"""Reading a tessel results database (docs/database.md) into pandas."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from typing import Optional

import pandas as pd

from . import _tessel

__all__ = ["Database", "read_db"]

# 4 adds the sweep tables, 5 two schedule_layers columns, 6 runs.complete / owner and
# networks.source
_SCHEMA_VERSIONS = ("3", "4", "5", "6")

# The mapping columns of schedule_layers and candidates holding JSON text.
_JSON_COLUMNS = ("level_bytes", "level_energy_pj", "transfers", "bytes_moved",
                 "peak_level_bytes", "nests", "slice", "step_order")


@dataclass
class Database:
    """The tables of a results database as DataFrames.

    ``runs``, ``socs``, ``networks``, ``layers`` are the tables as stored (``socs``
    without its ``yaml`` text column: ``yaml(soc_id)`` returns it). ``schedules`` adds
    ``network`` and ``soc`` names; ``schedule_layers`` (one row per part of every
    schedule step) and ``candidates`` add ``run_id`` (schedule_layers), ``network`` and
    ``layer`` names; ``schedule_tensors`` holds every schedule's tensors and their
    placement in the memory plan, ``schedule_memory`` its arena and lower bound per level.
    Only complete runs are read (docs/reliability.md).
    JSON columns (level_bytes, level_energy_pj, transfers, bytes_moved,
    peak_level_bytes, nests, slice, step_order) are parsed into dicts / lists. With ``run`` given,
    only that run's rows are read.
    """

    path: str
    runs: pd.DataFrame
    socs: pd.DataFrame
    networks: pd.DataFrame
    layers: pd.DataFrame
    schedules: pd.DataFrame
    schedule_layers: pd.DataFrame
    candidates: pd.DataFrame
    schedule_tensors: pd.DataFrame
    schedule_memory: pd.DataFrame

    def yaml(self, soc_id: int) -> str:
        """The full YAML text of a stored SoC."""
        with _connect(self.path) as con:
            row = con.execute("SELECT yaml FROM socs WHERE id=?", (int(soc_id),)).fetchone()
        if row is None:
            raise _tessel.StoreError(f"database '{self.path}' has no SoC {soc_id}")
        return row[0]

    def schedule(self, schedule_id: int) -> "_tessel.core.NetworkSchedule":
        """A stored schedule read back by the C++ store as a native NetworkSchedule."""
        return _tessel.store.Database(self.path, read_only=True).load_schedule(int(schedule_id))

    def __repr__(self) -> str:
        return (f"tessel.Database('{self.path}': {len(self.runs)} runs, "
                f"{len(self.schedules)} schedules, {len(self.candidates)} candidates)")


def _connect(path: str) -> sqlite3.Connection:
    # mode=rw: a path that does not exist is an error, not a new empty file; and the
    # connection may tidy the WAL files on close. Read-only files open with mode=ro.
    base = "file:" + path.replace("?", "%3f").replace("#", "%23")
    if os.access(path, os.W_OK) and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
        return sqlite3.connect(base + "?mode=rw", uri=True)
    return sqlite3.connect(base + "?mode=ro", uri=True)


def _parse_json(df: pd.DataFrame) -> pd.DataFrame:
    for col in _JSON_COLUMNS:
        if col in df.columns:
            df[col] = [json.loads(v) if isinstance(v, str) else v for v in df[col]]
    return df


def read_db(path: "str | os.PathLike[str]", run: Optional[int] = None) -> Database:
    """Reads a results database written by ``tessel explore --db`` or
    :meth:`ExploreResult.to_sqlite`. Raises :class:`tessel.IoError` when the file does not
    exist, :class:`tessel.StoreError` when it is not a tessel database of schema 3 to 6.
    Only complete runs are read: one still being written, or one whose process was
    killed, is left out."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise _tessel.IoError(f"cannot open database '{p}': no such file")
    try:
        con = _connect(p)
    except sqlite3.Error as e:
        raise _tessel.StoreError(f"database '{p}': {e}") from None
    try:
        try:
            row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.Error as e:
            raise _tessel.StoreError(f"database '{p}' is not a tessel results database "
                                     f"({e})") from None
        if row is None or row[0] not in _SCHEMA_VERSIONS:
            raise _tessel.StoreError(
                f"database '{p}' has schema version {row[0] if row else 'none'}, "
                f"this tessel reads {' and '.join(_SCHEMA_VERSIONS)}")
        # Only complete runs (docs/reliability.md): a run still being written, or one
        # whose process was killed, is left out. Before schema 6 a run that ended
        # recorded its wall time.
        ended = "complete = 1" if row[0] == "6" else "wall_s IS NOT NULL"
        only = "" if run is None else " AND id = :run"
        done = f"(SELECT id FROM runs WHERE {ended}{only})"
        params = {} if run is None else {"run": int(run)}

        def q(sql: str) -> pd.DataFrame:
            return pd.read_sql(sql, con, params=params)

        runs = q(f"SELECT * FROM runs WHERE id IN {done}")
        socs = pd.read_sql("SELECT id, name, hash, frequency_hz FROM socs", con)
        networks = q(f"SELECT * FROM networks WHERE run_id IN {done}")
        layers = q("SELECT n.run_id, n.name AS network, l.* FROM layers l "
                   f"JOIN networks n ON n.id = l.network_id WHERE n.run_id IN {done}"
                   " ORDER BY l.network_id, l.idx")
        schedules = q("SELECT s.*, n.name AS network, c.name AS soc FROM schedules s "
                      "JOIN networks n ON n.id = s.network_id JOIN socs c ON c.id = s.soc_id"
                      f" WHERE s.run_id IN {done} ORDER BY s.id")
        schedule_layers = q(
            "SELECT s.run_id, n.name AS network, l.name AS layer, sl.* "
            "FROM schedule_layers sl JOIN schedules s ON s.id = sl.schedule_id "
            "JOIN layers l ON l.id = sl.layer_id JOIN networks n ON n.id = l.network_id"
            f" WHERE s.run_id IN {done} ORDER BY sl.schedule_id, sl.step, sl.part")
        schedule_tensors = q(
            "SELECT s.run_id, t.* FROM schedule_tensors t JOIN schedules s "
            f"ON s.id = t.schedule_id WHERE s.run_id IN {done} ORDER BY t.schedule_id, t.rowid")
        schedule_memory = q(
            "SELECT s.run_id, m.* FROM schedule_memory m JOIN schedules s "
            f"ON s.id = m.schedule_id WHERE s.run_id IN {done} ORDER BY m.schedule_id, m.rowid")
        candidates = q(
            "SELECT n.name AS network, l.name AS layer, c.* FROM candidates c "
            "JOIN layers l ON l.id = c.layer_id JOIN networks n ON n.id = l.network_id"
            f" WHERE c.run_id IN {done} ORDER BY c.id")
    except sqlite3.Error as e:
        raise _tessel.StoreError(f"database '{p}': {e}") from None
    finally:
        con.close()
    return Database(p, runs, socs, networks, layers, _parse_json(schedules),
                    _parse_json(schedule_layers), _parse_json(candidates), schedule_tensors,
                    schedule_memory)
