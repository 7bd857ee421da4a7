"""The charts page's drawing: SVG geometry as plain numbers for the templates.

The numbers themselves (per-bucket counts, errors, tokens and latency percentiles, and the
breakdowns) come from the log store (`logstore.storage`), computed in its database over a
bounded window; see `logstore.query.series` for the window rules.
"""

import math
from decimal import Decimal

# --- SVG geometry: plain numbers for the templates to draw ----------------------------------

WIDTH = 720
HEIGHT = 140


def nice_max(value):
    if not value or value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def bars(buckets, attribute, *, width=WIDTH, height=HEIGHT, overlay=None, label=str):
    """One rect per bucket (x, y, w, h) scaled to the largest value; `overlay` stacks a part.

    `label` formats a value for people (the axis and the tooltips), e.g. a cost as dollars.
    """
    values = [getattr(b, attribute) or 0 for b in buckets]
    top = nice_max(float(max(values, default=0)))
    slot = width / max(len(buckets), 1)
    gap = 1 if slot > 3 else 0
    out = []
    for index, (bucket, value) in enumerate(zip(buckets, values, strict=True)):
        h = float(value) / top * height
        item = {
            "x": round(index * slot, 2),
            "w": round(max(slot - gap, 0.5), 2),
            "y": round(height - h, 2),
            "h": round(h, 2),
            "bucket": bucket,
            "value": value,
            "label": label(value),
        }
        if overlay:
            part = getattr(bucket, overlay) or 0
            oh = float(part) / top * height
            item["overlay_y"], item["overlay_h"] = round(height - oh, 2), round(oh, 2)
            item["overlay_value"] = part
        out.append(item)
    return {
        "bars": out,
        "max": top,
        "max_label": label(Decimal(str(top)) if isinstance(top, float) else top),
        "width": width,
        "height": height,
    }


def lines(buckets, attributes, *, width=WIDTH, height=HEIGHT, scale=1.0):
    """A polyline per attribute; buckets without a value break nothing, they are skipped."""
    top = nice_max(
        max(
            ((getattr(b, a) or 0) * scale for b in buckets for a in attributes),
            default=0,
        )
    )
    slot = width / max(len(buckets), 1)
    series = []
    for attribute in attributes:
        points = []
        for index, bucket in enumerate(buckets):
            value = getattr(bucket, attribute)
            if value is None:
                continue
            x = round(index * slot + slot / 2, 2)
            y = round(height - value * scale / top * height, 2)
            points.append((x, y, value * scale, bucket))
        series.append(
            {
                "name": attribute,
                "points": points,
                "path": " ".join(f"{x},{y}" for x, y, _, _ in points),
            }
        )
    return {"series": series, "max": top, "width": width, "height": height}
