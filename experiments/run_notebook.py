#!/usr/bin/env python3
"""Executes a Jupyter notebook end to end with nbclient; fails on the first cell error.

    PYTHONPATH=build/python /usr/bin/python3 experiments/run_notebook.py NOTEBOOK.ipynb
        [--workdir DIR] [--save OUT.ipynb] [--timeout SECONDS]

The notebook runs in --workdir (default: a new temporary directory, removed
afterwards), where it writes its tables, plots and SQLite file. The kernel is
the interpreter running this script (a temporary kernelspec, so whatever
`python3` kernel is installed does not matter) and inherits its environment,
PYTHONPATH included. --save writes the executed notebook (outputs included),
e.g. to refresh the checked-in copy. CTest runs this on every notebook of
experiments/notebooks/ (tests/CMakeLists.txt).
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

KERNEL = "tessel-python3"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("--workdir", help="directory the notebook runs in (kept)")
    ap.add_argument("--save", help="write the executed notebook here")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = ap.parse_args()

    scratch = tempfile.mkdtemp(prefix="tessel-notebook-")
    try:
        # A kernelspec for this very interpreter, found first through JUPYTER_PATH.
        spec_dir = os.path.join(scratch, "jupyter", "kernels", KERNEL)
        os.makedirs(spec_dir)
        with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
            json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f",
                                "{connection_file}"],
                       "display_name": "Python 3 (tessel)", "language": "python"}, f)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [os.path.join(scratch, "jupyter")] +
            [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p])
        # The kernel runs in the work directory: relative PYTHONPATH entries must not move.
        if os.environ.get("PYTHONPATH"):
            os.environ["PYTHONPATH"] = os.pathsep.join(
                os.path.abspath(p) for p in os.environ["PYTHONPATH"].split(os.pathsep) if p)
        # ipykernel's debugger warns about frozen modules on stderr otherwise.
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        workdir = os.path.abspath(args.workdir) if args.workdir else \
            os.path.join(scratch, "work")
        os.makedirs(workdir, exist_ok=True)

        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

        nb = nbformat.read(args.notebook, as_version=4)
        kernelspec = nb.metadata.get("kernelspec")
        client = NotebookClient(nb, timeout=args.timeout, kernel_name=KERNEL,
                                resources={"metadata": {"path": workdir}})
        start = time.monotonic()
        try:
            client.execute()
        except CellExecutionError as e:
            print(f"{args.notebook}: a cell failed:\n{e}", file=sys.stderr)
            return 1
        elapsed = time.monotonic() - start
        if kernelspec is not None:
            nb.metadata["kernelspec"] = kernelspec
        if args.save:
            nbformat.write(nb, args.save)
        cells = sum(1 for c in nb.cells if c.cell_type == "code")
        outputs = sorted(os.listdir(workdir))
        print(f"{args.notebook}: {cells} code cells executed in {elapsed:.1f} s; "
              f"wrote {', '.join(outputs) or 'nothing'}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
