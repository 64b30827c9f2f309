"""Redraw every diagram and write it into its notebook: `python -m diagrams`.

Options: `--out DIR` also saves each diagram as PNG and SVG files in DIR, to look at;
`--check` changes nothing and exits with status 1 if a notebook is not up to date.
Run it from anywhere; notebooks are found relative to the repository.
"""

import argparse
import sys
from pathlib import Path

from diagrams.embed import ROOT, all_diagrams, update


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m diagrams", description=__doc__)
    parser.add_argument("--out", type=Path, help="also save PNG and SVG files here")
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)

    diagrams = all_diagrams()
    pngs = {}
    for d in diagrams:
        canvas = d.module.draw()
        pngs[d.name] = canvas.png()
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{d.name}.png").write_bytes(pngs[d.name])
            (args.out / f"{d.name}.svg").write_text(canvas.svg())
    notebooks = {d.notebook for d in diagrams} | {
        str(p.relative_to(ROOT)) for p in ROOT.glob("chapters/**/*.ipynb")
    }
    stale = []
    for notebook in sorted(notebooks):
        path = ROOT / notebook
        text = path.read_text()
        new = update(text, [d for d in diagrams if d.notebook == notebook], pngs)
        if new != text:
            stale.append(notebook)
            if not args.check:
                path.write_text(new)
    verb = "stale" if args.check else "updated"
    for notebook in stale:
        print(f"{verb}: {notebook}")
    print(f"{len(diagrams)} diagrams, {len(stale)} notebooks {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
