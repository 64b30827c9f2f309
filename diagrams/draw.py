"""A tiny drawing helper for the book's diagrams, on top of Matplotlib.

Coordinates are pixels of the diagram at its design size, with the origin at the top
left and y growing downwards, as in SVG. Font sizes are pixels too. The PNG is
rendered at `SCALE` times the design size, so it stays sharp when a page shrinks it.
Text uses DejaVu Sans, which ships with Matplotlib, so every machine draws the same.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib
import matplotlib.style
import PIL
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon
from matplotlib.path import Path
from PIL import Image

SCALE = 1.5
# The libraries that turn a drawing into PNG bytes; other versions may differ slightly.
RENDERER = f"matplotlib {matplotlib.__version__}, Pillow {PIL.__version__}"
FONT = "DejaVu Sans"
# Pages show a diagram about 680 pixels wide, smaller than most designs: text is drawn
# this much larger than its nominal size so that it stays readable there.
FONT_SCALE = 1.2
TEXT = "#1f2937"
FORWARD = "#374151"
GRADIENT = "#dc2626"
MUTED = "#9ca3af"

# One colour per role, used the same way in every diagram: (fill, edge).
KINDS = {
    "data": ("#dbeafe", "#2563eb"),  # inputs and outputs: tokens, images, targets
    "state": ("#ede9fe", "#7c3aed"),  # hidden states, codes, representations
    "state2": ("#ccfbf1", "#0d9488"),  # a second kind of state, e.g. the other direction
    "param": ("#fef3c7", "#d97706"),  # learned weights
    "op": ("#d1fae5", "#059669"),  # layers and functions
    "loss": ("#fee2e2", "#dc2626"),  # losses and objectives
    "label": ("#fce7f3", "#db2777"),  # class labels given to a model
    "noise": ("#f3f4f6", "#6b7280"),  # fixed or random inputs that are not learned
    "plain": ("#ffffff", "#374151"),
    "muted": ("#f3f4f6", "#d1d5db"),
}


def px_to_pt(size: float) -> float:
    """Convert a font size in design pixels (1/100 inch) to typographic points."""
    return size * 0.72 * FONT_SCALE


@dataclass(frozen=True)
class Box:
    """A drawn shape's centre and half-sizes, with the anchor points arrows attach to."""

    cx: float
    cy: float
    hw: float
    hh: float

    @property
    def left(self) -> tuple[float, float]:
        """Midpoint of the left edge."""
        return (self.cx - self.hw, self.cy)

    @property
    def right(self) -> tuple[float, float]:
        """Midpoint of the right edge."""
        return (self.cx + self.hw, self.cy)

    @property
    def top(self) -> tuple[float, float]:
        """Midpoint of the top edge."""
        return (self.cx, self.cy - self.hh)

    @property
    def bottom(self) -> tuple[float, float]:
        """Midpoint of the bottom edge."""
        return (self.cx, self.cy + self.hh)

    @property
    def center(self) -> tuple[float, float]:
        """The centre."""
        return (self.cx, self.cy)

    def at(self, fx: float, fy: float) -> tuple[float, float]:
        """Point at fractions (fx, fy) of the box: (-1, -1) top left, (1, 1) bottom right."""
        return (self.cx + fx * self.hw, self.cy + fy * self.hh)


class Canvas:
    """A white drawing area of `width` x `height` design pixels."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.fig = Figure(figsize=(width / 100, height / 100))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float = 13,
        color: str = TEXT,
        ha: str = "center",
        va: str = "center",
        bold: bool = False,
        italic: bool = False,
        rotation: float = 0,
        background: str | None = None,
        z: int = 5,
    ) -> None:
        """Write `s` (Matplotlib mathtext allowed) with its anchor at (x, y).

        With `background`, the text sits on a patch of that colour that hides lines below.
        """
        bbox = None
        if background:
            bbox = {"boxstyle": "round,pad=0.15", "facecolor": background, "edgecolor": "none"}
        self.ax.text(
            x, y, s, fontsize=px_to_pt(size), color=color, ha=ha, va=va,
            fontfamily=FONT, math_fontfamily="dejavusans", rotation=rotation,
            fontweight="bold" if bold else "normal",
            fontstyle="italic" if italic else "normal", zorder=z, bbox=bbox,
        )

    def box(
        self,
        cx: float,
        cy: float,
        w: float,
        h: float,
        text: str = "",
        kind: str = "op",
        size: float = 13,
        radius: float = 6,
        lw: float = 1.4,
        dashed: bool = False,
        bold: bool = False,
        fill: str | None = None,
        edge: str | None = None,
        z: int = 2,
    ) -> Box:
        """A rounded rectangle centred at (cx, cy) with `text` in the middle."""
        face, line = KINDS[kind]
        self.ax.add_patch(FancyBboxPatch(
            (cx - w / 2, cy - h / 2), w, h,
            boxstyle=f"round,pad=0,rounding_size={radius}",
            facecolor=fill or face, edgecolor=edge or line, linewidth=lw,
            linestyle=(0, (4, 3)) if dashed else "-", zorder=z,
        ))
        if text:
            self.text(cx, cy, text, size=size, bold=bold, z=z + 1)
        return Box(cx, cy, w / 2, h / 2)

    def circle(
        self,
        cx: float,
        cy: float,
        r: float,
        text: str = "",
        kind: str = "op",
        size: float = 14,
        lw: float = 1.4,
        z: int = 2,
    ) -> Box:
        """A circle of radius r, for pointwise operations such as + and the product."""
        face, line = KINDS[kind]
        self.ax.add_patch(Circle((cx, cy), r, facecolor=face, edgecolor=line,
                                 linewidth=lw, zorder=z))
        if text:
            self.text(cx, cy, text, size=size, z=z + 1)
        return Box(cx, cy, r, r)

    def arrow(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        color: str = FORWARD,
        lw: float = 1.5,
        rad: float = 0.0,
        dashed: bool = False,
        head: float = 9,
        both: bool = False,
        z: int = 1,
    ) -> None:
        """A straight (or, with `rad`, curved) arrow from `start` to `end`."""
        style = "<|-|>" if both else "-|>"
        self.ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle=f"{style},head_length={head * 0.5},head_width={head * 0.3}",
            connectionstyle=f"arc3,rad={rad}", color=color, linewidth=lw,
            linestyle=(0, (4, 3)) if dashed else "-", shrinkA=0, shrinkB=0,
            mutation_scale=1.7, zorder=z, joinstyle="miter", capstyle="butt",
        ))

    def path(
        self,
        points: list[tuple[float, float]],
        color: str = FORWARD,
        lw: float = 1.5,
        arrow: bool = True,
        dashed: bool = False,
        head: float = 9,
        z: int = 1,
    ) -> None:
        """A polyline through `points`, with an arrowhead at the last point."""
        codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
        style = f"-|>,head_length={head * 0.5},head_width={head * 0.3}" if arrow else "-"
        self.ax.add_patch(FancyArrowPatch(
            path=Path(points, codes), arrowstyle=style, color=color, linewidth=lw,
            linestyle=(0, (4, 3)) if dashed else "-", mutation_scale=1.7, zorder=z,
            joinstyle="miter", capstyle="butt",
        ))

    def polygon(
        self,
        points: list[tuple[float, float]],
        kind: str = "op",
        lw: float = 1.4,
        text: str = "",
        size: float = 13,
        z: int = 2,
    ) -> None:
        """A closed polygon, e.g. a trapezoid for a layer that narrows or widens."""
        face, line = KINDS[kind]
        self.ax.add_patch(Polygon(points, closed=True, facecolor=face, edgecolor=line,
                                  linewidth=lw, zorder=z))
        if text:
            cx = sum(p[0] for p in points) / len(points)
            cy = sum(p[1] for p in points) / len(points)
            self.text(cx, cy, text, size=size, z=z + 1)

    def trapezoid(
        self,
        x0: float,
        x1: float,
        cy: float,
        h0: float,
        h1: float,
        text: str = "",
        kind: str = "op",
        size: float = 13,
    ) -> Box:
        """A layer stack drawn from x0 (height h0) to x1 (height h1), centred at cy."""
        points = [(x0, cy - h0 / 2), (x1, cy - h1 / 2), (x1, cy + h1 / 2), (x0, cy + h0 / 2)]
        self.polygon(points, kind=kind)
        if text:
            self.text((x0 + x1) / 2, cy, text, size=size)
        return Box((x0 + x1) / 2, cy, (x1 - x0) / 2, min(h0, h1) / 2)

    def group(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        label: str = "",
        color: str = MUTED,
        size: float = 12,
        label_at: str = "top left",
    ) -> None:
        """A dashed frame around a region, with a small label at one of its corners."""
        self.ax.add_patch(FancyBboxPatch(
            (x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=10",
            facecolor="none", edgecolor=color, linewidth=1.2, linestyle=(0, (5, 4)),
            zorder=0,
        ))
        if label:
            # "top left", "bottom right", ... inside the frame; "below left" under it.
            vertical, horizontal = label_at.split()
            x = x0 + 8 if horizontal == "left" else x1 - 8
            y, va = {"top": (y0 + 6, "top"), "bottom": (y1 - 6, "bottom"),
                     "below": (y1 + 5, "top")}[vertical]
            self.text(x, y, label, size=size, color=color, ha=horizontal, va=va,
                      italic=True)

    def grid(
        self,
        x: float,
        y: float,
        rows: int,
        cols: int,
        cell: float,
        values: list[list[str]] | None = None,
        fills: list[list[str]] | None = None,
        size: float = 12,
        edge: str = "#6b7280",
        lw: float = 1.0,
        z: int = 2,
    ) -> None:
        """A rows x cols grid of square cells with its top-left corner at (x, y)."""
        for i in range(rows):
            for j in range(cols):
                fill = fills[i][j] if fills else "#ffffff"
                self.ax.add_patch(FancyBboxPatch(
                    (x + j * cell, y + i * cell), cell, cell, boxstyle="square,pad=0",
                    facecolor=fill, edgecolor=edge, linewidth=lw, zorder=z,
                ))
                if values and values[i][j] != "":
                    self.text(x + (j + 0.5) * cell, y + (i + 0.5) * cell, values[i][j],
                              size=size, z=z + 1)

    def frame(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        color: str,
        lw: float = 2.5,
        fill: str = "none",
        alpha: float = 1.0,
        z: int = 4,
    ) -> None:
        """A plain rectangle outline (or tint), e.g. to highlight cells of a grid."""
        self.ax.add_patch(FancyBboxPatch(
            (x, y), w, h, boxstyle="square,pad=0", facecolor=fill, edgecolor=color,
            linewidth=lw, alpha=alpha, zorder=z,
        ))

    def png(self) -> bytes:
        """The diagram as PNG bytes, the same on every run with the same libraries.

        A palette of 256 colours keeps the file about three times smaller than full
        colour, with no visible difference on these flat drawings.
        """
        buffer = io.BytesIO()
        with matplotlib.style.context("default"):
            self.fig.savefig(buffer, format="png", dpi=100 * SCALE, facecolor="white",
                             metadata={"Software": None})
        image = Image.open(buffer).convert("RGB")
        image = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()

    def svg(self) -> str:
        """The diagram as SVG text (for looking at it, or for print)."""
        buffer = io.BytesIO()
        with matplotlib.style.context("default"), matplotlib.rc_context(
            {"svg.hashsalt": "dlbook", "svg.fonttype": "path"}
        ):
            self.fig.savefig(buffer, format="svg", facecolor="white",
                             metadata={"Date": None})
        return buffer.getvalue().decode()
